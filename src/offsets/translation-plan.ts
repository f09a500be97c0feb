/**
 * The pure steps of offset translation, kept apart from I/O so they can be tested alone:
 * mapping checkpoints to target partitions (newest wins), combining translators' lower bounds
 * (maximum), and the missing-checkpoint policy.
 *
 * @module
 */
import { MissingCheckpointError } from '../errors/index.js'
import type { ReplicationPolicy } from '../topology/replication-policy.js'
import { translatePhysicalTopic } from '../topology/replication-policy.js'
import type { Checkpoint } from './checkpoint-codec.js'
import type {
  MissingCheckpointPolicy,
  MissingPosition,
  TranslationCandidates,
  TranslatorName,
  UnmappedCheckpoint,
} from './translation-types.js'
import { partitionKey } from '../util/partition-key.js'

/** A partition of a requested topic on the target, with its watermarks (decimal strings). */
export interface TargetPartition {
  topic: string
  partition: number
  low: string
  high: string
}

/** The checkpoint chosen for one target partition. */
export interface SelectedCheckpoint {
  checkpoint: Checkpoint
  /** Physical topic on the target. */
  topic: string
  partition: number
  /** Whether the checkpoint was written for the target cluster itself (its offset is native there). */
  native: boolean
}

/**
 * Maps each checkpoint to its partition on the target and keeps the newest `writtenAt` per
 * partition; on a tie a native checkpoint wins (its offset is exact). Checkpoints whose topic is
 * not requested are ignored; those whose partition or topic the target lacks are reported as
 * unmapped, never dropped silently: one entry per source position (group, cluster, topic,
 * partition), the newest, however many copies of it were read.
 *
 * @param partitions - partitions of each requested topic on the target; a requested topic that
 * does not exist there maps to `undefined`
 */
export function selectCheckpoints(
  checkpoints: readonly Checkpoint[],
  targetCluster: string,
  policy: ReplicationPolicy,
  partitions: ReadonlyMap<string, ReadonlySet<number> | undefined>,
): { selected: Map<string, SelectedCheckpoint>; unmapped: UnmappedCheckpoint[] } {
  const selected = new Map<string, SelectedCheckpoint>()
  // The same position often comes twice (a replicated copy and the consumer's own, fresher one).
  const unmappedByPosition = new Map<string, UnmappedCheckpoint>()
  const report = (entry: UnmappedCheckpoint): void => {
    const { group, cluster, topic, partition, writtenAt } = entry.checkpoint
    const key = `${group}\u0000${cluster}\u0000${topic}\u0000${partition}`
    const held = unmappedByPosition.get(key)
    if (held === undefined || writtenAt > held.checkpoint.writtenAt) unmappedByPosition.set(key, entry)
  }
  for (const checkpoint of checkpoints) {
    const native = checkpoint.cluster === targetCluster
    let topic: string
    try {
      topic = native ? checkpoint.topic : translatePhysicalTopic(checkpoint.topic, checkpoint.cluster, targetCluster, policy)
    } catch {
      // The policy does not know the checkpoint's cluster (renamed or removed from the config).
      report({ checkpoint, reason: 'unknown-cluster' })
      continue
    }
    if (!partitions.has(topic)) continue
    const present = partitions.get(topic)
    if (present === undefined) {
      report({ checkpoint, targetTopic: topic, reason: 'topic-missing' })
      continue
    }
    if (!present.has(checkpoint.partition)) {
      report({ checkpoint, targetTopic: topic, reason: 'partition-missing' })
      continue
    }
    const key = partitionKey(topic, checkpoint.partition)
    const held = selected.get(key)
    if (held === undefined || isNewer(checkpoint, native, held))
      selected.set(key, { checkpoint, topic, partition: checkpoint.partition, native })
  }
  return { selected, unmapped: [...unmappedByPosition.values()] }
}

function isNewer(checkpoint: Checkpoint, native: boolean, held: SelectedCheckpoint): boolean {
  if (checkpoint.writtenAt !== held.checkpoint.writtenAt) return checkpoint.writtenAt > held.checkpoint.writtenAt
  return native && !held.native
}

/**
 * The largest of the translators' lower bounds: each never passes an unprocessed record, so the
 * largest is still safe and re-delivers the fewest records. On a tie the translator listed first
 * in `order` names the method.
 *
 * @returns `undefined` when no translator gave a bound
 */
export function maxLowerBound(
  candidates: TranslationCandidates,
  order: readonly TranslatorName[],
): { offset: bigint; method: TranslatorName } | undefined {
  let best: { offset: bigint; method: TranslatorName } | undefined
  for (const method of order) {
    const value = candidates[method]
    if (value === undefined) continue
    const offset = BigInt(value)
    if (best === undefined || offset > best.offset) best = { offset, method }
  }
  return best
}

/**
 * Keeps an offset within a partition's watermarks. Below `low` the records are gone (the consumer
 * would reset anyway); above `high` a commit would make the consumer reset by its own policy,
 * while `high` waits for the records still to be replicated.
 */
export function clampOffset(offset: bigint, low: string, high: string): bigint {
  const lo = BigInt(low)
  const hi = BigInt(high)
  return offset < lo ? lo : offset > hi ? hi : offset
}

/**
 * Applies the missing-checkpoint policy to partitions without a translated position.
 *
 * An empty partition (low watermark = high watermark) is never an error: there earliest and
 * latest are the same offset, and reading from it skips nothing. Under `error` it resolves to
 * `earliest`. (In an active-passive setup the standby's own topic is empty and never has a
 * checkpoint; without this rule `error` would fail every switch.)
 *
 * @throws {@link MissingCheckpointError} listing every non-empty such partition when `policy` is `error`
 */
export function resolveMissing(
  missing: ReadonlyArray<{ target: TargetPartition; reason: MissingPosition['reason']; checkpoint?: Checkpoint }>,
  policy: MissingCheckpointPolicy,
  context: { group: string; cluster: string },
): Array<MissingPosition & { offset: string }> {
  if (missing.length === 0) return []
  if (policy === 'error') {
    const ambiguous = missing.filter((m) => BigInt(m.target.low) !== BigInt(m.target.high))
    if (ambiguous.length > 0) {
      const listed = ambiguous
        .slice(0, 20)
        .map((m) => `${m.target.topic}[${m.target.partition}]${m.reason === 'untranslatable' ? ' (checkpoint not translatable)' : ''}`)
        .join(', ')
      const more = ambiguous.length > 20 ? ` and ${ambiguous.length - 20} more` : ''
      throw new MissingCheckpointError(
        `No usable checkpoint of group '${context.group}' for ${ambiguous.length} partition(s) on '${context.cluster}': ${listed}${more}; set onMissingCheckpoint to 'earliest' or 'latest' to start there instead`,
        { group: context.group, cluster: context.cluster },
      )
    }
  }
  const resolvedTo = policy === 'latest' ? 'latest' : 'earliest'
  return missing.map(({ target, reason, checkpoint }) => ({
    topic: target.topic,
    partition: target.partition,
    reason,
    resolvedTo,
    offset: resolvedTo === 'earliest' ? target.low : target.high,
    ...(checkpoint === undefined ? {} : { checkpoint }),
  }))
}
