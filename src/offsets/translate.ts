/**
 * Offset translation: where a consumer group should resume on another cluster, from the
 * checkpoints visible there. Used by the failover consumer on every switch, and by tools (the
 * operator CLI's `translate`).
 *
 * @module
 */
import type { Admin, Kafka } from 'kafkajs'
import { topicWatermarks } from '../cluster/one-shot-reader.js'
import { asKafkaDRError, UnknownClusterError } from '../errors/index.js'
import type { ReplicationPolicy } from '../topology/replication-policy.js'
import { logger } from '../util/log.js'
import { expectInt, expectObject, expectString, invalid } from '../util/validate.js'
import { DEFAULT_CHECKPOINT_TOPIC, type Checkpoint } from './checkpoint-codec.js'
import { readCheckpointSources } from './checkpoint-reader.js'
import type { CheckpointSourceReader } from './checkpoint-view.js'
import { checkpointTopicsOn, mm2SeparatorOf } from './checkpoint-topic.js'
import { partitionKey } from '../util/partition-key.js'
import { expectMissingCheckpointPolicy, expectTranslators } from './translation-options.js'
import { clampOffset, maxLowerBound, resolveMissing, selectCheckpoints, type TargetPartition } from './translation-plan.js'
import type {
  MissingCheckpointPolicy,
  MissingPosition,
  RefusedTranslation,
  TranslateOffsetsRequest,
  TranslatedPartition,
  TranslationCandidates,
  TranslationResult,
  TranslatorName,
} from './translation-types.js'
import { Mm2Lookup, TimestampTranslator } from './translators.js'
import { timestampLookup } from '../cluster/offsets-by-timestamp.js'

const log = logger('offsets')

const REQUEST_KEYS = [
  'group',
  'targetCluster',
  'admin',
  'kafka',
  'clusters',
  'policy',
  'topics',
  'checkpointTopic',
  'translators',
  'onMissingCheckpoint',
  'timestampSafetyMarginMs',
  'timeoutMs',
  'extraCheckpoints',
] as const

/**
 * Translates consumer group `group`'s positions onto `targetCluster` for the physical `topics`
 * the group will read there. Nothing is committed: pass the result to `commitTranslatedOffsets`.
 *
 * 1. Reads every copy of the checkpoint topic visible on the target (`kafkajs-dr.checkpoints`,
 *    `dc1.kafkajs-dr.checkpoints`, ...) and, for the `mm2` translator, MM2's
 *    `<source>.checkpoints.internal`, with one throw-away consumer (a failover consumer reads its
 *    warm view of them instead).
 * 2. Maps each checkpoint's (cluster, physical topic, partition) to the target with the
 *    replication policy; per target partition the newest `writtenAt` wins.
 * 3. A checkpoint of the target cluster itself is used as is (`native`). Any other is translated
 *    by every enabled translator; the offset is the maximum of their lower bounds.
 * 4. Partitions without a usable checkpoint follow `onMissingCheckpoint`.
 *
 * Every offset is clamped to the partition's watermarks.
 *
 * @throws `InvalidOptionError` for a bad request; `UnknownClusterError` when `targetCluster` is
 * not in `clusters`; `MissingCheckpointError` when `onMissingCheckpoint` is `error` and a
 * partition has no usable checkpoint; `TimeoutError` when the checkpoint topics cannot be read in
 * time; `KafkaClientError` (kafkajs' error as `cause`) when the target cluster does not answer
 * @example
 * ```ts
 * const result = await translateOffsets({ group: 'billing', targetCluster: 'dc2', admin, kafka, clusters: ['dc1', 'dc2'], policy, topics: ['orders', 'dc1.orders'] })
 * await commitTranslatedOffsets(admin, result)
 * ```
 *
 * @group Offsets
 */
export async function translateOffsets(request: TranslateOffsetsRequest): Promise<TranslationResult> {
  return translate(request, undefined)
}

/**
 * {@link translateOffsets} reading the checkpoint sources with `readCheckpoints` (a failover
 * consumer's warm view) instead of a one-shot read. Internal: not exported from the package.
 */
export function translateOffsetsWith(
  request: TranslateOffsetsRequest,
  readCheckpoints: CheckpointSourceReader,
): Promise<TranslationResult> {
  return translate(request, readCheckpoints)
}

async function translate(request: TranslateOffsetsRequest, reader: CheckpointSourceReader | undefined): Promise<TranslationResult> {
  const req = validateRequest(request, reader)
  try {
    return await translateValid(req)
  } catch (error) {
    throw asKafkaDRError(error, `Translating the offsets of group '${req.group}' onto '${req.targetCluster}' failed`, {
      cluster: req.targetCluster,
      group: req.group,
    })
  }
}

