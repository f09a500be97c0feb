/**
 * Typed errors. Every error thrown, rejected with or emitted by kafkajs-dr is a
 * {@link KafkaDRError} with a stable string `code`, a `retriable` flag, the `cause` and the
 * context that helps (cluster, topic, partition, group). An error of kafkajs is never passed on
 * as it is: it becomes the `cause` of a {@link KafkaClientError} (`ERR_KAFKAJS`).
 *
 * `instanceof` works across two copies of this package (for example two versions in one
 * `node_modules` tree): every error carries a `Symbol.for('kafkajs-dr.error')` brand, and each
 * class's `Symbol.hasInstance` compares the `name` set once on each class's prototype (a string,
 * which minifiers leave alone, unlike constructor names).
 *
 * @module
 */

import { authenticationFailureOf, type AuthenticationFailureKind } from './util/auth-failure.js'

const BRAND = Symbol.for('kafkajs-dr.error')

/** Stable error codes. New codes may be added in minor versions; existing ones never change. */
export type KafkaDRErrorCode =
  | 'ERR_INVALID_OPTION'
  | 'ERR_UNKNOWN_CLUSTER'
  | 'ERR_NO_ACTIVE_CLUSTER'
  | 'ERR_CLUSTER_ID_CHANGED'
  | 'ERR_NOT_CONNECTED'
  | 'ERR_SEND_FAILED'
  | 'ERR_FAILOVER_FAILED'
  | 'ERR_MISSING_CHECKPOINT'
  | 'ERR_TRANSLATION_REFUSED'
  | 'ERR_GROUP_NOT_EMPTY'
  | 'ERR_CODEC'
  | 'ERR_TIMEOUT'
  | 'ERR_DRAIN_TIMEOUT'
  | 'ERR_KAFKAJS'
  | 'ERR_ACTIVE_CLUSTER_MOVED'
  | 'ERR_SESSION_FENCED'
  | 'ERR_UNSUPPORTED'
  | 'ERR_AUTHENTICATION_FAILED'
  | 'ERR_DISCOVERY_POLICY'

/** Context attached to an error where it is known. */
export interface KafkaDRErrorContext {
  /** Name of the cluster involved. */
  cluster?: string
  /** Topic involved (logical or physical, as stated by the message). */
  topic?: string
  /** Partition involved. */
  partition?: number
  /** Consumer group involved. */
  group?: string
}

/** Options accepted by every error constructor. */
export interface KafkaDRErrorOptions extends KafkaDRErrorContext {
  /** The error that caused this one. */
  cause?: unknown
  /** Whether retrying the same operation may succeed. */
  retriable?: boolean
}

/** Root of every error raised by kafkajs-dr. */
export class KafkaDRError extends Error {
  /** Stable machine-readable code. */
  readonly code: KafkaDRErrorCode
  /** Whether retrying the same operation may succeed. */
  readonly retriable: boolean
  // `declare`: with ES2022 class fields a plain declaration would give every error own properties
  // set to undefined; only the context given is set, in the constructor.
  /** Cluster involved, when known. */
  declare readonly cluster?: string
  /** Topic involved, when known. */
  declare readonly topic?: string
  /** Partition involved, when known. */
  declare readonly partition?: number
  /** Consumer group involved, when known. */
  declare readonly group?: string

  constructor(code: KafkaDRErrorCode, message: string, options: KafkaDRErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.retriable = options.retriable ?? false
    if (options.cluster !== undefined) this.cluster = options.cluster
    if (options.topic !== undefined) this.topic = options.topic
    if (options.partition !== undefined) this.partition = options.partition
    if (options.group !== undefined) this.group = options.group
  }

  /** Brand so that `instanceof` survives two copies of the package: the error's class name. */
  get [BRAND](): string {
    return this.name
  }

