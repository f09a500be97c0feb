/**
 * One-shot readers of the checkpoint topics visible on one cluster: kafkajs-dr's own (local and
 * replicated copies) and MirrorMaker 2's `<source>.checkpoints.internal`. Both read through
 * {@link readTopicsOnce}; {@link readCheckpointSources} reads both kinds with a single throw-away
 * consumer, which is what a failover wants (one group join instead of two).
 *
 * @module
 */
import type { Admin, Kafka, KafkaMessage } from 'kafkajs'
import { readTopicsOnce, type OneShotReadStats } from '../cluster/index.js'
import { CodecError } from '../errors/index.js'
import { errorMessage, logger } from '../util/log.js'
import { expectInt, expectObject, expectString, invalid } from '../util/validate.js'
import { decodeCheckpoint, decodeCheckpointKey, type Checkpoint, type CheckpointWriterId } from './checkpoint-codec.js'
import { mm2CheckpointsTopic } from './checkpoint-topic.js'
import { decodeMm2Checkpoint, type Mm2Checkpoint } from './mm2-checkpoint-codec.js'

const log = logger('offsets')
// Enough to diagnose a poisoned topic without flooding the log.
const MAX_LOGGED_BAD_RECORDS = 5

/** Options of {@link readCheckpoints}. */
export interface ReadCheckpointsOptions {
  /** Keep only this consumer group's checkpoints; all groups when absent. */
  group?: string
  /** Bound on the read, in ms. */
  timeoutMs: number
  /** A connected admin of the same cluster, reused for the watermarks. */
  admin?: Admin
}

/** An MM2 checkpoint with the cluster whose group offsets it translates. */
export interface Mm2CheckpointEntry extends Mm2Checkpoint {
  /** The cluster the group consumed on (the `<source>` of `<source>.checkpoints.internal`). */
  sourceCluster: string
}

/** Request of {@link readCheckpointSources}. */
export interface CheckpointSourcesRequest {
  /** kafkajs-dr checkpoint topics to read (for example every copy visible on the cluster). */
  checkpointTopics: readonly string[]
  /** Clusters whose MM2 `<source>.checkpoints.internal` topics to read; none when empty. */
  mm2SourceClusters: readonly string[]
  /**
   * MM2's `replication.policy.separator`, used in the checkpoints topic's name.
   *
   * @default '.'
   */
  mm2Separator?: string
  /** Keep only this group's checkpoints; all groups when absent. */
  group?: string
  /** Bound on the read, in ms. */
  timeoutMs: number
  /** A connected admin of the same cluster, reused for the watermarks. */
  admin?: Admin
}

/** What {@link readCheckpointSources} found. */
export interface CheckpointSources {
  /** kafkajs-dr checkpoints: one per (group, cluster, topic, partition), the newest `writtenAt` across the topics read. */
  checkpoints: Checkpoint[]
  /** MM2 checkpoints: the last one per (source cluster, group, topic, partition). */
  mm2: Mm2CheckpointEntry[]
  /**
   * Records skipped because they could not be decoded: malformed or truncated, or with a key or
   * value format version this release does not know (the codecs reject those rather than guess).
   * Records of kafkajs-dr's topics whose key names another group are not counted: their values are
   * not decoded.
   */
  undecodable: number
  /** The read's figures. */
  stats: OneShotReadStats
}

/**
 * Reads every kafkajs-dr checkpoint in `topics` on one cluster (topics that do not exist are
 * skipped). Tombstones delete what their topic held for the key; undecodable records are skipped
 * and logged. When a position appears in several topics (a local and a replicated copy), the
 * newest `writtenAt` wins.
 *
 * @param kafka - client of the cluster to read
 * @param topics - checkpoint topics, e.g. `['kafkajs-dr.checkpoints', 'dc1.kafkajs-dr.checkpoints']`
 * @throws `TimeoutError` after `timeoutMs`; kafkajs errors when the cluster cannot be read
 * @example
 * ```ts
 * const checkpoints = await readCheckpoints(kafka, checkpointTopicsOn('dc2', clusters, policy, DEFAULT_CHECKPOINT_TOPIC), { group: 'billing', timeoutMs: 10_000 })
 * ```
 */
export async function readCheckpoints(kafka: Kafka, topics: string[], options: ReadCheckpointsOptions): Promise<Checkpoint[]> {
  expectObject(options, 'options', ['group', 'timeoutMs', 'admin'])
  const { checkpoints } = await readCheckpointSources(kafka, { ...options, checkpointTopics: topics, mm2SourceClusters: [] })
  return checkpoints
}

