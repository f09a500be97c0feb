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
import { CodecError } from '../errors.js'
import { errorMessage, logger } from '../util/log.js'
import { expectInt, expectObject, expectString, invalid } from '../util/validate.js'
import { decodeCheckpoint, decodeCheckpointKey, type Checkpoint } from './checkpoint-codec.js'
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
export async function readMm2Checkpoints(kafka: Kafka, sourceClusters: string[], group: string, timeoutMs: number, options: { admin?: Admin, separator?: string } = {}): Promise<Mm2CheckpointEntry[]> {
  const { mm2 } = await readCheckpointSources(kafka, { checkpointTopics: [], mm2SourceClusters: sourceClusters, mm2Separator: options.separator, group, timeoutMs, admin: options.admin })
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

  const ours = new Map<string, Map<string, Checkpoint>>(request.checkpointTopics.map((t) => [t, new Map()]))
  const theirs = new Map<string, { source: string, byKey: Map<string, Mm2CheckpointEntry> }>(
    request.mm2SourceClusters.map((source) => [mm2CheckpointsTopic(source, separator), { source, byKey: new Map() }]))
  let undecodable = 0

  const onRecord = (topic: string, partition: number, message: KafkaMessage): void => {
    try {
      const own = ours.get(topic)
      if (own !== undefined) return readOwn(own, message, group)
      const mm2 = theirs.get(topic)
      if (mm2 !== undefined) readMm2(mm2.byKey, mm2.source, message, group)
    } catch (error) {
      undecodable++
      if (undecodable <= MAX_LOGGED_BAD_RECORDS) log('skipping undecodable record %s[%d]@%s: %s', topic, partition, message.offset, errorMessage(error))
    }
  }
  const topics = [...ours.keys(), ...theirs.keys()]
  const stats = await readTopicsOnce(kafka, topics, onRecord, { timeoutMs, admin: request.admin, what: 'checkpoints' })
  if (undecodable > MAX_LOGGED_BAD_RECORDS) log('skipped %d undecodable checkpoint records in total', undecodable)

  return { checkpoints: newestPerPosition([...ours.values()]), mm2: [...theirs.values()].flatMap((t) => [...t.byKey.values()]), undecodable, stats }
}

function readOwn(byKey: Map<string, Checkpoint>, message: KafkaMessage, group: string | undefined): void {
  // The key alone decides the group: skip other groups without decoding their values.
  const key = decodeCheckpointKey(message.key)
  if (group !== undefined && key.group !== group) return
  const id = (message.key as Buffer).toString('latin1')
  const checkpoint = decodeCheckpoint(message.key, message.value)
  if (checkpoint === undefined) byKey.delete(id) // tombstone
  else byKey.set(id, checkpoint)
}

function readMm2(byKey: Map<string, Mm2CheckpointEntry>, sourceCluster: string, message: KafkaMessage, group: string | undefined): void {
  if (message.key === null) throw new CodecError('MM2 checkpoint record has no key')
  const id = message.key.toString('latin1')
  // MM2 writes no tombstones, but an operator cleaning the topic might.
  if (message.value === null) {
    byKey.delete(id)
    return
  }
  const checkpoint = decodeMm2Checkpoint(message.key, message.value)
  if (group !== undefined && checkpoint.group !== group) return
  byKey.set(id, { ...checkpoint, sourceCluster })
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