  /**
   * Makes `instanceof` work across copies of the package: `value` matches when it carries the
   * kafkajs-dr brand and (for a subclass) has, in its prototype chain, a prototype whose own
   * `name` is this class's (each class sets it once, as a string literal that minifiers keep).
   * A subclass that sets no `name` of its own is matched by its prototype chain as usual.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null || !(BRAND in value)) return false
    if (this === KafkaDRError) return true
    const prototype = (this as { prototype?: unknown }).prototype
    if (typeof prototype !== 'object' || prototype === null || !Object.hasOwn(prototype, 'name')) {
      return Function.prototype[Symbol.hasInstance].call(this, value)
    }
    const wanted = (prototype as { name: unknown }).name
    // A subclass matches itself and its own subclasses, judged by the names on the prototype chain
    // so that it also works across package copies.
    for (let proto = Object.getPrototypeOf(value) as object | null; proto !== null; proto = Object.getPrototypeOf(proto) as object | null) {
      if (Object.hasOwn(proto, 'name') && (proto as { name: unknown }).name === wanted) return true
    }
    return false
  }
}
KafkaDRError.prototype.name = 'KafkaDRError'

/** An option was missing, of the wrong type, out of range or unknown. The message names the path. */
export class InvalidOptionError extends KafkaDRError {
  /** Dotted path of the offending option, e.g. `clusters.dc2.priority`. */
  readonly path: string
  constructor(path: string, message: string) {
    super('ERR_INVALID_OPTION', message)
    this.path = path
  }
}
InvalidOptionError.prototype.name = 'InvalidOptionError'

/** A cluster name was given that is not one of the configured clusters. */
export class UnknownClusterError extends KafkaDRError {
  constructor(cluster: string, known: readonly string[]) {
    super('ERR_UNKNOWN_CLUSTER', `Unknown cluster '${cluster}'; configured clusters: ${known.join(', ')}`, { cluster })
  }
}
UnknownClusterError.prototype.name = 'UnknownClusterError'

/** No cluster could be made active (none healthy within the deadline). */
export class NoActiveClusterError extends KafkaDRError {
  constructor(message: string, options: KafkaDRErrorOptions = {}) {
    super('ERR_NO_ACTIVE_CLUSTER', message, { retriable: true, ...options })
  }
}
NoActiveClusterError.prototype.name = 'NoActiveClusterError'

/** A cluster answered with a different cluster id than the one first seen: the address now points elsewhere. */
export class ClusterIdChangedError extends KafkaDRError {
  /** The id first seen. */
  readonly expected: string
  /** The id seen now. */
  readonly actual: string
  constructor(cluster: string, expected: string, actual: string) {
    super('ERR_CLUSTER_ID_CHANGED', `Cluster '${cluster}' answered with cluster id '${actual}', but '${expected}' was seen first; refusing to treat it as the same cluster`, { cluster })
    this.expected = expected
    this.actual = actual
  }
}
ClusterIdChangedError.prototype.name = 'ClusterIdChangedError'

/** An operation needs `connect()` first (or was called after `disconnect()`). */
export class NotConnectedError extends KafkaDRError {
  constructor(what: string) {
    super('ERR_NOT_CONNECTED', `${what} is not connected; call connect() first`)
  }
}
NotConnectedError.prototype.name = 'NotConnectedError'

/**
 * A send could not be delivered to any cluster within its deadline. `errors` holds every
 * attempt's error, oldest first. The records may or may not have been written (a timed-out
 * request can still land): at-least-once callers should re-send.
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

/** A participant of a switch (a consumer) that did not move, with its error. */
export interface FailedParticipant {
  /** Which participant, e.g. `consumer 'billing'`. */
  readonly participant: string
  /** Why it did not move (a `TimeoutError` when it did not within `switchTimeoutMs`). */
  readonly error: unknown
}

/**
 * A switch of the active cluster could not be completed. When participants failed to move,
 * `participants` names each with its error, `errors` holds the same errors, and `cause` is the
 * first of them.
 */
export class FailoverError extends KafkaDRError {
  /** Each participant that failed to move, with its error; empty when the switch did not begin. */
  readonly participants: readonly FailedParticipant[]
  /** The participants' errors, in the order of `participants`. */
  readonly errors: readonly unknown[]
  constructor(message: string, options: KafkaDRErrorOptions & { participants?: readonly FailedParticipant[] } = {}) {
    const { participants = [], ...rest } = options
    super('ERR_FAILOVER_FAILED', message, { retriable: true, ...rest })
    this.participants = participants
    this.errors = participants.map((p) => p.error)
  }
}
FailoverError.prototype.name = 'FailoverError'

/**
 * The discovery policy failed: its `start()` rejected or did not finish within `connectTimeoutMs`
 * (then `connect()` rejects with this error), or a `decide()` threw or did not settle within
 * `discovery.decideTimeoutMs` (reported by the `discovery:policy-failed` event; discovery goes on
 * and asks again at the next round). `cause` is the policy's error or a {@link TimeoutError}.
 * Retriable: the next call may succeed.
 */
export class DiscoveryPolicyError extends KafkaDRError {
  /** The policy's name. */
  readonly policy: string
  /** Which call of the policy failed. */
  readonly operation: 'start' | 'decide'
  /** Whether it failed by not settling in time (`cause` is then a {@link TimeoutError}). */
  readonly timedOut: boolean
  constructor(policy: string, operation: 'start' | 'decide', cause: unknown) {
    const timedOut = cause instanceof TimeoutError
    const detail = cause instanceof Error ? cause.message : String(cause)
    super('ERR_DISCOVERY_POLICY', `Discovery policy '${policy}' ${operation}() ${timedOut ? 'timed out' : 'failed'}: ${detail}`, { cause, retriable: true })
    this.policy = policy
    this.operation = operation
    this.timedOut = timedOut
  }
}
DiscoveryPolicyError.prototype.name = 'DiscoveryPolicyError'

/** No checkpoint exists for a partition and `onMissingCheckpoint` is `'error'`. */
export class MissingCheckpointError extends KafkaDRError {
  constructor(message: string, options: KafkaDRErrorOptions = {}) {
    super('ERR_MISSING_CHECKPOINT', message, options)
  }
}
MissingCheckpointError.prototype.name = 'MissingCheckpointError'

/** A translator refused to translate (for example a replica topic with `LogAppendTime`). */
export class TranslationRefusedError extends KafkaDRError {
  constructor(message: string, options: KafkaDRErrorOptions = {}) {
    super('ERR_TRANSLATION_REFUSED', message, options)
  }
}
TranslationRefusedError.prototype.name = 'TranslationRefusedError'

/**
 * Offsets could not be committed to a consumer group because the group has running members (its
 * state is not `Empty` or `Dead`): Kafka accepts an admin offset commit only for an empty group.
 * Retriable: wait until the group's members have left (their session timed out), or let the
 * consumer position itself after it joins.
 */
export class GroupNotEmptyError extends KafkaDRError {
  /** Topics whose offsets were committed before the failure (an admin commit is per topic). */
  readonly committedTopics: readonly string[]
  constructor(message: string, options: KafkaDRErrorOptions & { committedTopics?: readonly string[] } = {}) {
    const { committedTopics = [], ...rest } = options
    super('ERR_GROUP_NOT_EMPTY', message, { retriable: true, ...rest })
    this.committedTopics = committedTopics
  }
}
GroupNotEmptyError.prototype.name = 'GroupNotEmptyError'

/** A binary record could not be decoded (truncated, unknown version, ...). */
export class CodecError extends KafkaDRError {
  constructor(message: string, options: KafkaDRErrorOptions = {}) {
    super('ERR_CODEC', message, options)
  }
}
CodecError.prototype.name = 'CodecError'

/** An operation did not finish within its deadline. */
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
 */
export class DrainTimeoutError extends KafkaDRError {
  /** The lag of the flow active -> target at the last check, in ms. */
  readonly lagMs: number | undefined
  constructor(message: string, lagMs: number | undefined, options: KafkaDRErrorOptions = {}) {
    super('ERR_DRAIN_TIMEOUT', message, { retriable: true, ...options })
    this.lagMs = lagMs
  }
}
DrainTimeoutError.prototype.name = 'DrainTimeoutError'

/**
 * A kafkajs call failed (connecting, subscribing, running, committing, seeking, describing the
 * group, reading or writing offsets and checkpoints). `cause` is kafkajs' own error; `retriable`
 * is kafkajs' verdict on it.
 */
export class KafkaClientError extends KafkaDRError {
  constructor(message: string, options: KafkaDRErrorOptions = {}) {
    super('ERR_KAFKAJS', message, options)
  }
}
KafkaClientError.prototype.name = 'KafkaClientError'

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

/** An operation kafkajs offers that kafkajs-dr cannot offer across clusters (transactions). */
export class UnsupportedOperationError extends KafkaDRError {
  constructor(message: string) {
    super('ERR_UNSUPPORTED', message)
  }
}
UnsupportedOperationError.prototype.name = 'UnsupportedOperationError'

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
 */
export class AuthenticationError extends KafkaDRError {
  /** What failed: the SASL login or the TLS handshake. */
  readonly kind: AuthenticationFailureKind
  declare readonly cluster: string
  constructor(cluster: string, kind: AuthenticationFailureKind, message: string, options: Omit<KafkaDRErrorOptions, 'cluster' | 'retriable'> = {}) {
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
  const why = failure.kind === 'sasl'
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
  return new KafkaClientError(`${what}: ${detail}`, { ...context, cause: error, retriable: (error as { retriable?: unknown } | null)?.retriable === true })
}
