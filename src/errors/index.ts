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
 * Split by family; this index hands every name on, so callers import from one place.
 *
 * @module
 */

export { KafkaDRError, type KafkaDRErrorCode, type KafkaDRErrorContext, type KafkaDRErrorOptions } from './base.js'
export { InvalidOptionError, NotConnectedError, UnknownClusterError, UnsupportedOperationError } from './usage.js'
export { DrainTimeoutError, TimeoutError } from './deadlines.js'
export { ClusterIdChangedError, DiscoveryPolicyError, FailoverError, NoActiveClusterError, type FailedParticipant } from './clusters.js'
export { ActiveClusterMovedError, SendFailedError, SessionFencedError } from './delivery.js'
export { CodecError, GroupNotEmptyError, MissingCheckpointError, TranslationRefusedError } from './offsets.js'
export { asAuthenticationError, asKafkaDRError, AuthenticationError, KafkaClientError } from './kafkajs.js'
export type { AuthenticationFailureKind } from './auth-failure.js'
