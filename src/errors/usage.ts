/** Errors in how kafkajs-dr was called: a bad option, an unknown cluster, a call out of order or not offered. */
import { KafkaDRError } from './base.js'

/**
 * An option was missing, of the wrong type, out of range or unknown. The message names the path.
 *
 * @group Errors
 */
export class InvalidOptionError extends KafkaDRError {
  /** Dotted path of the offending option, e.g. `clusters.dc2.priority`. */
  readonly path: string
  constructor(path: string, message: string) {
    super('ERR_INVALID_OPTION', message)
    this.path = path
  }
}
InvalidOptionError.prototype.name = 'InvalidOptionError'

/**
 * A cluster name was given that is not one of the configured clusters.
 *
 * @group Errors
 */
export class UnknownClusterError extends KafkaDRError {
  constructor(cluster: string, known: readonly string[]) {
    super('ERR_UNKNOWN_CLUSTER', `Unknown cluster '${cluster}'; configured clusters: ${known.join(', ')}`, { cluster })
  }
}
UnknownClusterError.prototype.name = 'UnknownClusterError'

/**
 * An operation needs `connect()` first (or was called after `disconnect()`).
 *
 * @group Errors
 */
export class NotConnectedError extends KafkaDRError {
  constructor(what: string) {
    super('ERR_NOT_CONNECTED', `${what} is not connected; call connect() first`)
  }
}
NotConnectedError.prototype.name = 'NotConnectedError'

/**
 * An operation kafkajs offers that kafkajs-dr cannot offer across clusters (transactions).
 *
 * @group Errors
 */
export class UnsupportedOperationError extends KafkaDRError {
  constructor(message: string) {
    super('ERR_UNSUPPORTED', message)
  }
}
UnsupportedOperationError.prototype.name = 'UnsupportedOperationError'
