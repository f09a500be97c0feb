/**
 * Connecting a kafkajs client once, shared by the failover producer (one producer per cluster)
 * and the consumer's checkpoint producers: concurrent callers share one attempt, a connected
 * client is not connected again, and a failed attempt is forgotten so that the next call tries
 * again.
 *
 * @module
 */

import { NotConnectedError } from '../errors/index.js'

/** One kafkajs client (producer, consumer, admin) connected at most once at a time; see the module description. */
export class ConnectOnce {
  /** Whether the last attempt succeeded. */
  connected = false
  private pending: Promise<void> | undefined
  private closed = false

  /**
   * @param client - The kafkajs client.
   * @param onError - Told of every failed attempt (for the log); callers of {@link connect} see it too.
   */
  constructor(
    private readonly client: { connect(): Promise<void> },
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Resolves once the client is connected: at once if it is, else with the attempt under way or a new one. */
  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new NotConnectedError('kafkajs client (closed)'))
    if (this.connected) return Promise.resolve()
    if (!this.pending) {
      const attempt = this.client
        .connect()
        .then(
          () => {
            this.connected = true
          },
          (error: unknown) => {
            this.onError(error)
            throw error
          },
        )
        .finally(() => {
          if (this.pending === attempt) this.pending = undefined
        })
      // Callers that start an attempt in the background never await it.
      attempt.catch(() => {})
      this.pending = attempt
    }
    return this.pending
  }

  /**
   * Refuses every later {@link connect} and tears the client down with `teardown(timeoutMs)`. An
   * attempt still under way then may succeed afterwards (kafkajs keeps retrying): the client is
   * torn down again once it has, without waiting (`teardown(0)`).
   */
  close<T>(teardown: (timeoutMs: number) => Promise<T>, timeoutMs: number): Promise<T> {
    this.closed = true
    void this.pending?.then(
      () => teardown(0),
      () => {},
    )
    return teardown(timeoutMs)
  }
}
