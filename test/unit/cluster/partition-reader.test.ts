/**
 * PartitionReader over a fake kafkajs cluster: one broker (node 1) leads every partition, and the
 * test decides what each fetch returns. Whether it reads real topics is shown by the integration
 * suite (every checkpoint view and declared policy reads through it).
 */
import kafkajs from 'kafkajs'
import { afterEach, describe, expect, it } from 'vitest'
import type {
  FetchedRecord,
  FetchPartitionRequest,
  FetchPartitionResponse,
  KafkajsCluster,
} from '../../../src/cluster/kafkajs-internals.js'
import { PartitionReader } from '../../../src/cluster/partition-reader.js'

type Fetched = Omit<FetchPartitionResponse, 'errorCode' | 'highWatermark'> & { highWatermark?: string }
type Answer = (topic: string, request: FetchPartitionRequest) => Fetched | Error | undefined

/** A record as kafkajs decodes it, of a batch outside any transaction unless `batch` says otherwise. */
const record = (
  offset: number,
  { control = false, key = null as Buffer | null, batch = { producerId: '-1', inTransaction: false } } = {},
): FetchedRecord => ({
  offset: String(offset),
  key,
  value: Buffer.from(`v${offset}`),
  timestamp: '0',
  attributes: 0,
  headers: {},
  isControlRecord: control,
  batchContext: batch,
})

/** A cluster whose topics each have `partitions` partitions; `answer` says what a fetch of each returns. */
function fakeCluster(partitions: Record<string, number>, answer: Answer) {
  const fetches: Array<Array<{ topic: string; partition: number; fetchOffset: string }>> = []
  /** Fetches under way per partition, and the most there ever were at once. */
  const inFlight = { now: new Map<string, number>(), max: new Map<string, number>() }
  const cluster: KafkajsCluster = {
    connect: async () => {},
    disconnect: async () => {},
    refreshMetadata: async () => {},
    addMultipleTargetTopics: async () => {},
    findTopicPartitionMetadata: (topic) => Array.from({ length: partitions[topic] ?? 0 }, (_, partitionId) => ({ partitionId })),
    // Even partitions on node 1, odd ones on node 2.
    findLeaderForPartitions: (_topic, ids) => {
      const byNode: Record<string, number[]> = {}
      for (const id of ids) (byNode[String(1 + (id % 2))] ??= []).push(id)
      return byNode
    },
    findGroupCoordinator: () => Promise.reject(new Error('unused')),
    fetchTopicsOffset: async (topics) =>
      topics.map(({ topic, partitions: ps }) => ({ topic, partitions: ps.map(({ partition }) => ({ partition, offset: '3' })) })),
    findBroker: async () => ({
      leaveGroup: () => Promise.reject(new Error('unused')),
      listOffsets: () => Promise.reject(new Error('unused')),
      fetch: async (request) => {
        fetches.push(
          request.topics.flatMap(({ topic, partitions: ps }) =>
            ps.map((p) => ({ topic, partition: p.partition, fetchOffset: p.fetchOffset })),
          ),
        )
        const keys = request.topics.flatMap(({ topic, partitions: ps }) => ps.map((p) => `${topic}[${p.partition}]`))
        for (const key of keys) {
          inFlight.now.set(key, (inFlight.now.get(key) ?? 0) + 1)
          inFlight.max.set(key, Math.max(inFlight.max.get(key) ?? 0, inFlight.now.get(key)!))
        }
        try {
          const responses = []
          for (const { topic, partitions: ps } of request.topics) {
            const answered: FetchPartitionResponse[] = []
            for (const p of ps) {
              const a = answer(topic, p)
              if (a instanceof Error) throw a
              answered.push({ errorCode: 0, highWatermark: p.fetchOffset, ...(a ?? { partition: p.partition, messages: [] }) })
            }
            responses.push({ topicName: topic, partitions: answered })
          }
          // A long poll with nothing to return waits a little, as a broker does.
          if (responses.every((r) => r.partitions.every((p) => p.messages.length === 0))) await new Promise((r) => setTimeout(r, 5))
          return { responses }
        } finally {
          for (const key of keys) inFlight.now.set(key, inFlight.now.get(key)! - 1)
        }
      },
    }),
  }
  return { createCluster: () => cluster, fetches, inFlight }
}

const readers: PartitionReader[] = []
afterEach(async () => {
  await Promise.all(readers.splice(0).map((r) => r.close(100)))
})

function reader(createCluster: () => KafkajsCluster) {
  const records: string[] = []
  const progress: string[] = []
  const r = new PartitionReader({
    cluster: 'dc1',
    what: 'test',
    createCluster,
    maxWaitTimeMs: 5,
    onRecord: (topic, partition, message) => {
      records.push(`${topic}[${partition}]@${message.offset}`)
    },
    onProgress: (topic, partition, next) => {
      progress.push(`${topic}[${partition}]->${next}`)
    },
  })
  readers.push(r)
  return { r, records, progress }
}

const until = async (done: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 5))
  expect(done()).toBe(true)
}

