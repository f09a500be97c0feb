/**
 * Offsets by timestamp for many partitions at once: one `ListOffsets` request per partition
 * leader, each partition with a timestamp of its own. kafkajs' admin asks one timestamp per call,
 * for every partition of the topic, and sends a second request for the high watermarks: a
 * translation of N partitions with N distinct checkpoint timestamps cost 2N requests of N
 * partitions each. Uses kafkajs' cluster factory (see `kafkajs-internals.ts`); without it, the
 * admin's one-timestamp calls are the fallback.
 *
 * @module
 */
import type { Admin, Kafka } from 'kafkajs'
import { partitionKey } from '../util/partition-key.js'
import { clusterFactoryOf, READ_COMMITTED, type KafkajsListOffsetsTopic } from './kafkajs-internals.js'

/** One partition's question: where is its first record at or after `timestamp`? */
export interface TimestampQuery {
  topic: string
  partition: number
  /** In ms since the epoch; never negative (those are ListOffsets' "latest" and "earliest"). */
  timestamp: number
}

/**
 * Answers queries: the offset of each partition's first record at or after its timestamp, by
 * `partitionKey`; `undefined` where the partition has no such record yet.
 */
export type TimestampLookup = (queries: readonly TimestampQuery[]) => Promise<Map<string, string | undefined>>

/** At most this many admin lookups in flight in the fallback: one per distinct (topic, timestamp). */
const ADMIN_LOOKUP_CONCURRENCY = 8

/** The batched lookup through `kafka`'s own cluster factory, or the admin's one-timestamp calls without one. */
export function timestampLookup(kafka: Kafka, admin: Admin): TimestampLookup {
  const createCluster = clusterFactoryOf(kafka)
  if (createCluster === undefined) return (queries) => adminLookup(admin, queries)
  return async (queries) => {
    const found = new Map<string, string | undefined>()
    if (queries.length === 0) return found
    const cluster = createCluster({ allowAutoTopicCreation: false })
    try {
      await cluster.connect()
      const topics = [...new Set(queries.map((q) => q.topic))]
      await cluster.addMultipleTargetTopics(topics)
      // Partition leader -> the topics and partitions it is asked about.
      const byLeader = new Map<string, Map<string, Array<{ partition: number; timestamp: number }>>>()
      for (const topic of topics) {
        const asked = queries.filter((q) => q.topic === topic)
        const leaders = cluster.findLeaderForPartitions(
          topic,
          asked.map((q) => q.partition),
        )
        for (const [nodeId, partitions] of Object.entries(leaders)) {
          const ofLeader = byLeader.get(nodeId) ?? new Map<string, Array<{ partition: number; timestamp: number }>>()
          ofLeader.set(
            topic,
            asked.filter((q) => partitions.includes(q.partition)).map(({ partition, timestamp }) => ({ partition, timestamp })),
          )
          byLeader.set(nodeId, ofLeader)
        }
      }
      await Promise.all(
        [...byLeader].map(async ([nodeId, ofLeader]) => {
          const broker = await cluster.findBroker({ nodeId })
          const request: KafkajsListOffsetsTopic[] = [...ofLeader].map(([topic, partitions]) => ({ topic, partitions }))
          const { responses } = await broker.listOffsets({ isolationLevel: READ_COMMITTED, topics: request })
          for (const { topic, partitions } of responses) {
            for (const { partition, offset } of partitions)
              found.set(partitionKey(topic, partition), BigInt(offset) < 0n ? undefined : offset)
          }
        }),
      )
      return found
    } finally {
      await cluster.disconnect().catch(() => {})
    }
  }
}

/** The fallback: one admin call per distinct (topic, timestamp), a few at a time. */
async function adminLookup(admin: Admin, queries: readonly TimestampQuery[]): Promise<Map<string, string | undefined>> {
  const found = new Map<string, string | undefined>()
  const calls = [...new Set(queries.map((q) => JSON.stringify([q.topic, q.timestamp])))].map((key) => JSON.parse(key) as [string, number])
  const work = async (): Promise<void> => {
    for (let call = calls.shift(); call !== undefined; call = calls.shift()) {
      const [topic, timestamp] = call
      // kafkajs answers "no record at or after it" with the high watermark, not -1.
      const offsets = new Map((await admin.fetchTopicOffsetsByTimestamp(topic, timestamp)).map((o) => [o.partition, o.offset]))
      for (const q of queries)
        if (q.topic === topic && q.timestamp === timestamp) found.set(partitionKey(topic, q.partition), offsets.get(q.partition))
    }
  }
  await Promise.all(Array.from({ length: Math.min(ADMIN_LOOKUP_CONCURRENCY, calls.length) }, work))
  return found
}