/**
 * Reads MM2's checkpoints of `group` from the `<source>.checkpoints.internal` topic of each source
 * cluster, on one (target) cluster. Topics that do not exist are skipped.
 *
 * @param kafka - client of the target cluster
 * @param sourceClusters - clusters the group consumed on, e.g. `['dc1']`
 * @throws `TimeoutError` after `timeoutMs`; kafkajs errors when the cluster cannot be read
 * @example
 * ```ts
 * const mm2 = await readMm2Checkpoints(dc2Kafka, ['dc1'], 'billing', 10_000)
 * ```
 */
export async function readMm2Checkpoints(
  kafka: Kafka,
  sourceClusters: string[],
  group: string,
  timeoutMs: number,
  options: { admin?: Admin; separator?: string } = {},
): Promise<Mm2CheckpointEntry[]> {
  const { mm2 } = await readCheckpointSources(kafka, {
    checkpointTopics: [],
    mm2SourceClusters: sourceClusters,
    mm2Separator: options.separator,
    group,
    timeoutMs,
    admin: options.admin,
  })
  return mm2
}

/**
 * Reads kafkajs-dr checkpoint topics and MM2 checkpoint topics on one cluster in a single pass
 * (one throw-away consumer).
 *
 * @throws `InvalidOptionError` for a bad request; `TimeoutError` after `timeoutMs`; kafkajs
 * errors when the cluster cannot be read
 */
export async function readCheckpointSources(kafka: Kafka, request: CheckpointSourcesRequest): Promise<CheckpointSources> {
  expectObject(request, 'request', ['checkpointTopics', 'mm2SourceClusters', 'mm2Separator', 'group', 'timeoutMs', 'admin'])
  if (request.timeoutMs === undefined) invalid('timeoutMs', 'an integer ≥ 1 (ms)', undefined)
  const timeoutMs = expectInt(request.timeoutMs, 'timeoutMs', 0, { min: 1 })
  const group = request.group === undefined ? undefined : expectString(request.group, 'group')
  const separator = expectString(request.mm2Separator, 'mm2Separator', '.')

  const collector = new CheckpointCollector(request.checkpointTopics, request.mm2SourceClusters, separator, group)
  const stats = await readTopicsOnce(kafka, collector.topics, (topic, partition, message) => collector.add(topic, partition, message), {
    timeoutMs,
    admin: request.admin,
    what: 'checkpoints',
  })
  return { ...collector.sources(group), stats }
}

/** A record held by a {@link CheckpointCollector}: the value (absent after a tombstone) and its offset. */
interface Held<T> {
  offset: bigint
  value: T | undefined
}

/** A writer whose newest checkpoint is older than this before the `since` it is asked about, in ms, is forgotten. */
const FORGET_WRITERS_AFTER_MS = 10 * 60_000

/**
 * Decodes checkpoint records (kafkajs-dr's and MM2's) as they are read and keeps the newest per
 * key and topic. A record at or below the offset already held for its key is ignored, so a reader
 * that reads a topic again from its start (a restarted tail) never goes back in time.
 */
export class CheckpointCollector {
  private readonly ours = new Map<string, Map<string, Held<Checkpoint>>>()
  private readonly theirs = new Map<string, { source: string; byKey: Map<string, Held<Mm2CheckpointEntry>> }>()
  /** The newest checkpoint's writer per group and instance: indexed as records come, read every second. */
  private readonly writers = new Map<string, Map<string, CheckpointWriterId & { writtenAt: number }>>()
  /** Records that could not be decoded (garbage, or a format version this release does not know). */
  undecodable = 0

  /**
   * @param checkpointTopics - kafkajs-dr checkpoint topics to collect
   * @param mm2SourceClusters - clusters whose MM2 `<source>.checkpoints.internal` to collect
   * @param group - keep only this group's checkpoints (all when absent)
   */
  constructor(
    checkpointTopics: readonly string[],
    mm2SourceClusters: readonly string[],
    separator: string,
    private readonly group?: string,
  ) {
    for (const topic of checkpointTopics) this.ours.set(topic, new Map())
    for (const source of mm2SourceClusters) this.theirs.set(mm2CheckpointsTopic(source, separator), { source, byKey: new Map() })
  }

  /** Every topic this collector reads. */
  get topics(): string[] {
    return [...this.ours.keys(), ...this.theirs.keys()]
  }

