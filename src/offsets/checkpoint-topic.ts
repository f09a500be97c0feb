/**
 * Names and creation of the topics that hold consumer checkpoints: kafkajs-dr's own compacted
 * checkpoint topic and its replicated copies, and MirrorMaker 2's `<source>.checkpoints.internal`.
 *
 * @module
 */
import kafkajs from 'kafkajs'
import type { Admin, ITopicConfig } from 'kafkajs'
import { waitForTopicLeaders } from '../cluster/index.js'
import type { ReplicationPolicy } from '../topology/replication-policy.js'
import { errorMessage, logger } from '../util/log.js'
import { expectInt, expectObject, expectString } from '../util/validate.js'
import { mm2DefaultExclusion } from '../topology/mm2-exclusions.js'

const { ConfigResourceTypes } = kafkajs
const log = logger('checkpoint')

/**
 * Topic configuration of a checkpoint topic created by {@link ensureCheckpointTopic}.
 *
 * - `cleanup.policy=compact`: the key is the position, so compaction keeps the newest checkpoint of
 *   each (group, cluster, topic, partition).
 * - `segment.ms` of 10 minutes and `min.cleanable.dirty.ratio` 0.1: Kafka never compacts the active
 *   segment, and by default it rolls only after 7 days or 1 GiB. A consumer writing one checkpoint per
 *   partition per second would grow the topic for a week, and a failover reads the whole topic.
 * - `min.compaction.lag.ms=0`: any checkpoint may be superseded as soon as a newer one exists.
 *
 * MM2 copies these settings to the replicas (`sync.topic.configs`), so the copies stay small too.
 */
export const CHECKPOINT_TOPIC_CONFIG: Readonly<Record<string, string>> = Object.freeze({
  'cleanup.policy': 'compact',
  'segment.ms': '600000',
  'min.cleanable.dirty.ratio': '0.1',
  'min.compaction.lag.ms': '0',
})

/** Options of {@link ensureCheckpointTopic}. */
export interface EnsureCheckpointTopicOptions {
  /**
   * Partitions of the topic when it is created. One is plenty for most deployments: a failover
   * reads the whole topic anyway.
   *
   * @default 1
   */
  numPartitions?: number
  /**
   * Replication factor when created; `-1` takes the broker's `default.replication.factor`.
   *
   * @default -1
   */
  replicationFactor?: number
  /** Extra or overriding topic configs, by name (e.g. `{ 'min.insync.replicas': '2' }`). */
  configs?: Record<string, string>
}

/**
 * Creates the compacted checkpoint topic on one cluster if it does not exist (see
 * {@link CHECKPOINT_TOPIC_CONFIG}). A concurrent creation by another instance is not an error.
 * An existing topic is left as it is; when it is not compacted a warning is logged, because the
 * topic would then grow without bound.
 *
 * @param admin - a connected admin of the cluster
 * @param topic - the checkpoint topic's name, normally {@link DEFAULT_CHECKPOINT_TOPIC}
 * @returns `true` when this call created the topic
 * @example
 * ```ts
 * await ensureCheckpointTopic(admin, DEFAULT_CHECKPOINT_TOPIC, { replicationFactor: 3 })
 * ```
 */
export async function ensureCheckpointTopic(admin: Admin, topic: string, options: EnsureCheckpointTopicOptions = {}): Promise<boolean> {
  expectString(topic, 'checkpoint.topic')
  expectObject(options, 'checkpoint', ['numPartitions', 'replicationFactor', 'configs'])
  const numPartitions = expectInt(options.numPartitions, 'checkpoint.numPartitions', 1, { min: 1 })
  const replicationFactor = expectInt(options.replicationFactor, 'checkpoint.replicationFactor', -1, { min: -1 })
  const configs = {
    ...CHECKPOINT_TOPIC_CONFIG,
    ...(options.configs === undefined ? {} : expectObject(options.configs, 'checkpoint.configs')),
  }
  const excludedBy = mm2DefaultExclusion(topic)
  if (excludedBy !== undefined) log('checkpoint topic %s matches MirrorMaker 2 default %s: MM2 will not replicate it', topic, excludedBy)
  if ((await admin.listTopics()).includes(topic)) {
    await warnIfNotCompacted(admin, topic)
    return false
  }
  const configEntries = Object.entries(configs).map(([name, value]) => ({ name, value: String(value) }))
  const spec: ITopicConfig = { topic, numPartitions, replicationFactor, configEntries }
  try {
    // kafkajs returns false when the broker answers TOPIC_ALREADY_EXISTS (another instance won).
    const created = await admin.createTopics({ topics: [spec], waitForLeaders: true })
    if (created) log('created checkpoint topic %s (%d partitions)', topic, numPartitions)
    return created
  } catch (error) {
    const type = (error as { type?: string }).type
    if (type === 'TOPIC_ALREADY_EXISTS') return false
    // The broker created it; kafkajs' wait for its leaders gave up on metadata not served yet.
    if (type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw error
    await waitForTopicLeaders(admin, topic)
    log('created checkpoint topic %s (%d partitions)', topic, numPartitions)
    return true
  }
}

async function warnIfNotCompacted(admin: Admin, topic: string): Promise<void> {
  try {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy'] }],
    })
    const policy = described.resources[0]?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue ?? ''
    if (!policy.split(',').includes('compact'))
      log('checkpoint topic %s has cleanup.policy=%s, not compact: it will grow without bound', topic, policy)
  } catch (error) {
    log('could not check cleanup.policy of %s: %s', topic, errorMessage(error))
  }
}

/**
 * Every copy of the checkpoint topic visible on `cluster`: the local one first, then one
 * replicated from each other cluster, named by the replication policy.
 *
 * @example
 * ```ts
 * checkpointTopicsOn('dc2', ['dc1', 'dc2'], policy) // ['kafkajs-dr.checkpoints', 'dc1.kafkajs-dr.checkpoints']
 * ```
 */
export function checkpointTopicsOn(cluster: string, clusters: readonly string[], policy: ReplicationPolicy, topic: string): string[] {
  return policy.physicalTopicsFor(topic, cluster, clusters)
}

/**
 * Name of the topic where MM2 writes, on a target cluster, the checkpoints of groups that consume
 * on `sourceCluster`: `<source><sep>checkpoints<sep>internal`. Since Kafka 3.1 (KIP-690) MM2 uses
 * `replication.policy.separator` there too, unless
 * `replication.policy.internal.topic.separator.enabled=false` (then always `.`).
 *
 * @param separator - MM2's separator
 * @default separator '.'
 * @example
 * ```ts
 * mm2CheckpointsTopic('dc1') // 'dc1.checkpoints.internal'
 * ```
 */
export function mm2CheckpointsTopic(sourceCluster: string, separator = '.'): string {
  return `${sourceCluster}${separator}checkpoints${separator}internal`
}

/** The separator MM2 uses with `policy`: the prefix policy's own, else MM2's default `.`. */
export function mm2SeparatorOf(policy: ReplicationPolicy): string {
  const separator = (policy as { separator?: unknown }).separator
  return typeof separator === 'string' && separator !== '' ? separator : '.'
}
