/**
 * The root class that every kafkajs-dr error extends, with the brand that makes `instanceof`
 * work across two copies of the package.
 */

const BRAND = Symbol.for('kafkajs-dr.error')

/**
 * Stable error codes. New codes may be added in minor versions; existing ones never change.
 *
 * Three have no exported class, being signals between the library's own parts: a caller may meet
 * them and tells them by the code. `ERR_ACTIVE_CLUSTER_MOVED`: an attempt of a send abandoned
 * because the active cluster moved (among {@link SendFailedError.errors}; the send went on
 * elsewhere). `ERR_SESSION_FENCED`: thrown by `resolveOffset` in an `eachBatch` handler still
 * running on a cluster a switch left; let it end the batch, whose records come again on the
 * active cluster. `ERR_CODEC`: a checkpoint record that cannot be decoded (skipped and counted).
 *
 * @group Errors
 */
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

/**
 * Context attached to an error where it is known.
 *
 * @group Errors
 */
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

/**
 * Options accepted by every error constructor.
 *
 * @group Errors
 */
export interface KafkaDRErrorOptions extends KafkaDRErrorContext {
  /** The error that caused this one. */
  cause?: unknown
  /** Whether retrying the same operation may succeed. */
  retriable?: boolean
}

/**
 * Root of every error raised by kafkajs-dr.
 *
 * @group Errors
 */
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
