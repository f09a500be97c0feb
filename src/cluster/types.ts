import type { Kafka, KafkaConfig } from 'kafkajs'

/**
 * One datacenter's cluster as given by the user.
 *
 * @group Client
 */
export interface ClusterOptions {
  /**
   * The cluster's kafkajs client, or a kafkajs config to build one from. A config gets
   * failover-friendly defaults (short connection timeout, few in-cluster retries) for whatever it
   * leaves out; an instance is used as given, and kafkajs-dr tunes retries per producer and
   * consumer it creates from it.
   */
  kafka: Kafka | KafkaConfig
  /**
   * Preference: lower is preferred. The `priority` policy makes the healthy cluster with the
   * lowest number active.
   *
   * @default 1
   */
  priority?: number
}

/** Result of one health probe. */
export type ProbeResult =
  | {
      /** The probe succeeded. */
      ok: true
      /** The cluster id the cluster answered with (the same as the one first seen). */
      clusterId: string
      /** Time the probe took, in ms. */
      latencyMs: number
    }
  | {
      /** The probe failed. */
      ok: false
      /**
       * Why: a timeout, a refused connection, a kafkajs error, a {@link ClusterIdChangedError}, or an
       * {@link AuthenticationError} (a refused SASL login, an untrusted broker certificate).
       */
      error: Error
      /** Time until the probe failed, in ms. */
      latencyMs: number
    }
