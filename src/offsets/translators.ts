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
import { partitionKey } from '../util/partition-key.js'

const { ConfigResourceTypes } = kafkajs

/** At most this many timestamp lookups in flight: one per distinct (topic, timestamp). */
const LOOKUP_CONCURRENCY = 8

/**
 * Translates by timestamp: the first offset on the target whose timestamp is ≥ the checkpoint's
 * (minus the safety margin). Replication keeps a partition's order and the record's CreateTime,
 * so the replica of the last processed record sits at or after that offset: the group re-reads
 * at most the records sharing that timestamp, and never skips one.
 *
 * The lookup is refused for target topics with `message.timestamp.type=LogAppendTime`: there
 * the replica's timestamps are replication times and the lookup could land anywhere. MM2 does not
 * copy that setting, so a replica can differ from its source.
 */
export class TimestampTranslator {
  private readonly types = new Map<string, Promise<string | undefined>>()
  private readonly lookups = new Map<string, Promise<Map<number, string>>>()
  private readonly queue: Array<() => void> = []
  private running = 0

  constructor(private readonly admin: Admin, private readonly cluster: string, private readonly safetyMarginMs: number) {}

  /** Reads `message.timestamp.type` of every topic in one request (cached for this translation). */
  prepare(topics: readonly string[]): Promise<void> {
    const unknown = topics.filter((t) => !this.types.has(t))
    if (unknown.length === 0) return Promise.resolve()
    const described = this.admin.describeConfigs({
      includeSynonyms: false,
      resources: unknown.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['message.timestamp.type'] })),
    })
    for (const topic of unknown) {
      const type = described.then((r) => r.resources.find((res) => res.resourceName === topic)?.configEntries.find((e) => e.configName === 'message.timestamp.type')?.configValue)
      // Whoever awaits it sees the failure; unawaited copies must not become unhandled rejections.
      type.catch(() => {})
      this.types.set(topic, type)
    }
    return described.then(() => undefined)
  }

  /**
   * The lower bound for `checkpoint` on the target's `topic`, `undefined` when the checkpoint has
   * no timestamp, or a {@link TranslationRefusedError} when the topic uses `LogAppendTime`.
   */
  async translate(topic: string, checkpoint: Checkpoint): Promise<string | TranslationRefusedError | undefined> {
    if (checkpoint.timestamp < 0) return undefined
    await this.prepare([topic])
    const type = await this.types.get(topic)
    if (type === 'LogAppendTime') {
      return new TranslationRefusedError(`Refusing timestamp translation for '${topic}' partition ${checkpoint.partition} on '${this.cluster}': the topic has message.timestamp.type=LogAppendTime, so its timestamps are not the records' CreateTime`, { cluster: this.cluster, topic, partition: checkpoint.partition, group: checkpoint.group })
    }
    const offsets = await this.lookup(topic, this.lookupTimestamp(checkpoint))
    return offsets.get(checkpoint.partition)
  }

  /** The timestamp looked up for `checkpoint`: its own, less the safety margin. */
  lookupTimestamp(checkpoint: Checkpoint): number {
    // Never below 0: negative timestamps are ListOffsets' "latest" (-1) and "earliest" (-2).
    return Math.max(0, checkpoint.timestamp - this.safetyMarginMs)
  }

  private lookup(topic: string, timestamp: number): Promise<Map<number, string>> {
    const key = partitionKey(topic, timestamp)
    let found = this.lookups.get(key)
    if (found === undefined) {
      // kafkajs answers "no record at or after T" with the high watermark (not -1): the
      // translation marks such a partition (`pendingTimestamp`).
      found = this.limited(() => this.admin.fetchTopicOffsetsByTimestamp(topic, timestamp))
        .then((offsets) => new Map(offsets.map((o) => [o.partition, o.offset])))
      this.lookups.set(key, found)
    }
    return found
  }

  private async limited<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= LOOKUP_CONCURRENCY) await new Promise<void>((resolve) => this.queue.push(resolve))
    this.running++
    try {
      return await task()
    } finally {
      this.running--
      this.queue.shift()?.()
    }
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
