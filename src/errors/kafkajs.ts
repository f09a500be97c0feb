/** kafkajs' own errors as kafkajs-dr errors: a failed kafkajs call, a refused login or TLS handshake. */
import { authenticationFailureOf, type AuthenticationFailureKind } from './auth-failure.js'
import { KafkaDRError, type KafkaDRErrorContext, type KafkaDRErrorOptions } from './base.js'

/**
 * A kafkajs call failed (connecting, subscribing, running, committing, seeking, describing the
 * group, reading or writing offsets and checkpoints). `cause` is kafkajs' own error; `retriable`
 * is kafkajs' verdict on it.
 *
 * @group Errors
 */
export class KafkaClientError extends KafkaDRError {
  constructor(message: string, options: KafkaDRErrorOptions = {}) {
    super('ERR_KAFKAJS', message, options)
  }
}
KafkaClientError.prototype.name = 'KafkaClientError'

/**
 * A cluster refused the client: `kind` `'sasl'` when it refused the SASL login (a wrong user or
 * password, a mechanism the broker does not enable), `'tls'` when the TLS handshake failed on the
 * broker's certificate (signed by a CA the client does not trust, self-signed, expired, not
 * issued for the address used) or the broker refused the client's own certificate. Not
 * retriable: the configuration must change. The cluster stays down meanwhile, with this error as
 * its `cluster:down` error and `status().clusters[].lastError`; `connect()` rejects with it as
 * soon as every cluster has refused. (kafkajs retries a failed TLS handshake with the client's
 * back-off: with its default retries, the probes first time out, and the refusal is named once
 * kafkajs gives up, after about 10 s.) The message never holds a credential. `cause` is kafkajs'
 * (or Node's) error.
 *
 * @example
 * ```ts
 * try {
 *   await dr.connect()
 * } catch (error) {
 *   if (error instanceof AuthenticationError) console.error(`check the ${error.kind} settings of ${error.cluster}`)
 *   throw error
 * }
 * ```
 *
 * @group Errors
 */
export class AuthenticationError extends KafkaDRError {
  /** What failed: the SASL login or the TLS handshake. */
  readonly kind: AuthenticationFailureKind
  declare readonly cluster: string
  constructor(
    cluster: string,
    kind: AuthenticationFailureKind,
    message: string,
    options: Omit<KafkaDRErrorOptions, 'cluster' | 'retriable'> = {},
  ) {
    super('ERR_AUTHENTICATION_FAILED', message, { ...options, cluster, retriable: false })
    this.kind = kind
  }
}
AuthenticationError.prototype.name = 'AuthenticationError'

/**
 * An {@link AuthenticationError} for `cluster` when `error` (or an error it wraps) is a refused
 * SASL login or a certificate the TLS handshake did not trust; `undefined` otherwise. `what` begins
 * the message. Internal: not exported from the package.
 */
export function asAuthenticationError(error: unknown, cluster: string, what?: string): AuthenticationError | undefined {
  if (error instanceof AuthenticationError) return error
  const failure = authenticationFailureOf(error)
  if (failure === undefined) return undefined
  const why =
    failure.kind === 'sasl'
      ? `cluster '${cluster}' refused the SASL login (check the user, password and mechanism): ${failure.detail}`
      : `the TLS handshake with cluster '${cluster}' failed (is the broker's certificate signed by a CA in \`ssl.ca\`, and issued for the address used?): ${failure.detail}`
  return new AuthenticationError(cluster, failure.kind, `${what === undefined ? 'Authentication failed' : what}: ${why}`, { cause: error })
}

/**
 * `error` as a {@link KafkaDRError}: one already is passed on unchanged; an authentication failure
 * on a known `context.cluster` becomes an {@link AuthenticationError}; any other (kafkajs')
 * becomes the `cause` of a {@link KafkaClientError} whose message is `what` and the cause's
 * message, and whose `retriable` is the cause's. Internal: not exported from the package.
 */
export function asKafkaDRError(error: unknown, what: string, context: KafkaDRErrorContext = {}): KafkaDRError {
  if (error instanceof KafkaDRError) return error
  const refused = context.cluster === undefined ? undefined : asAuthenticationError(error, context.cluster, what)
  if (refused !== undefined) return refused
  const detail = error instanceof Error ? error.message : String(error)
  return new KafkaClientError(`${what}: ${detail}`, {
    ...context,
    cause: error,
    retriable: (error as { retriable?: unknown } | null)?.retriable === true,
  })
}
