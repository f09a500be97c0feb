/**
 * One-shot read of whole topics: every record from the low watermark up to the high watermark
 * seen when the read starts. kafkajs has no consumer without a group, so a throw-away group reads
 * without committing; the group disappears once it is empty.
 */
import { randomBytes } from 'node:crypto'
import type { Kafka, KafkaMessage } from 'kafkajs'
import { TimeoutError } from '../errors.js'
import { disconnectQuietly, FAILOVER_RETRY } from './cluster-connection.js'

/** A record handed to {@link readTopicsToEnd}'s callback. */
export interface ReadMessage {
  topic: string
  partition: number
  message: KafkaMessage
}

/** Options of {@link readTopicsToEnd}. */
export interface ReadTopicsOptions {
  /** Give up (TimeoutError) after this long, in ms. */
  timeoutMs: number
  /** Prefix of the throw-away group id. */
  groupPrefix?: string
}

/**
 * Calls `onMessage` for every record of `topics` up to their current end, in partition order.
 * Topics that do not exist are skipped. The consumer is always disconnected (bounded).
 */
export async function readTopicsToEnd(kafka: Kafka, topics: readonly string[], onMessage: (record: ReadMessage) => void, options: ReadTopicsOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs
  const ends = await endOffsets(kafka, topics)
  const pending = new Map([...ends].filter(([, end]) => end.high > end.low))
  if (pending.size === 0) return
  const consumer = kafka.consumer({
    groupId: `${options.groupPrefix ?? 'kafkajs-dr-reader'}-${randomBytes(6).toString('hex')}`,
    maxWaitTimeInMs: 100,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    retry: FAILOVER_RETRY,
    allowAutoTopicCreation: false,
  })
  try {
    const done = new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error))
      void consumer.connect()
        .then(() => consumer.subscribe({ topics: [...new Set([...pending.keys()].map((k) => k.slice(0, k.lastIndexOf(':'))))], fromBeginning: true }))
        .then(() => consumer.run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const key = `${batch.topic}:${batch.partition}`
            const end = pending.get(key)
            if (!end) return
            for (const message of batch.messages) {
              if (BigInt(message.offset) >= end.high) break
              onMessage({ topic: batch.topic, partition: batch.partition, message })
            }
            // Compacted topics have gaps: the end is reached when the batch passes high - 1.
            const last = batch.messages.at(-1)
            if (last && BigInt(last.offset) >= end.high - 1n) pending.delete(key)
            if (BigInt(batch.highWatermark) <= end.low) pending.delete(key)
            if (pending.size === 0) resolve()
          },
        }))
        .catch(reject)
    })
    const remaining = Math.max(0, deadline - Date.now())
    let timer: NodeJS.Timeout | undefined
    await Promise.race([done, new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(`reading ${topics.join(', ')} did not reach the end within ${options.timeoutMs} ms`)), remaining)
    })]).finally(() => clearTimeout(timer))
  } finally {
    await disconnectQuietly(consumer, 5000)
  }
}

/** Low and high watermarks per `topic:partition` of the topics that exist. */
export async function endOffsets(kafka: Kafka, topics: readonly string[]): Promise<Map<string, { low: bigint, high: bigint }>> {
  const admin = kafka.admin({ retry: FAILOVER_RETRY })
  const ends = new Map<string, { low: bigint, high: bigint }>()
  await admin.connect()
  try {
    const existing = new Set(await admin.listTopics())
    for (const topic of topics.filter((t) => existing.has(t))) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        ends.set(`${topic}:${p.partition}`, { low: BigInt(p.low), high: BigInt(p.high) })
      }
    }
    return ends
  } finally {
    await disconnectQuietly(admin, 5000)
  }
}
