import type { Admin, Kafka } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { timestampLookup } from '../../../src/cluster/offsets-by-timestamp.js'
import type { KafkajsListOffsetsTopic } from '../../../src/cluster/kafkajs-internals.js'
import { partitionKey } from '../../../src/util/partition-key.js'

/** A kafkajs `Kafka` with the private cluster factory: partitions led by broker 1 (even) and 2 (odd); records at offset i have timestamp 100 + 10 i, 5 per partition. */
function fakeKafka() {
  const requests: Array<{ nodeId: string; topics: KafkajsListOffsetsTopic[] }> = []
  const kafka = {
    [Symbol('private:Kafka:createCluster')]: () => ({
      connect: async () => {},
      disconnect: async () => {},
      addMultipleTargetTopics: async () => {},
      findLeaderForPartitions: (_topic: string, ids: number[]) => {
        const byNode: Record<string, number[]> = {}
        for (const id of ids) (byNode[String(1 + (id % 2))] ??= []).push(id)
        return byNode
      },
      findBroker: async ({ nodeId }: { nodeId: string }) => ({
        listOffsets: async ({ topics }: { topics: KafkajsListOffsetsTopic[] }) => {
          requests.push({ nodeId, topics })
          return {
            responses: topics.map(({ topic, partitions }) => ({
              topic,
              partitions: partitions.map(({ partition, timestamp }) => ({
                partition,
                offset: timestamp > 140 ? '-1' : String(Math.ceil((timestamp - 100) / 10)),
              })),
            })),
          }
        },
      }),
    }),
  }
  return { kafka: kafka as unknown as Kafka, requests }
}

describe('timestampLookup', () => {
  it('asks each partition leader once, every partition with its own timestamp; none yet is undefined', async () => {
    const { kafka, requests } = fakeKafka()
    const lookup = timestampLookup(kafka, {} as Admin)
    const found = await lookup([
      { topic: 'a', partition: 0, timestamp: 100 },
      { topic: 'a', partition: 1, timestamp: 125 },
      { topic: 'a', partition: 2, timestamp: 999 },
      { topic: 'b', partition: 0, timestamp: 130 },
    ])
    expect(Object.fromEntries(found)).toEqual({
      [partitionKey('a', 0)]: '0',
      [partitionKey('a', 1)]: '3',
      [partitionKey('a', 2)]: undefined,
      [partitionKey('b', 0)]: '3',
    })
    expect(requests.sort((x, y) => x.nodeId.localeCompare(y.nodeId))).toEqual([
      {
        nodeId: '1',
        topics: [
          {
            topic: 'a',
            partitions: [
              { partition: 0, timestamp: 100 },
              { partition: 2, timestamp: 999 },
            ],
          },
          { topic: 'b', partitions: [{ partition: 0, timestamp: 130 }] },
        ],
      },
      { nodeId: '2', topics: [{ topic: 'a', partitions: [{ partition: 1, timestamp: 125 }] }] },
    ])
  })

  it("without kafkajs' cluster factory, asks the admin once per distinct (topic, timestamp)", async () => {
    const calls: Array<[string, number]> = []
    const admin = {
      fetchTopicOffsetsByTimestamp: async (topic: string, timestamp: number) => {
        calls.push([topic, timestamp])
        return [
          { partition: 0, offset: '7' },
          { partition: 1, offset: '9' },
        ]
      },
    } as unknown as Admin
    const found = await timestampLookup(
      {} as Kafka,
      admin,
    )([
      { topic: 'a', partition: 0, timestamp: 5 },
      { topic: 'a', partition: 1, timestamp: 5 },
      { topic: 'a', partition: 1, timestamp: 6 },
    ])
    expect(calls).toEqual([
      ['a', 5],
      ['a', 6],
    ])
    expect(found.get(partitionKey('a', 0))).toBe('7')
    expect(found.get(partitionKey('a', 1))).toBe('9')
  })
})