async function translateValid(req: ValidRequest): Promise<TranslationResult> {
  const started = Date.now()
  const { group, targetCluster, admin, policy, translators } = req

  const checkpointTopics = checkpointTopicsOn(targetCluster, req.clusters, policy, req.checkpointTopic)
  const mm2SourceClusters = translators.includes('mm2') ? req.clusters.filter((c) => c !== targetCluster) : []
  const readStarted = Date.now()
  let readMs = 0
  const [sources, targets] = await Promise.all([
    req
      .readCheckpoints({
        checkpointTopics,
        mm2SourceClusters,
        mm2Separator: mm2SeparatorOf(policy),
        group,
        timeoutMs: req.timeoutMs,
        admin,
      })
      .finally(() => {
        readMs = Date.now() - readStarted
      }),
    targetPartitions(req, admin),
  ])

  const present = new Map<string, Set<number> | undefined>(req.topics.map((t) => [t, undefined]))
  for (const p of targets.partitions) {
    const partitions = present.get(p.topic) ?? new Set<number>()
    partitions.add(p.partition)
    present.set(p.topic, partitions)
  }
  const { selected, unmapped } = selectCheckpoints([...sources.checkpoints, ...req.extraCheckpoints], targetCluster, policy, present)

  const timestamps = new TimestampTranslator(admin, timestampLookup(req.kafka, admin), targetCluster, req.timestampSafetyMarginMs)
  const mm2 = new Mm2Lookup(sources.mm2, group)
  const refused: RefusedTranslation[] = []
  if (translators.includes('timestamp')) {
    // Every partition at once: one ListOffsets per partition leader.
    await timestamps.prepare(
      targets.partitions.flatMap((target) => {
        const chosen = selected.get(partitionKey(target.topic, target.partition))
        return chosen === undefined || chosen.native ? [] : [{ target, checkpoint: chosen.checkpoint }]
      }),
    )
  }

  const partitions: TranslatedPartition[] = []
  const missing: Array<{ target: TargetPartition; reason: MissingPosition['reason']; checkpoint?: Checkpoint }> = []
  for (const target of targets.partitions) {
    const chosen = selected.get(partitionKey(target.topic, target.partition))
    if (chosen === undefined) {
      missing.push({ target, reason: 'no-checkpoint' })
      continue
    }
    const { checkpoint } = chosen
    if (chosen.native) {
      partitions.push({
        topic: target.topic,
        partition: target.partition,
        offset: clampOffset(BigInt(checkpoint.offset), target.low, target.high).toString(),
        method: 'native',
        checkpoint,
        candidates: {},
      })
      continue
    }
    const candidates = runTranslators(translators, target, checkpoint, timestamps, mm2, refused)
    const best = maxLowerBound(candidates, translators)
    if (best === undefined) {
      missing.push({ target, reason: 'untranslatable', checkpoint })
      continue
    }
    const offset = clampOffset(best.offset, target.low, target.high).toString()
    // No record at or after the timestamp: the lookup gave the partition's end.
    const behind = best.method === 'timestamp' && BigInt(offset) >= BigInt(target.high)
    partitions.push({
      topic: target.topic,
      partition: target.partition,
      offset,
      method: best.method,
      checkpoint,
      candidates,
      ...(behind ? { pendingTimestamp: timestamps.lookupTimestamp(checkpoint) } : {}),
    })
  }

  missing.sort((a, b) => byTopicPartition(a.target, b.target)) // kafkajs lists partitions in any order
  const resolved = resolveMissing(missing, req.onMissingCheckpoint, { group, cluster: targetCluster })
  for (const { offset, resolvedTo, topic, partition, checkpoint } of resolved) {
    partitions.push({ topic, partition, offset, method: resolvedTo, candidates: {}, ...(checkpoint === undefined ? {} : { checkpoint }) })
  }
  partitions.sort(byTopicPartition)
  refused.sort(byTopicPartition)
  // Sorted like the rest, whatever order the checkpoint topics were read in.
  unmapped.sort((a, b) =>
    a.checkpoint.cluster === b.checkpoint.cluster
      ? byTopicPartition(a.checkpoint, b.checkpoint)
      : a.checkpoint.cluster < b.checkpoint.cluster
        ? -1
        : 1,
  )
  const result: TranslationResult = {
    group,
    targetCluster,
    partitions,
    refused,
    unmapped,
    missing: resolved.map(({ offset: _offset, ...m }) => m),
    missingTopics: targets.missingTopics,
    checkpointsRead: sources.checkpoints.length,
    undecodableCheckpoints: sources.undecodable,
    readMs,
    durationMs: Date.now() - started,
  }
  log(
    'translated %d partitions of %s onto %s in %d ms (read %d ms): %d missing, %d unmapped, %d refused, %d undecodable checkpoint records',
    partitions.length,
    group,
    targetCluster,
    result.durationMs,
    readMs,
    result.missing.length,
    unmapped.length,
    refused.length,
    sources.undecodable,
  )
  return result
}

/**
 * Every enabled translator's lower bound for one partition. A refusal is recorded in `refused`
 * and leaves that translator without a candidate, so the others decide.
 */
