/**
 * Where an active session's partitions start: the group's position translated onto the session's
 * cluster from every checkpoint visible there (read from the warm checkpoint view, so no group
 * join), this instance's own latest positions, and the group's own commit on that cluster.
 *
 * @module
 */
import type { Admin } from 'kafkajs'
import type { FailoverContext } from '../cluster/index.js'
import type { CheckpointView } from '../offsets/checkpoint-view.js'
import { translateOffsetsWith } from '../offsets/translate.js'
import type { TranslationResult } from '../offsets/translation-types.js'
import { partitionKey } from '../util/partition-key.js'
import { withTimeout } from '../util/timeout.js'
import type { ProcessedPositions, TopicPartition } from './positions.js'
import type { ValidConsumerOptions } from './options.js'

/**
 * Why a session is being positioned. `start`: a fresh `run()`; `switch`: the active cluster
 * changed; `new-copies`: a restart on the same cluster with copies that appeared there.
 */
export type PositionReason = 'start' | 'switch' | 'new-copies'

/** What a {@link Positioner} works with. */
export interface PositionerSetup {
  ctx: FailoverContext
  groupId: string
  checkpointTopic: string
  options: ValidConsumerOptions
  /** The warm checkpoint view of each cluster. */
  view: (cluster: string) => CheckpointView
  /** This instance's processed positions, per cluster. */
  ownPositions: () => Iterable<ProcessedPositions>
  /** Told of every translation (the consumer's `offsets:translated` event). */
  onTranslated: (result: TranslationResult) => void
}

/** Where one partition starts. */
export interface StartPosition {
  offset: string
  /**
   * Records replicated at or after `offset` that come before the first one with this timestamp
   * or later are skipped: the copy's replication was behind the group's position, see
   * `TranslatedPartition.pendingTimestamp`.
   */
  skipBelowTimestamp?: number
}

/** Start positions by `partitionKey`; a partition without one starts where kafkajs would. */
export type StartPositions = ReadonlyMap<string, StartPosition>

/** Bound on the admin requests and the checkpoint view's catch-up of one positioning, in ms. */
const POSITION_TIMEOUT_MS = 10_000

/** One partition's translation and the group's commit on the target cluster. */
interface PartitionTranslation {
  key: string
  topic: string
  translated: bigint
  /** Translated from a checkpoint (not `onMissingCheckpoint`'s earliest or latest). */
  fromCheckpoint: boolean
  /** The group's commit there; undefined when it has none. */
  committed: bigint | undefined
  /** See `TranslatedPartition.pendingTimestamp`. */
  pendingTimestamp: number | undefined
}

/** Computes start offsets for an assignment; see the module description. */
export class Positioner {
  constructor(private readonly setup: PositionerSetup) {}

  /**
   * Start offsets of `assigned` partitions of `topics` on `cluster`, by {@link partitionKey}.
   *
   * Every partition starts at the larger of the translated position and the group's own commit
   * on the cluster: both are positions the group had processed up to (the commit possibly from
   * an earlier stay there), so the larger one loses nothing and repeats less. On `start` (a fresh
   * `run()`), partitions without any checkpoint are left to kafkajs and `fromBeginning`; this is
   * what lets an instance restarted during an outage resume from checkpoints on the survivor.
   * On `new-copies` the same holds, except that the `added` copies start at their translation or,
   * without a checkpoint, at their start. On `switch` every partition is positioned, following
   * `onMissingCheckpoint` where no checkpoint helps.
   */
  async positions(
    cluster: string,
    topics: readonly string[],
    assigned: readonly TopicPartition[],
    reason: PositionReason,
    added: readonly string[] = [],
  ): Promise<StartPositions> {
    const wanted = new Set(assigned.map((p) => partitionKey(p.topic, p.partition)))
    const assignedTopics = topics.filter((t) => assigned.some((p) => p.topic === t))
    const positions = new Map<string, StartPosition>()
    for (const p of await this.translated(cluster, assignedTopics, reason)) {
      if (!wanted.has(p.key)) continue
      if (reason !== 'switch' && !p.fromCheckpoint && !added.includes(p.topic)) continue
      positions.set(
        p.key,
        p.committed !== undefined && p.committed > p.translated ? { offset: p.committed.toString() } : translatedStart(p),
      )
    }
    return positions
  }

