import type { CheckpointWriteFailedInfo, CheckpointWrittenInfo } from '../offsets/checkpoint-writer-types.js'
import type { KafkaDRError } from '../errors/index.js'
import type { TranslationResult } from '../offsets/translation-types.js'
import type { GroupSplit } from './group-split.js'

/**
 * Payload of `consumer:moved`.
 *
 * @group Consumer
 */
export interface ConsumerMovedEvent {
  /** When the consumer started running on `to` (ms since epoch). */
  timestamp: number
  /** Consumer group. */
  group: string
  /** With `dualRead: 'direct'`: the origin whose sessions these are (each origin's move on its own); otherwise absent. */
  origin?: string
  /** The cluster the consumer left (undefined when it had no session). */
  from: string | undefined
  /** The cluster the consumer now runs on. */
  to: string
  /**
   * Why the consumer moved: `switch` to a new active cluster; `group` to join the rest of its
   * group on another cluster after a split, or back to the active cluster from there (see
   * `GroupSplitOptions`); or `new-copies` (a restart on the same cluster to read physical copies
   * that appeared there; `from` equals `to`); or `restart` (its session on the cluster crashed
   * and was replaced, see `consumer:session-crashed`).
   */
  reason: 'switch' | 'group' | 'new-copies' | 'restart'
  /**
   * How the consumer got its membership on `to`: its `standby` session there (no group join on
   * the way), or a `new-session` that joined the group (no standby, or one subscribed to other
   * copies). Either way its partitions were positioned by seeks before any was fetched.
   */
  via: 'standby' | 'new-session'
  /** From the start of the move until the new session ran, in ms. */
  durationMs: number
}

/**
 * Payload of `consumer:move-failed`.
 *
 * @group Consumer
 */
export interface ConsumerMoveFailedEvent {
  /** When the attempt failed (ms since epoch). */
  timestamp: number
  /** Consumer group. */
  group: string
  /** With `dualRead: 'direct'`: the origin whose sessions these are (each origin's move on its own); otherwise absent. */
  origin?: string
  /** The cluster the consumer was moving to. */
  to: string
  /** 1 for the first attempt of a move, and so on. */
  attempt: number
  /**
   * Why it failed: a `KafkaDRError` (`MissingCheckpointError`, `TimeoutError`, ...); an error of
   * kafkajs is the `cause` of a `KafkaClientError`.
   */
  error: KafkaDRError
}

/**
 * Payload of `checkpoints:undecodable`: a translation of the group's positions skipped checkpoint
 * records it could not decode (see `TranslationResult.undecodableCheckpoints`).
 *
 * @group Consumer
 */
export interface CheckpointsUndecodableEvent {
  /** When the translation finished (ms since epoch). */
  timestamp: number
  /** Consumer group. */
  group: string
  /** The cluster whose checkpoint topics were read: the one the group was positioned on. */
  cluster: string
  /** Records skipped: malformed, truncated, or of a format version this release does not know. */
  count: number
}

/**
 * Payload of `consumer:disconnected`: how the consumer's shutdown went.
 *
 * @group Consumer
 */
export interface ConsumerDisconnectedEvent {
  /** When the disconnect finished (ms since epoch). */
  timestamp: number
  /** Consumer group. */
  group: string
  /** Time the disconnect took, in ms (at most about `teardownTimeoutMs`). */
  durationMs: number
  /** The last checkpoint write, made so that a restart resumes where this instance stopped. */
  finalCheckpoint: FinalCheckpoint
}

/**
 * The last checkpoint write of a consumer's `disconnect()`. Its targets are the active cluster
 * and, with `writeToAllClusters`, every other cluster that was up; each is bounded by
 * `teardownTimeoutMs`. A restart on a cluster missing from `writtenTo` resumes from the previous
 * checkpoint or the group's commit there: a few more duplicates, never a loss.
 *
 * @group Consumer
 */
export interface FinalCheckpoint {
  /** Every position reached every target in time. */
  complete: boolean
  /** The targets that took every position. */
  writtenTo: string[]
  /** The targets that did not answer in time or refused. */
  failedClusters: string[]
  /** Positions left unwritten on at least one target. */
  pending: number
}

/**
 * Payload of `consumer:session-crashed`: kafkajs crashed the consumer of one of this instance's
 * sessions and would not restart it.
 *
 * @group Consumer
 */
export interface ConsumerSessionCrashedEvent {
  /** When the crash was seen (ms since epoch). */
  timestamp: number
  /** Consumer group. */
  group: string
  /** With `dualRead: 'direct'`: the origin whose sessions these are (each origin's move on its own); otherwise absent. */
  origin?: string
  /** The cluster of the session. */
  cluster: string
  /** Whether the session delivered records (otherwise a standby). */
  delivering: boolean
  /**
   * When the session is replaced, in ms from now; undefined when the application's
   * `retry.restartOnFailure` declined the restart (then the consumer delivers nothing on that
   * cluster until `run()` is called again after `stop()`). kafkajs asks `restartOnFailure` only
   * after retriable errors: a non-retriable one (a handler's `TypeError`) is always replaced.
   */
  restartInMs: number | undefined
  /** Why: kafkajs' error (for example a `TypeError` thrown by the handler) as the `cause` of a `KafkaDRError`. */
  error: KafkaDRError
}

/**
 * Payload of `consumer:split`: other instances of the group deliver on another cluster.
 *
 * @group Consumer
 */
export interface ConsumerSplitEvent extends GroupSplit {
  /** When the split was seen (ms since epoch). */
  timestamp: number
  /** Consumer group. */
  group: string
  /** With `dualRead: 'direct'`: the origin whose sessions these are (each origin's move on its own); otherwise absent. */
  origin?: string
}

