/**
 * One-shot read of whole topics on one cluster: every record from the start up to the high
 * watermarks captured before reading. Shared by the kafkajs-dr and MM2 checkpoint readers and by
 * the `declared` discovery policy's control-topic reader.
 *
 * kafkajs has no consumer without a group (no `assign()`), so a throw-away group with a random id
 * reads without committing; with no committed offsets the broker deletes the group as soon as its
 * member leaves, and MM2 has nothing to copy.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import type { Admin, Consumer, Kafka, KafkaMessage } from 'kafkajs'
import { TimeoutError } from '../errors/index.js'
import { errorMessage, logger } from '../util/log.js'
import { withTimeout } from '../util/timeout.js'
import { disconnectQuietly } from './cluster-connection.js'
import { subscribeWhenKnown } from './new-topics.js'
import { partitionKey } from '../util/partition-key.js'

const log = logger('cluster')
const DISCONNECT_TIMEOUT_MS = 2000

/** Options of {@link readTopicsOnce}. */
export interface OneShotReadOptions {
  /** Bound on the whole read (watermarks, group join, fetches), in ms; a {@link TimeoutError} after it. */
  timeoutMs: number
  /**
   * A connected admin of the same cluster, reused for the watermarks (saves a connection). When
   * absent a temporary admin is connected and disconnected.
   */
  admin?: Admin
  /**
   * Bound on the consumer's (and temporary admin's) `disconnect()`, in ms: kafkajs's can hang on
   * a sick cluster. The read's result does not wait longer than this for it.
   *
   * @default 2000
   */
  disconnectTimeoutMs?: number
  /** Label for logs and errors, e.g. `checkpoints`. */
  what?: string
}

/** Options of {@link topicWatermarks}. */
export interface WatermarkOptions {
  /** A connected admin of the same cluster; when absent a temporary admin is connected and disconnected. */
  admin?: Admin
  /**
   * Bound on the temporary admin's `disconnect()`, in ms.
   *
   * @default 2000
   */
  disconnectTimeoutMs?: number
}

/** Low and high watermarks of one partition. */
export interface PartitionWatermarks {
  topic: string
  partition: number
  /** Offset of the first record still in the log. */
  low: bigint
  /** Offset the next record will get. */
  high: bigint
}

/** What {@link topicWatermarks} found. */
export interface TopicWatermarks {
  /** Every partition of the requested topics that exist. */
  partitions: PartitionWatermarks[]
  /** Requested topics that do not exist on the cluster. */
  missingTopics: string[]
}

/** What a one-shot read did. */
export interface OneShotReadStats {
  /** Topics read (they existed). */
  topics: string[]
  /** Requested topics that do not exist on the cluster. */
  missingTopics: string[]
  /** Partitions that held records to read. */
  partitions: number
  /** Records handed to the callback. */
  records: number
  /** Time for the whole read, disconnect included, in ms. */
  durationMs: number
  /** Time from start until the consumer received its first batch, in ms (absent when nothing was read). */
  firstBatchMs?: number
}

/** Called for each record read, in offset order within a partition. */
export type OneShotRecordHandler = (topic: string, partition: number, message: KafkaMessage) => void

/**
 * Reads every record of `topics` on one cluster up to their high watermarks as seen when the read
 * starts, then disconnects. Topics that do not exist are skipped (and reported). Records written
 * during the read may or may not be included.
 *
 * A partition is done when a batch ends at or past `high - 1`. Compaction leaves gaps but never
 * removes the last record of a partition (Kafka does not clean the active segment), and batches of
 * only control records or aborted records still report their last offset, so every partition
 * reaches its end.
 *
 * @throws {@link TimeoutError} when the end is not reached within `timeoutMs`; the kafkajs error
 * when the consumer crashes (it is configured not to restart)
 */
