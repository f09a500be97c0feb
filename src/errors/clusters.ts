/** Errors in choosing and switching the active cluster. */
import { KafkaDRError, type KafkaDRErrorOptions } from './base.js'
import { TimeoutError } from './deadlines.js'

/**
 * No cluster could be made active (none healthy within the deadline).
 *
 * @group Errors
 */
export class NoActiveClusterError extends KafkaDRError {
  constructor(message: string, options: KafkaDRErrorOptions = {}) {
    super('ERR_NO_ACTIVE_CLUSTER', message, { retriable: true, ...options })
  }
}
NoActiveClusterError.prototype.name = 'NoActiveClusterError'

/**
 * A cluster answered with a different cluster id than the one first seen: the address now points elsewhere.
 *
 * @group Errors
 */
export class ClusterIdChangedError extends KafkaDRError {
  /** The id first seen. */
  readonly expected: string
  /** The id seen now. */
  readonly actual: string
  constructor(cluster: string, expected: string, actual: string) {
    super(
      'ERR_CLUSTER_ID_CHANGED',
      `Cluster '${cluster}' answered with cluster id '${actual}', but '${expected}' was seen first; refusing to treat it as the same cluster`,
      { cluster },
    )
    this.expected = expected
    this.actual = actual
  }
}
ClusterIdChangedError.prototype.name = 'ClusterIdChangedError'

/**
 * A participant of a switch (a consumer) that did not move, with its error.
 *
 * @group Errors
 */
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
 *
 * @group Errors
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
 *
 * @group Errors
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
    super('ERR_DISCOVERY_POLICY', `Discovery policy '${policy}' ${operation}() ${timedOut ? 'timed out' : 'failed'}: ${detail}`, {
      cause,
      retriable: true,
    })
    this.policy = policy
    this.operation = operation
    this.timedOut = timedOut
  }
}
DiscoveryPolicyError.prototype.name = 'DiscoveryPolicyError'