function runTranslators(
  translators: readonly TranslatorName[],
  target: TargetPartition,
  checkpoint: Checkpoint,
  timestamps: TimestampTranslator,
  mm2: Mm2Lookup,
  refused: RefusedTranslation[],
): TranslationCandidates {
  const candidates: TranslationCandidates = {}
  for (const translator of translators) {
    if (translator === 'identity') {
      candidates.identity = checkpoint.offset
    } else if (translator === 'mm2') {
      const offset = mm2.translate(checkpoint.cluster, target.topic, target.partition)
      if (offset !== undefined) candidates.mm2 = offset
    } else {
      const offset = timestamps.translate(target, checkpoint)
      if (typeof offset === 'string') candidates.timestamp = offset
      else if (offset !== undefined) refused.push({ topic: target.topic, partition: target.partition, translator, error: offset })
    }
  }
  return candidates
}

/** Partitions and watermarks of the requested topics that exist on the target. */
async function targetPartitions(
  req: { kafka: Kafka; topics: readonly string[] },
  admin: Admin,
): Promise<{ partitions: TargetPartition[]; missingTopics: string[] }> {
  if (req.topics.length === 0) return { partitions: [], missingTopics: [] }
  const { partitions, missingTopics } = await topicWatermarks(req.kafka, req.topics, { admin })
  return { partitions: partitions.map((p) => ({ ...p, low: p.low.toString(), high: p.high.toString() })), missingTopics }
}

function byTopicPartition(a: { topic: string; partition: number }, b: { topic: string; partition: number }): number {
  return a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1
}

interface ValidRequest {
  group: string
  targetCluster: string
  admin: Admin
  kafka: TranslateOffsetsRequest['kafka']
  clusters: readonly string[]
  policy: ReplicationPolicy
  topics: string[]
  checkpointTopic: string
  translators: TranslatorName[]
  onMissingCheckpoint: MissingCheckpointPolicy
  timestampSafetyMarginMs: number
  timeoutMs: number
  extraCheckpoints: Checkpoint[]
  readCheckpoints: CheckpointSourceReader
}

function validateRequest(request: TranslateOffsetsRequest, reader: CheckpointSourceReader | undefined): ValidRequest {
  const r = expectObject(request, 'request', REQUEST_KEYS)
  const group = expectString(r.group, 'group')
  const clusters = expectStrings(r.clusters, 'clusters', false)
  const targetCluster = expectString(r.targetCluster, 'targetCluster')
  if (!clusters.includes(targetCluster)) throw new UnknownClusterError(targetCluster, clusters)
  expectMethods(
    r.admin,
    'admin',
    ['fetchTopicOffsets', 'fetchTopicOffsetsByTimestamp', 'describeConfigs', 'listTopics'],
    'a connected kafkajs Admin of the target cluster',
  )
  expectMethods(r.kafka, 'kafka', ['consumer', 'admin'], 'the kafkajs Kafka client of the target cluster')
  expectMethods(r.policy, 'policy', ['parse', 'physicalTopic', 'physicalTopicsFor'], 'a ReplicationPolicy')
  return {
    group,
    targetCluster,
    admin: r.admin as Admin,
    kafka: r.kafka as TranslateOffsetsRequest['kafka'],
    clusters,
    policy: r.policy as ReplicationPolicy,
    topics: [...new Set(expectStrings(r.topics, 'topics', true))],
    checkpointTopic: expectString(r.checkpointTopic, 'checkpointTopic', DEFAULT_CHECKPOINT_TOPIC),
    translators: expectTranslators(r.translators, 'translators'),
    onMissingCheckpoint: expectMissingCheckpointPolicy(r.onMissingCheckpoint, 'onMissingCheckpoint'),
    timestampSafetyMarginMs: expectInt(r.timestampSafetyMarginMs, 'timestampSafetyMarginMs', 0, { min: 0 }),
    timeoutMs: expectInt(r.timeoutMs, 'timeoutMs', 10_000, { min: 1 }),
    extraCheckpoints: r.extraCheckpoints === undefined ? [] : expectArray(r.extraCheckpoints, 'extraCheckpoints'),
    readCheckpoints: reader ?? ((sourcesRequest) => readCheckpointSources(r.kafka as Kafka, sourcesRequest)),
  }
}

function expectArray(value: unknown, path: string): Checkpoint[] {
  if (!Array.isArray(value)) invalid(path, 'a list of checkpoints', value)
  return value as Checkpoint[]
}

function expectStrings(value: unknown, path: string, allowEmpty: boolean): string[] {
  if (!Array.isArray(value) || (!allowEmpty && value.length === 0))
    invalid(path, allowEmpty ? 'a list of names' : 'a non-empty list of names', value)
  return value.map((v, i) => expectString(v, `${path}[${i}]`))
}

function expectMethods(value: unknown, path: string, methods: readonly string[], expected: string): void {
  const object = value as Record<string, unknown> | null | undefined
  if (typeof object !== 'object' || object === null || methods.some((m) => typeof object[m] !== 'function')) invalid(path, expected, value)
}
