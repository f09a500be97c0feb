/**
 * Payload of `producer:resent`.
 *
 * @group Producer
 */
export interface ProducerResentEvent {
  /** When the records were acknowledged (ms since epoch). */
  timestamp: number
  /** The topics of the send: one for `send()`, each of the batch's for `sendBatch()`. */
  topics: string[]
  /** The cluster of the last failed attempt made elsewhere: where the records may also have landed. */
  from: string
  /** The cluster that acknowledged the records. */
  to: string
  /** Records re-sent (every record of the send or batch). */
  count: number
  /** Attempts the send took in all, the acknowledged one included. */
  attempts: number
}

/**
 * kafkajs-dr events of a {@link FailoverProducer} (kafkajs' own instrumentation events work as usual).
 *
 * @group Producer
 */
export interface FailoverProducerEvents {
  /**
   * A send that had failed on one cluster (it died, hung, or was switched away from) was
   * acknowledged by another: its records were re-sent across clusters. The first cluster may have
   * written them too (a duplicate, which the provenance id lets readers drop). Not emitted for a
   * send retried and acknowledged on the cluster where it failed.
   */
  'producer:resent': (event: ProducerResentEvent) => void
}