  /** Takes one record of one of {@link topics}; never throws. */
  add(topic: string, partition: number, message: KafkaMessage): void {
    try {
      const own = this.ours.get(topic)
      if (own !== undefined) return this.addOwn(own, message)
      const mm2 = this.theirs.get(topic)
      if (mm2 !== undefined) this.addMm2(mm2.byKey, mm2.source, message)
    } catch (error) {
      this.undecodable++
      if (this.undecodable <= MAX_LOGGED_BAD_RECORDS)
        log('skipping undecodable record %s[%d]@%s: %s', topic, partition, message.offset, errorMessage(error))
      else if (this.undecodable % 1000 === 0) log('skipped %d undecodable checkpoint records so far', this.undecodable)
    }
  }

  /** What was collected, for `group` (or every group the collector kept). */
  sources(group = this.group): Omit<CheckpointSources, 'stats'> {
    const wanted = <T extends { group: string }>(held: Held<T>): held is Held<T> & { value: T } =>
      held.value !== undefined && (group === undefined || held.value.group === group)
    const ours = [...this.ours.values()].map(
      (byKey) => new Map([...byKey].filter(([, held]) => wanted(held)).map(([id, held]) => [id, held.value!])),
    )
    const mm2 = [...this.theirs.values()].flatMap((t) => [...t.byKey.values()].filter(wanted).map((held) => held.value))
    return { checkpoints: newestPerPosition(ours), mm2, undecodable: this.undecodable }
  }

  /**
   * The writers of `group`'s checkpoints whose newest checkpoint was written at or after `since`
   * (ms since epoch): where each instance delivered last, as far as this collector has read.
   * Checkpoints without a writer (version 1.0) are not counted.
   */
  writersSince(group: string, since: number): Array<CheckpointWriterId & { writtenAt: number }> {
    const byInstance = this.writers.get(group)
    if (!byInstance) return []
    const recent: Array<CheckpointWriterId & { writtenAt: number }> = []
    for (const [instance, writer] of byInstance) {
      if (writer.writtenAt >= since) recent.push(writer)
      // Instances come and go (every restart is a new one): forget those long gone.
      else if (writer.writtenAt < since - FORGET_WRITERS_AFTER_MS) byInstance.delete(instance)
    }
    return recent
  }

  private addOwn(byKey: Map<string, Held<Checkpoint>>, message: KafkaMessage): void {
    // The key alone decides the group: skip other groups without decoding their values.
    const key = decodeCheckpointKey(message.key)
    if (this.group !== undefined && key.group !== this.group) return
    const id = (message.key as Buffer).toString('latin1')
    if (!isNewer(byKey.get(id), message)) return
    // A tombstone deletes the position.
    const checkpoint = decodeCheckpoint(message.key, message.value)
    byKey.set(id, { offset: BigInt(message.offset), value: checkpoint })
    if (checkpoint?.writer !== undefined) this.noteWriter(checkpoint.group, { ...checkpoint.writer, writtenAt: checkpoint.writtenAt })
  }

  private noteWriter(group: string, writer: CheckpointWriterId & { writtenAt: number }): void {
    let byInstance = this.writers.get(group)
    if (!byInstance) this.writers.set(group, (byInstance = new Map<string, CheckpointWriterId & { writtenAt: number }>()))
    if ((byInstance.get(writer.instance)?.writtenAt ?? -1) < writer.writtenAt) byInstance.set(writer.instance, writer)
  }

  private addMm2(byKey: Map<string, Held<Mm2CheckpointEntry>>, sourceCluster: string, message: KafkaMessage): void {
    if (message.key === null) throw new CodecError('MM2 checkpoint record has no key')
    const id = message.key.toString('latin1')
    if (!isNewer(byKey.get(id), message)) return
    // MM2 writes no tombstones, but an operator cleaning the topic might.
    if (message.value === null) {
      byKey.set(id, { offset: BigInt(message.offset), value: undefined })
      return
    }
    const checkpoint = decodeMm2Checkpoint(message.key, message.value)
    if (this.group !== undefined && checkpoint.group !== this.group) return
    byKey.set(id, { offset: BigInt(message.offset), value: { ...checkpoint, sourceCluster } })
  }
}

function isNewer(held: Held<unknown> | undefined, message: KafkaMessage): boolean {
  return held === undefined || BigInt(message.offset) > held.offset
}

/** One checkpoint per (group, cluster, topic, partition): the newest `writtenAt`; on a tie the earlier topic's. */
function newestPerPosition(topics: ReadonlyArray<Map<string, Checkpoint>>): Checkpoint[] {
  const newest = new Map<string, Checkpoint>()
  for (const byKey of topics) {
    for (const [id, checkpoint] of byKey) {
      const held = newest.get(id)
      if (held === undefined || checkpoint.writtenAt > held.writtenAt) newest.set(id, checkpoint)
    }
  }
  return [...newest.values()]
}
