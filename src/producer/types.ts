import type { ProducerConfig, RetryOptions } from 'kafkajs'

/**
 * Configuration of a {@link FailoverProducer}: the kafkajs `ProducerConfig` (applied to the
 * producer created on each cluster) plus the limits of delivery across clusters.
 *
 * @group Producer
 */
export interface FailoverProducerConfig extends Omit<ProducerConfig, 'retry' | 'transactionalId'> {
  /**
   * kafkajs retries inside one cluster. Kept short so that a dead cluster is noticed fast;
   * moving to another cluster is decided by kafkajs-dr, not by kafkajs.
   *
   * @default `{ retries: 2, initialRetryTime: 100, maxRetryTime: 1000 }`
   */
  retry?: RetryOptions
  /**
   * A send rejects with `SendFailedError` when it is not acknowledged by any cluster within this
   * time, in ms (all attempts together).
   *
   * @default 30000
   */
  deliveryTimeoutMs?: number
  /**
   * One attempt on one cluster is abandoned after this long, in ms (a hung cluster never answers).
   * An abandoned request may still land later: a possible duplicate, never a loss.
   *
   * @default 10000
   */
  attemptTimeoutMs?: number
  /**
   * Most attempts per send, across clusters. An attempt that fails on a cluster the health probes
   * hold down is not counted: while no cluster can take the send, it keeps trying (about once a
   * second) until `deliveryTimeoutMs`, so that a cluster that returns in time still takes it.
   *
   * @default 20
   */
  maxAttempts?: number
  /**
   * Bound on `disconnect()`, in ms, whatever state the clusters are in (a hung cluster never
   * answers a disconnect). Sends still in flight get until then to be acknowledged; the others
   * reject with `SendFailedError` (the last attempt error a `NotConnectedError`). Each cluster's
   * producer is then left to disconnect in the background.
   *
   * @default 3000
   */
  teardownTimeoutMs?: number
}