export async function readTopicsOnce(
  kafka: Kafka,
  topics: readonly string[],
  onRecord: OneShotRecordHandler,
  options: OneShotReadOptions,
): Promise<OneShotReadStats> {
  const started = Date.now()
  const what = options.what ?? 'topics'
  const disconnectTimeoutMs = options.disconnectTimeoutMs ?? DISCONNECT_TIMEOUT_MS
  const deadline = started + options.timeoutMs
  const remaining = (): number => Math.max(1, deadline - Date.now())
  const timeoutContext = `reading ${what} (${topics.join(', ')})`

  const { partitions, missingTopics } = await withTimeout(
    topicWatermarks(kafka, topics, { admin: options.admin, disconnectTimeoutMs }),
    remaining(),
    `${timeoutContext}: watermarks`,
  )
  // Only partitions that hold records: an empty one never delivers a batch to end on.
  const ends = new Map(partitions.filter((p) => p.high > p.low).map((p) => [partitionKey(p.topic, p.partition), p]))
  const stats: OneShotReadStats = {
    topics: topics.filter((t) => !missingTopics.includes(t)),
    missingTopics,
    partitions: ends.size,
    records: 0,
    durationMs: 0,
  }
  if (ends.size === 0) {
    stats.durationMs = Date.now() - started
    return stats
  }

  const consumer = kafka.consumer({
    groupId: `kafkajs-dr-reader-${randomBytes(8).toString('hex')}`,
    // The data is there already: a fetch returns at once for partitions with records; the wait
    // only matters for partitions already done, so keep it short.
    maxWaitTimeInMs: 50,
    sessionTimeout: 10_000,
    rebalanceTimeout: 10_000,
    heartbeatInterval: 1000,
    allowAutoTopicCreation: false,
    // A few quick retries (a coordinator still loading), then fail instead of restarting: the
    // caller's timeout bounds the read and it may retry elsewhere.
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000, restartOnFailure: async () => false },
  })
  try {
    await withTimeout(consume(consumer, ends, onRecord, stats, started), remaining(), timeoutContext)
  } catch (error) {
    if (error instanceof TimeoutError) {
      const left = [...ends.values()].map((e) => `${e.topic}[${e.partition}]`).join(', ')
      throw new TimeoutError(`${timeoutContext} did not reach the end within ${options.timeoutMs} ms; unfinished: ${left}`, {
        cause: error,
      })
    }
    throw error
  } finally {
    await disconnectQuietly(consumer, disconnectTimeoutMs)
  }
  stats.durationMs = Date.now() - started
  log(
    'read %s: %d records from %d partitions in %d ms (first batch after %s ms)',
    what,
    stats.records,
    stats.partitions,
    stats.durationMs,
    stats.firstBatchMs ?? '-',
  )
  return stats
}

function consume(
  consumer: Consumer,
  ends: Map<string, PartitionWatermarks>,
  onRecord: OneShotRecordHandler,
  stats: OneShotReadStats,
  started: number,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    // END_BATCH_PROCESS fires after the batch's records were handed over, and also for batches
    // made only of control or aborted records (kafkajs #1256), which eachBatch never sees.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const key = partitionKey(payload.topic, payload.partition)
      const end = ends.get(key)
      if (end !== undefined && BigInt(payload.lastOffset) + 1n >= end.high) ends.delete(key)
      if (ends.size === 0) resolve()
    })
    consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error))
    const topics = [...new Set([...ends.values()].map((e) => e.topic))]
    consumer
      .connect()
      .then(() => subscribeWhenKnown(consumer, { topics, fromBeginning: true }))
      .then(() =>
        consumer.run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            stats.firstBatchMs ??= Date.now() - started
            for (const message of batch.messages) {
              stats.records++
              try {
                onRecord(batch.topic, batch.partition, message)
              } catch (error) {
                // A throwing handler would make kafkajs re-deliver the batch forever.
                log('record handler failed on %s[%d]@%s: %s', batch.topic, batch.partition, message.offset, errorMessage(error))
              }
            }
          },
        }),
      )
      .catch(reject)
  })
}

/**
 * The low and high watermarks of every partition of `topics` that exist. Cheap next to a read (no
 * group join): the `declared` policy polls it every round and re-reads only when it changed.
 */
export async function topicWatermarks(kafka: Kafka, topics: readonly string[], options: WatermarkOptions = {}): Promise<TopicWatermarks> {
  const given = options.admin
  const admin = given ?? kafka.admin()
  try {
    if (given === undefined) await admin.connect()
    // listTopics first: fetchTopicOffsets on a missing topic retries UNKNOWN_TOPIC_OR_PARTITION.
    const existing = new Set(await admin.listTopics())
    const present = topics.filter((t) => existing.has(t))
    const partitions: PartitionWatermarks[] = []
    const missingTopics = topics.filter((t) => !existing.has(t))
    await Promise.all(
      present.map(async (topic) => {
        try {
          for (const p of await admin.fetchTopicOffsets(topic)) {
            partitions.push({ topic, partition: p.partition, low: BigInt(p.low), high: BigInt(p.high) })
          }
        } catch (error) {
          // Deleted between listTopics and here: same as missing.
          if ((error as { type?: string }).type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw error
          missingTopics.push(topic)
        }
      }),
    )
    return { partitions, missingTopics }
  } finally {
    if (given === undefined) await disconnectQuietly(admin, options.disconnectTimeoutMs ?? DISCONNECT_TIMEOUT_MS)
  }
}
