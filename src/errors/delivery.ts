/** Errors of sending and delivering records while the active cluster may move. */
import { KafkaDRError, type KafkaDRErrorOptions } from './base.js'

/**
 * A send could not be delivered to any cluster within its deadline. `errors` holds every
 * attempt's error, oldest first. The records may or may not have been written (a timed-out
 * request can still land): at-least-once callers should re-send.
 *
 * @group Errors
 */
export class SendFailedError extends KafkaDRError {
  /** Each attempt's error, oldest first. */
  readonly errors: readonly unknown[]
  constructor(message: string, errors: readonly unknown[], options: KafkaDRErrorOptions = {}) {
    super('ERR_SEND_FAILED', message, { cause: errors[errors.length - 1], ...options })
    this.errors = errors
  }
}
SendFailedError.prototype.name = 'SendFailedError'

/**
 * An attempt of a send was abandoned because the active cluster moved while it ran; the send is
 * made again on the new active cluster. Found among `SendFailedError.errors`.
 */
export class ActiveClusterMovedError extends KafkaDRError {
  /** The cluster that became active. */
  readonly to: string
  constructor(cluster: string, to: string) {
    super('ERR_ACTIVE_CLUSTER_MOVED', `Active cluster moved from '${cluster}' to '${to}' during the attempt`, { cluster, retriable: true })
    this.to = to
  }
}
ActiveClusterMovedError.prototype.name = 'ActiveClusterMovedError'

/**
 * A consumer's session on a cluster was fenced by a switch: it no longer delivers, so an
 * `eachBatch` handler still running there cannot resolve offsets (they would be neither committed
 * nor checkpointed). Thrown by `resolveOffset`; the batch ends and the records come again on the
 * active cluster.
 */
export class SessionFencedError extends KafkaDRError {
  constructor(cluster: string) {
    super('ERR_SESSION_FENCED', `consumer session on '${cluster}' was fenced by a switch`, { cluster, retriable: false })
  }
}
SessionFencedError.prototype.name = 'SessionFencedError'