describe('PartitionReader', () => {
  it('reads every partition from its start and goes on from the offset after the last record', async () => {
    const { createCluster, fetches } = fakeCluster({ a: 2 }, (_topic, p) =>
      p.fetchOffset === '0' ? { partition: p.partition, messages: [record(0), record(1)] } : undefined,
    )
    const { r, records, progress } = reader(createCluster)
    r.follow(['a'])
    // One loop per leader: partition 0 on node 1, partition 1 on node 2.
    await until(() => fetches.length >= 4)
    expect(records.sort()).toEqual(['a[0]@0', 'a[0]@1', 'a[1]@0', 'a[1]@1'])
    expect(progress.sort()).toEqual(['a[0]->2', 'a[1]->2'])
    expect(fetches.flat()).toEqual(
      expect.arrayContaining([
        { topic: 'a', partition: 0, fetchOffset: '2' },
        { topic: 'a', partition: 1, fetchOffset: '2' },
      ]),
    )
  })

  it('hands on no control record and no record of an aborted transaction, yet moves past them', async () => {
    const { createCluster, fetches } = fakeCluster({ a: 1 }, (_topic, p) =>
      p.fetchOffset !== '0'
        ? undefined
        : {
            partition: 0,
            abortedTransactions: [{ producerId: '7', firstOffset: '1' }],
            messages: [
              record(0),
              record(1, { batch: { producerId: '7', inTransaction: true } }),
              // The abort marker of producer 7's transaction, then a commit marker of another's.
              record(2, { control: true, key: Buffer.from([0, 0, 0, 0]), batch: { producerId: '7', inTransaction: true } }),
              record(3, { control: true }),
            ],
          },
    )
    const { r, records, progress } = reader(createCluster)
    r.follow(['a'])
    await until(() => fetches.length >= 2)
    expect(records).toEqual(['a[0]@0'])
    expect(progress).toEqual(['a[0]->4'])
  })

  it('skips batches that compaction emptied: nothing decoded while the partition holds more', async () => {
    const { createCluster, fetches } = fakeCluster({ a: 1 }, (_topic, p) =>
      p.fetchOffset === '0' ? { partition: 0, highWatermark: '10', lastStableOffset: '10', messages: [] } : undefined,
    )
    const { r, records, progress } = reader(createCluster)
    r.follow(['a'])
    await until(() => fetches.length >= 2)
    expect(records).toEqual([])
    expect(progress).toEqual(['a[0]->10'])
    expect(fetches[1]).toEqual([{ topic: 'a', partition: 0, fetchOffset: '10' }])
  })

  it("goes on from the partition's start when the offset it had is gone (retention)", async () => {
    const { createCluster, fetches } = fakeCluster({ a: 1 }, (topic, p) =>
      p.fetchOffset === '0'
        ? new kafkajs.KafkaJSOffsetOutOfRange(new Error('OFFSET_OUT_OF_RANGE'), { topic, partition: p.partition })
        : p.fetchOffset === '3'
          ? { partition: 0, messages: [record(3)] }
          : undefined,
    )
    const { r, records } = reader(createCluster)
    r.follow(['a'])
    await until(() => records.length === 1)
    expect(records).toEqual(['a[0]@3'])
    expect(fetches.slice(0, 2).map((f) => f[0]!.fetchOffset)).toEqual(['0', '3'])
  })

  it('follows a new topic without reading the old ones again', async () => {
    const { createCluster, fetches } = fakeCluster({ a: 1, b: 1 }, (_topic, p) =>
      p.fetchOffset === '0' ? { partition: 0, messages: [record(0)] } : undefined,
    )
    const { r, records } = reader(createCluster)
    r.follow(['a'])
    await until(() => records.length === 1)
    r.follow(['a', 'b'])
    await until(() => records.length === 2)
    expect(records).toEqual(['a[0]@0', 'b[0]@0'])
    const last = fetches.at(-1)!
    expect(last).toEqual(
      expect.arrayContaining([
        { topic: 'a', partition: 0, fetchOffset: '1' },
        { topic: 'b', partition: 0, fetchOffset: '1' },
      ]),
    )
  })

  it("after one leader's fetch failed, reads each partition with one loop again: no record twice", async () => {
    let failed = false
    const started = Date.now()
    const { createCluster, inFlight } = fakeCluster({ a: 2 }, (_topic, p) => {
      const offset = Number(p.fetchOffset)
      // Partition 1 (node 2) fails once; partition 0 (node 1) gets a record every 10 ms, 60 in all.
      if (p.partition === 1 && !failed) {
        failed = true
        return new kafkajs.KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:2')
      }
      const arrived = Math.min(60, Math.floor((Date.now() - started) / 10))
      return p.partition === 0 && offset < arrived ? { partition: 0, messages: [record(offset)] } : undefined
    })
    const { r, records } = reader(createCluster)
    r.follow(['a'])
    await until(() => records.filter((x) => x.startsWith('a[0]')).length >= 60)
    await new Promise((resolve) => setTimeout(resolve, 50))
    const ofPartition0 = records.filter((x) => x.startsWith('a[0]'))
    expect(ofPartition0).toHaveLength(new Set(ofPartition0).size)
    expect(new Set(ofPartition0).size).toBe(60)
    // The failed round's loop for node 1 ended: never two fetches of partition 0 at once.
    expect(inFlight.max.get('a[0]')).toBe(1)
  })

  it('tries again after a failed fetch, and fetches nothing once closed', async () => {
    let failed = 0
    const { createCluster, fetches } = fakeCluster({ a: 1 }, (_topic, p) => {
      if (failed++ === 0) return new kafkajs.KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:1')
      return p.fetchOffset === '0' ? { partition: 0, messages: [record(0)] } : undefined
    })
    const { r, records } = reader(createCluster)
    r.follow(['a'])
    await until(() => records.length === 1)
    await r.close(100)
    const atClose = fetches.length
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(fetches.length).toBeLessThanOrEqual(atClose + 1)
  })
})