/**
 * Payload of `consumer:split-ended`: the split seen from one cluster is over. The group's
 * instances deliver on `cluster` together again, as far as this instance sees; or this instance
 * moved (a split that remains is reported again from its new cluster); or it stopped.
 *
 * @group Consumer
 */
export interface ConsumerSplitEndedEvent {
  /** When the end was seen (ms since epoch). */
  timestamp: number
  /** Consumer group. */
  group: string
  /** With `dualRead: 'direct'`: the origin whose sessions these are (each origin's move on its own); otherwise absent. */
  origin?: string
  /** When the split was first seen (ms since epoch). */
  since: number
  /** How long it lasted as this instance saw it, in ms (a checkpoint of the others needs up to `freshMs` to age out). */
  durationMs: number
  /** The cluster this instance delivers on now; undefined when it stopped. */
  cluster: string | undefined
}

/**
 * Payload of `consumer:deduplicated`: records of one batch were not delivered, being copies of
 * records this consumer had delivered already (see `DedupeOptions`).
 *
 * @group Consumer
 */
export interface ConsumerDeduplicatedEvent {
  /** When the batch was handled (ms since epoch). */
  timestamp: number
  /** Consumer group. */
  group: string
  /** The cluster read. */
  cluster: string
  /** The physical topic read. */
  topic: string
  /** Partition. */
  partition: number
  /** Records dropped from this batch. */
  count: number
}

/**
 * Payload of `consumer:former-instance-removed`: members of a former process of this instance
 * (the same `instanceId`, another incarnation: a killed pod whose member had not timed out) were
 * removed from the group before this instance joined it.
 *
 * @group Consumer
 */
export interface ConsumerFormerInstanceRemovedEvent {
  /** When the removal finished (ms since epoch). */
  timestamp: number
  /** Consumer group. */
  group: string
  /** The cluster whose group they were removed from. */
  cluster: string
  /** The consumer's `instanceId`. */
  instanceId: string
  /** The member ids removed. */
  memberIds: string[]
  /** From the start of the group's description to the end of the removal, in ms. */
  durationMs: number
}

/**
 * Payload of `consumer:instance-conflict`: another live member of the group carries this
 * consumer's `instanceId`. Two running instances were given the same id: a configuration error.
 * Neither removes the other more than once; fix the ids.
 *
 * @group Consumer
 */
export interface ConsumerInstanceConflictEvent {
  /** When the conflict was seen (ms since epoch). */
  timestamp: number
  /** Consumer group. */
  group: string
  /** The cluster whose group holds both. */
  cluster: string
  /** The `instanceId` both carry. */
  instanceId: string
  /** The other instance's member ids. */
  memberIds: string[]
}

/**
 * kafkajs-dr events of a {@link FailoverConsumer} (kafkajs' own instrumentation events work as usual).
 *
 * @group Consumer
 */
export interface FailoverConsumerEvents {
  /** Checkpoints were written to a cluster. */
  'checkpoint:written': (event: CheckpointWrittenInfo) => void
  /** A checkpoint write failed; the positions are retried on the next tick. */
  'checkpoint:failed': (event: CheckpointWriteFailedInfo) => void
  /** The group's positions were translated onto the new active cluster (refusals included). */
  'offsets:translated': (event: TranslationResult) => void
  /**
   * A translation skipped checkpoint records it could not decode (emitted with
   * `offsets:translated` when `undecodableCheckpoints` is above 0). A skipped record may have held
   * the group's position, so the translation may have fallen back to `onMissingCheckpoint` or an
   * older checkpoint: a newer kafkajs-dr writing a format this one does not read, or a damaged
   * checkpoint topic.
   */
  'checkpoints:undecodable': (event: CheckpointsUndecodableEvent) => void
  /** The consumer runs on the new active cluster, or again on the same one with new copies. */
  'consumer:moved': (event: ConsumerMovedEvent) => void
  /**
   * A move (or the positioning of a new assignment) failed; it is tried again with capped back-off
   * (up to 5 s apart) for as long as `to` stays active.
   */
  'consumer:move-failed': (event: ConsumerMoveFailedEvent) => void
  /**
   * kafkajs crashed a session's consumer for good: a non-retriable error (a `TypeError`,
   * `RangeError`, `ReferenceError` or `SyntaxError` thrown by a handler among them), where a raw
   * kafkajs consumer would stop for good. The session is replaced after a back-off (1 s, doubling
   * while crashes repeat, up to 30 s), so a record that keeps failing is retried that often; call
   * `stop()` here if the application should stop instead.
   */
  'consumer:session-crashed': (event: ConsumerSessionCrashedEvent) => void
  /**
   * Other instances of this group deliver on another cluster (their discovery disagrees with this
   * one's for now): each side reads what the other reads too. See `GroupSplitOptions`.
   */
  'consumer:split': (event: ConsumerSplitEvent) => void
  /** The split seen by `consumer:split` is over. */
  'consumer:split-ended': (event: ConsumerSplitEndedEvent) => void
  /** Records already delivered were dropped by `dedupe` (once per batch with any). */
  'consumer:deduplicated': (event: ConsumerDeduplicatedEvent) => void
  /**
   * With `instanceId`: members a former process of this instance left in the group (killed before
   * it could leave) were removed before this instance joined, so the group did not wait for them
   * to time out.
   */
  'consumer:former-instance-removed': (event: ConsumerFormerInstanceRemovedEvent) => void
  /**
   * With `instanceId`: another live instance of the group uses the same `instanceId` (seen after
   * a join of this one). A configuration error: give every instance its own id.
   */
  'consumer:instance-conflict': (event: ConsumerInstanceConflictEvent) => void
  /** `disconnect()` finished: how long it took and whether the last checkpoints were written. */
  'consumer:disconnected': (event: ConsumerDisconnectedEvent) => void
}
