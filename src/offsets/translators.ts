/**
 * The translators that need the target cluster: timestamp lookup (with the `LogAppendTime`
 * refusal) and MM2 checkpoint lookup. Each object lives for one translation, so its caches
 * never go stale.
 *
 * @module
 */
import kafkajs from 'kafkajs'
import type { Admin } from 'kafkajs'
import { TranslationRefusedError } from '../errors/index.js'
import type { Checkpoint } from './checkpoint-codec.js'
import type { Mm2CheckpointEntry } from './checkpoint-reader.js'
import type { TimestampLookup, TimestampQuery } from '../cluster/offsets-by-timestamp.js'
import { partitionKey } from '../util/partition-key.js'
import type { TargetPartition } from './translation-plan.js'

const { ConfigResourceTypes } = kafkajs

/**
 * Translates by timestamp: the first offset on the target whose timestamp is ≥ the checkpoint's
 * (minus the safety margin). Replication keeps a partition's order and the record's CreateTime,
 * so the replica of the last processed record sits at or after that offset: the group re-reads
 * at most the records sharing that timestamp, and never skips one. Every partition is looked up
 * in one batch ({@link prepare}), one request per partition leader.
 *
 * The lookup is refused for target topics with `message.timestamp.type=LogAppendTime`: there
 * the replica's timestamps are replication times and the lookup could land anywhere. MM2 does not
 * copy that setting, so a replica can differ from its source.
 */
export class TimestampTranslator {
  private readonly types = new Map<string, string | undefined>()
  private found = new Map<string, string | undefined>()

  constructor(
    private readonly admin: Admin,
    private readonly lookup: TimestampLookup,
    private readonly cluster: string,
    private readonly safetyMarginMs: number,
  ) {}

  /**
   * Reads the `message.timestamp.type` of the targets' topics (one request), then looks up every
   * checkpoint's timestamp on its target partition at once.
   */
  async prepare(targets: ReadonlyArray<{ target: TargetPartition; checkpoint: Checkpoint }>): Promise<void> {
    const topics = [...new Set(targets.map((t) => t.target.topic))]
    if (topics.length === 0) return
    const described = await this.admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['message.timestamp.type'] })),
    })
    for (const topic of topics) {
      this.types.set(
        topic,
        described.resources.find((r) => r.resourceName === topic)?.configEntries.find((e) => e.configName === 'message.timestamp.type')
          ?.configValue,
      )
    }
    const queries: TimestampQuery[] = targets
      .filter(({ target, checkpoint }) => checkpoint.timestamp >= 0 && this.types.get(target.topic) !== 'LogAppendTime')
      .map(({ target, checkpoint }) => ({ topic: target.topic, partition: target.partition, timestamp: this.lookupTimestamp(checkpoint) }))
    this.found = await this.lookup(queries)
  }

  /**
   * The lower bound for `checkpoint` on `target` (looked up by {@link prepare}): where no record
   * at or after the timestamp has arrived yet, the partition's end. `undefined` when the
   * checkpoint has no timestamp, a {@link TranslationRefusedError} when the topic uses
   * `LogAppendTime`.
   */
  translate(target: TargetPartition, checkpoint: Checkpoint): string | TranslationRefusedError | undefined {
    if (checkpoint.timestamp < 0) return undefined
    const { topic, partition } = target
    if (this.types.get(topic) === 'LogAppendTime') {
      return new TranslationRefusedError(
        `Refusing timestamp translation for '${topic}' partition ${partition} on '${this.cluster}': the topic has message.timestamp.type=LogAppendTime, so its timestamps are not the records' CreateTime`,
        { cluster: this.cluster, topic, partition, group: checkpoint.group },
      )
    }
    const key = partitionKey(topic, partition)
    if (!this.found.has(key)) return undefined
    // No record at or after it yet: the translation marks the partition (`pendingTimestamp`).
    return this.found.get(key) ?? target.high
  }

  /** The timestamp looked up for `checkpoint`: its own, less the safety margin. */
  lookupTimestamp(checkpoint: Checkpoint): number {
    // Never below 0: negative timestamps are ListOffsets' "latest" (-1) and "earliest" (-2).
    return Math.max(0, checkpoint.timestamp - this.safetyMarginMs)
  }
}

/**
 * MM2's checkpoints indexed by (source cluster, target topic, partition). MM2 writes
 * `<source>.checkpoints.internal` on the target with the target-side topic name, so a kafkajs-dr
 * checkpoint of cluster `C` finds MM2's in the entries of source `C`.
 */
export class Mm2Lookup {
  private readonly index = new Map<string, Mm2CheckpointEntry>()

  constructor(entries: readonly Mm2CheckpointEntry[], group: string) {
    for (const entry of entries) {
      if (entry.group === group) this.index.set(`${entry.sourceCluster}\u0000${partitionKey(entry.topic, entry.partition)}`, entry)
    }
  }

  /** MM2's translated offset for the group's position on `sourceCluster`, or `undefined`. */
  translate(sourceCluster: string, topic: string, partition: number): string | undefined {
    return this.index.get(`${sourceCluster}\u0000${partitionKey(topic, partition)}`)?.offset
  }
}
