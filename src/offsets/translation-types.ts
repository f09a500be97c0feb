/**
 * Types of offset translation: the request of `translateOffsets` and its result.
 *
 * @module
 */
import type { Admin, Kafka } from 'kafkajs'
import type { TranslationRefusedError } from '../errors/index.js'
import type { ReplicationPolicy } from '../topology/replication-policy.js'
import type { Checkpoint } from './checkpoint-codec.js'

/**
 * A way to turn a position on one cluster into a position on another. Each gives a lower bound
 * of the true position (never past a record the group has not processed):
 *
 * - `timestamp`: the first offset on the target whose timestamp is ≥ the CreateTime of the last
 *   processed record (`admin.fetchTopicOffsetsByTimestamp`). Refused on `LogAppendTime` topics.
 * - `mm2`: MirrorMaker 2's own checkpoint for the group (`<source>.checkpoints.internal`).
 * - `identity`: the offset unchanged, for replicators that preserve offsets (Cluster Linking,
 *   Redpanda shadowing). Wrong for MM2: enable it only where offsets are preserved.
 *
 * @group Offsets
 */
export type TranslatorName = 'timestamp' | 'mm2' | 'identity'

/**
 * How a partition's offset was found: `native` (the checkpoint is on the target cluster already),
 * a translator, or the missing-checkpoint policy (`earliest`, `latest`).
 *
 * @group Offsets
 */
export type TranslationMethod = 'native' | TranslatorName | 'earliest' | 'latest'

/**
 * What to do for a partition without a usable checkpoint.
 *
 * @group Offsets
 */
export type MissingCheckpointPolicy = 'earliest' | 'latest' | 'error'

/**
 * Request of `translateOffsets`.
 *
 * @group Offsets
 */
export interface TranslateOffsetsRequest {
  /** Consumer group. */
  group: string
  /** Cluster the group moves to. */
  targetCluster: string
  /** A connected admin of the target cluster. */
  admin: Admin
  /** Client of the target cluster (reads the checkpoint topics with a throw-away consumer). */
  kafka: Kafka
  /** Names of every cluster. */
  clusters: readonly string[]
  /** How topics are named on each cluster. */
  policy: ReplicationPolicy
  /** Physical topics on the target that the group will read. */
  topics: string[]
  /**
   * The kafkajs-dr checkpoint topic's logical name; every copy visible on the target is read.
   *
   * @default 'kafkajs-dr.checkpoints'
   */
  checkpointTopic?: string
  /**
   * Translators to run for checkpoints of another cluster; the result is the maximum of their
   * lower bounds (on a tie, the first in this list names the method).
   *
   * @default ['timestamp', 'mm2']
   */
  translators?: TranslatorName[]
  /**
   * For partitions without a usable checkpoint: `earliest` (low watermark, re-reads),
   * `latest` (high watermark, skips what is there) or `error` (throw `MissingCheckpointError`).
   * An empty partition is never an error: earliest and latest coincide there.
   *
   * @default 'earliest'
   */
  onMissingCheckpoint?: MissingCheckpointPolicy
  /**
   * Subtracted from the checkpoint's timestamp before the timestamp lookup, in ms. Needed for
   * identity-named active-active topics, where records of two origins interleave differently on
   * each cluster; 0 is right for prefix-named (MM2 default) replicas.
   *
   * @default 0
   */
  timestampSafetyMarginMs?: number
  /**
   * Bound on reading the checkpoint topics, in ms.
   *
   * @default 10000
   */
  timeoutMs?: number
  /**
   * Checkpoints the caller already holds (a failover consumer's own latest positions, fresher than
   * what replication has carried so far). Merged with those read: newest `writtenAt` wins.
   *
   * @default []
   */
  extraCheckpoints?: Checkpoint[]
}

/**
 * The lower bound each translator gave for one partition (absent: it had nothing).
 *
 * @group Offsets
 */
export interface TranslationCandidates {
  /** From the timestamp lookup. */
  timestamp?: string
  /** From MM2's checkpoint. */
  mm2?: string
  /** The checkpoint's offset unchanged. */
  identity?: string
}