  /**
   * Start offsets for a fresh `run()` on `cluster`, worked out before the group join, for every
   * partition of `topics`: only where a checkpoint is ahead of the group's commit there (the group
   * moved on elsewhere, or has no commit here), since elsewhere kafkajs' own start (the group's
   * commit, read at the join) is as good and fresher. A session that has them at its join starts
   * its assignment at once, without the pause that a positioning at the join needs.
   */
  async startOffsets(cluster: string, topics: readonly string[]): Promise<StartPositions> {
    const positions = new Map<string, StartPosition>()
    for (const p of await this.translated(cluster, topics, 'start')) {
      if (p.fromCheckpoint && (p.committed === undefined || p.translated > p.committed)) positions.set(p.key, translatedStart(p))
    }
    return positions
  }

  /** Every partition of `topics` on `cluster`: its translated offset and the group's commit there. */
  private async translated(cluster: string, topics: readonly string[], reason: PositionReason): Promise<PartitionTranslation[]> {
    const { ctx, groupId, options } = this.setup
    if (topics.length === 0) return []
    const connection = ctx.connection(cluster)
    const admin = await connection.admin(POSITION_TIMEOUT_MS)
    const result = await translateOffsetsWith(
      {
        group: groupId,
        targetCluster: cluster,
        admin,
        kafka: connection.kafka,
        clusters: ctx.clusters.map((c) => c.name),
        policy: ctx.replicationPolicy,
        topics: [...topics],
        checkpointTopic: this.setup.checkpointTopic,
        translators: options.translators,
        // Only a switch may fail for want of a checkpoint; otherwise the group's commits and
        // `fromBeginning` decide (and new copies start at their start).
        onMissingCheckpoint: reason === 'switch' ? options.onMissingCheckpoint : 'earliest',
        timestampSafetyMarginMs: options.timestampSafetyMarginMs,
        timeoutMs: POSITION_TIMEOUT_MS,
        extraCheckpoints: [...this.setup.ownPositions()].flatMap((p) => p.checkpoints(groupId)),
      },
      this.setup.view(cluster).read,
    )
    this.setup.onTranslated(result)
    const committed = await this.committed(admin, topics)
    return result.partitions.map((p) => {
      const key = partitionKey(p.topic, p.partition)
      return {
        key,
        topic: p.topic,
        translated: BigInt(p.offset),
        fromCheckpoint: p.method !== 'earliest' && p.method !== 'latest',
        committed: committed.get(key),
        pendingTimestamp: p.pendingTimestamp,
      }
    })
  }

  /**
   * Brings `cluster`'s checkpoint view up to date ahead of a positioning there, while delivery
   * still goes on elsewhere: a view that was behind (its cluster just came back) then costs the
   * move no delivery time. Never rejects; a view still behind is waited for by the positioning.
   */
  async warm(cluster: string): Promise<void> {
    await this.setup
      .view(cluster)
      .caughtUp(POSITION_TIMEOUT_MS)
      .catch(() => {})
  }

  /** The group's committed offsets on the cluster (absent where it has none). */
  private async committed(admin: Admin, topics: readonly string[]): Promise<Map<string, bigint>> {
    const committed = new Map<string, bigint>()
    const fetched = await withTimeout(
      admin.fetchOffsets({ groupId: this.setup.groupId, topics: [...topics] }),
      POSITION_TIMEOUT_MS,
      `committed offsets of '${this.setup.groupId}'`,
      { group: this.setup.groupId },
    )
    for (const t of fetched) {
      for (const p of t.partitions) if (BigInt(p.offset) >= 0n) committed.set(partitionKey(t.topic, p.partition), BigInt(p.offset))
    }
    return committed
  }
}

/**
 * A start at the translated offset. Where the copy was behind the checkpoint, the records that
 * replication adds below its timestamp are skipped: a start at the copy's end alone would
 * deliver them all again (a failback once re-read 5,596 of 8,000 that way).
 */
function translatedStart(p: PartitionTranslation): StartPosition {
  const offset = p.translated.toString()
  return p.pendingTimestamp === undefined ? { offset } : { offset, skipBelowTimestamp: p.pendingTimestamp }
}
