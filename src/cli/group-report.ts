/**
 * What `status --group` reports about a consumer group on one cluster: its state and members, its
 * committed positions and their lag, and the group's checkpoints visible there (kafkajs-dr's, read
 * with the same collector the failover consumer and `translateOffsets` use, and MirrorMaker 2's).
 *
 * @module
 */
import type { Admin, Kafka } from 'kafkajs'
import { readTopicsOnce, topicWatermarks } from '../cluster/index.js'
import { CheckpointCollector } from '../offsets/checkpoint-reader.js'
import { checkpointTopicsOn, mm2SeparatorOf } from '../offsets/checkpoint-topic.js'
import type { Checkpoint } from '../offsets/checkpoint-codec.js'
import type { ReplicationPolicy } from '../topology/index.js'
import { partitionKey } from '../util/partition-key.js'

/** A committed position of the group. */
export interface CommittedPosition {
  topic: string
  partition: number
  /** The committed offset (the next record the group reads). */
  committed: string
  /** The partition's high watermark, when known. */
  high: string | null
  /** Records between the two, when known. */
  lag: number | null
}

/** A kafkajs-dr checkpoint of the group, as printed. */
export interface CheckpointPosition {
  /** The cluster the position belongs to (where the group consumed). */
  cluster: string
  /** Physical topic on that cluster. */
  topic: string
  partition: number
  /** Next offset to consume there. */
  offset: string
  /** CreateTime of the last processed record (ms since epoch), -1 when unknown. */
  timestamp: number
  /** When the checkpoint was written (ms since epoch, the writer's clock). */
  writtenAt: number
  /** The instance that wrote it, when the checkpoint names it. */
  writer: string | null
}

/** The group on one cluster. */
export interface GroupOnCluster {
  cluster: string
  /** Whether the cluster answered. */
  reachable: boolean
  /** Why not, or what part failed. */
  error: string | null
  /** The group's state (`Stable`, `Empty`, `Dead` for an unknown group, ...). */
  state: string | null
  /** Members of the group there. */
  members: number
  /** Their client ids. */
  memberClientIds: string[]
  /** Committed positions, by topic and partition. */
  committed: CommittedPosition[]
  /** Sum of the committed positions' lag (null when none is known). */
  lag: number | null
  /** The group's kafkajs-dr checkpoints visible on this cluster. */
  checkpoints: {
    /** How many positions. */
    count: number
    /** The newest one, with its age at the time of the report. */
    newest: (CheckpointPosition & { ageMs: number }) | null
    /** Every position, newest copy of each. */
    positions: CheckpointPosition[]
  }
  /** MirrorMaker 2's checkpoints of the group visible on this cluster. */
  mm2Checkpoints: number
}

/** What reading a group needs on one cluster. */
export interface GroupReadContext {
  cluster: string
  clusters: readonly string[]
  kafka: Kafka
  admin: Admin
  policy: ReplicationPolicy
  checkpointTopic: string
  timeoutMs: number
}

/**
 * Reads `groups` on one cluster: every group's state, members and committed positions, and one
 * read of the checkpoint topics for all of them.
 */
export async function readGroupsOn(ctx: GroupReadContext, groups: readonly string[]): Promise<GroupOnCluster[]> {
  const { admin } = ctx
  const others = ctx.clusters.filter((c) => c !== ctx.cluster)
  const collector = new CheckpointCollector(
    checkpointTopicsOn(ctx.cluster, ctx.clusters, ctx.policy, ctx.checkpointTopic),
    others,
    mm2SeparatorOf(ctx.policy),
    groups.length === 1 ? groups[0] : undefined,
  )
  const [described, offsets] = await Promise.all([
    admin.describeGroups([...groups]),
    Promise.all(groups.map((groupId) => admin.fetchOffsets({ groupId }))),
    readTopicsOnce(ctx.kafka, collector.topics, (topic, partition, message) => collector.add(topic, partition, message), {
      timeoutMs: ctx.timeoutMs,
      admin,
      what: 'checkpoints',
    }),
  ])
  const committedTopics = [...new Set(offsets.flatMap((o) => o.map((t) => t.topic)))]
  const highs = new Map<string, bigint>()
  if (committedTopics.length > 0) {
    const { partitions } = await topicWatermarks(ctx.kafka, committedTopics, { admin })
    for (const p of partitions) highs.set(partitionKey(p.topic, p.partition), p.high)
  }
  const now = Date.now()
  return groups.map((group, i) => {
    const description = described.groups.find((g) => g.groupId === group)
    const committed: CommittedPosition[] = offsets[i]!.flatMap((t) =>
      t.partitions
        .filter((p) => BigInt(p.offset) >= 0n)
        .map((p) => {
          const high = highs.get(partitionKey(t.topic, p.partition))
          return {
            topic: t.topic,
            partition: p.partition,
            committed: p.offset,
            high: high === undefined ? null : high.toString(),
            lag: high === undefined ? null : Number(high > BigInt(p.offset) ? high - BigInt(p.offset) : 0n),
          }
        }),
    ).sort(byTopicPartition)
    const lags = committed.map((c) => c.lag).filter((l): l is number => l !== null)
    const sources = collector.sources(group)
    const positions = sources.checkpoints
      .map(toPosition)
      .sort((a, b) => (a.cluster === b.cluster ? byTopicPartition(a, b) : a.cluster < b.cluster ? -1 : 1))
    const newest = positions.reduce<CheckpointPosition | undefined>(
      (n, p) => (n === undefined || p.writtenAt > n.writtenAt ? p : n),
      undefined,
    )
    return {
      cluster: ctx.cluster,
      reachable: true,
      error: null,
      state: description?.state ?? null,
      members: description?.members.length ?? 0,
      memberClientIds: [...new Set(description?.members.map((m) => m.clientId) ?? [])],
      committed,
      lag: lags.length === 0 ? null : lags.reduce((a, b) => a + b, 0),
      checkpoints: {
        count: positions.length,
        newest: newest === undefined ? null : { ...newest, ageMs: Math.max(0, now - newest.writtenAt) },
        positions,
      },
      mm2Checkpoints: sources.mm2.length,
    }
  })
}

/** The group on a cluster that could not be read. */
export function unreadable(cluster: string, reachable: boolean, error: string): GroupOnCluster {
  return {
    cluster,
    reachable,
    error,
    state: null,
    members: 0,
    memberClientIds: [],
    committed: [],
    lag: null,
    checkpoints: { count: 0, newest: null, positions: [] },
    mm2Checkpoints: 0,
  }
}

/** Whether anything on any cluster says the group exists: members, commits or checkpoints. */
export function groupIsKnown(views: readonly GroupOnCluster[]): boolean {
  return views.some(
    (v) =>
      v.members > 0 ||
      v.committed.length > 0 ||
      v.checkpoints.count > 0 ||
      v.mm2Checkpoints > 0 ||
      (v.state !== null && v.state !== 'Dead'),
  )
}

/** A checkpoint as the CLI's JSON shows it (the group report and `translate`). */
export function toPosition(c: Checkpoint): CheckpointPosition {
  return {
    cluster: c.cluster,
    topic: c.topic,
    partition: c.partition,
    offset: c.offset,
    timestamp: c.timestamp,
    writtenAt: c.writtenAt,
    writer: c.writer?.instance ?? null,
  }
}

function byTopicPartition(a: { topic: string; partition: number }, b: { topic: string; partition: number }): number {
  return a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1
}