/**
 * The translated position of one target partition.
 *
 * @group Offsets
 */
export interface TranslatedPartition {
  /** Physical topic on the target cluster. */
  topic: string
  /** Partition. */
  partition: number
  /** Offset to commit, decimal string, within the partition's [low, high] watermarks. */
  offset: string
  /** How it was found. */
  method: TranslationMethod
  /** The checkpoint used (absent for `earliest`/`latest` without a checkpoint). */
  checkpoint?: Checkpoint
  /** Every translator's lower bound (empty for `native`). */
  candidates: TranslationCandidates
  /**
   * Set when the target's copy held no record at or after the checkpoint's timestamp (less the
   * safety margin) yet: replication is behind the checkpoint, and `offset` is the copy's end. This
   * is the timestamp the lookup used. Records replicated there later that come before the first
   * one at or after it were processed on the origin: a consumer starting at `offset` skips them,
   * as the lookup would have on a complete copy (the kafkajs-dr consumer does).
   */
  pendingTimestamp?: number
}

/**
 * A translator that declined a partition, and why.
 *
 * @group Offsets
 */
export interface RefusedTranslation {
  /** Physical topic on the target. */
  topic: string
  /** Partition. */
  partition: number
  /** The translator that refused. */
  translator: TranslatorName
  /** The reason, as a typed error (never thrown). */
  error: TranslationRefusedError
}

/**
 * Why a checkpoint found no partition on the target.
 *
 * @group Offsets
 */
export type UnmappedReason = 'partition-missing' | 'topic-missing' | 'unknown-cluster'

/**
 * A checkpoint of the group whose position has no place on the target.
 *
 * @group Offsets
 */
export interface UnmappedCheckpoint {
  /** The checkpoint. */
  checkpoint: Checkpoint
  /** The topic it maps to on the target, when the mapping got that far. */
  targetTopic?: string
  /** Why it did not map. */
  reason: UnmappedReason
}

/**
 * A target partition that got no translated position, and what was used instead.
 *
 * @group Offsets
 */
export interface MissingPosition {
  /** Physical topic on the target. */
  topic: string
  /** Partition. */
  partition: number
  /** `no-checkpoint`, or `untranslatable` when a checkpoint exists but no translator gave a bound. */
  reason: 'no-checkpoint' | 'untranslatable'
  /** What the missing-checkpoint policy chose. */
  resolvedTo: 'earliest' | 'latest'
  /** The checkpoint that could not be translated, if any. */
  checkpoint?: Checkpoint
}

/**
 * Result of `translateOffsets`: what to commit, and everything that explains it.
 *
 * @group Offsets
 */
export interface TranslationResult {
  /** Consumer group. */
  group: string
  /** Cluster translated to. */
  targetCluster: string
  /** One entry per partition of the requested topics that exist on the target, sorted. */
  partitions: TranslatedPartition[]
  /** Translators that declined (for example `timestamp` on a `LogAppendTime` topic). */
  refused: RefusedTranslation[]
  /** Checkpoints that name a partition or topic the target does not have, sorted by cluster, topic and partition. */
  unmapped: UnmappedCheckpoint[]
  /** Partitions resolved by the missing-checkpoint policy. */
  missing: MissingPosition[]
  /** Requested topics that do not exist on the target (they get no entry in `partitions`). */
  missingTopics: string[]
  /** Checkpoints of the group read (after newest-wins per position). */
  checkpointsRead: number
  /**
   * Records of the checkpoint topics read (kafkajs-dr's and MM2's) that could not be decoded and
   * were skipped: malformed, truncated, or written in a key or value format version this release
   * does not know (for example by a newer kafkajs-dr, or a newer MirrorMaker 2). Each may have
   * held a position of the group, so a partition reported `missing` may not really lack a
   * checkpoint; anything above 0 deserves a look (the reader logs the first few). Records of
   * kafkajs-dr's topic whose key names another group are not decoded further and not counted.
   */
  undecodableCheckpoints: number
  /** Time spent reading checkpoint topics, in ms. */
  readMs: number
  /** Time for the whole translation, in ms. */
  durationMs: number
}
