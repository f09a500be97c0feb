/** Errors of an operation that did not finish within its deadline. */
import { KafkaDRError, type KafkaDRErrorOptions } from './base.js'

/**
 * An operation did not finish within its deadline.
 *
 * @group Errors
 */
export class TimeoutError extends KafkaDRError {
  constructor(message: string, options: KafkaDRErrorOptions = {}) {
    super('ERR_TIMEOUT', message, { retriable: true, ...options })
  }
}
TimeoutError.prototype.name = 'TimeoutError'

/**
 * A planned switch (`failover(cluster, { drain })`) was not made: the target did not catch up with
 * the active cluster in time. `lagMs` is the flow's lag at the last check (undefined when it could
 * not be read). Retriable: the same switch may drain once replication catches up.
 *
 * @group Errors
 */
export class DrainTimeoutError extends KafkaDRError {
  /** The lag of the flow from the active cluster to the target at the last check, in ms. */
  readonly lagMs: number | undefined
  constructor(message: string, lagMs: number | undefined, options: KafkaDRErrorOptions = {}) {
    super('ERR_DRAIN_TIMEOUT', message, { retriable: true, ...options })
    this.lagMs = lagMs
  }
}
DrainTimeoutError.prototype.name = 'DrainTimeoutError'
