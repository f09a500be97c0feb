/**
 * A translation by timestamp onto a copy that replication has not filled up to the checkpoint:
 * kafkajs answers the lookup with the partition's end, and the result says so
 * (`pendingTimestamp`), so that a consumer starting there skips what replication adds below it.
 */
import type { Admin, Kafka } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import type { Checkpoint } from '../../../src/offsets/checkpoint-codec.js'
import { translateOffsetsWith } from '../../../src/offsets/translate.js'
import { DefaultReplicationPolicy } from '../../../src/topology/replication-policy.js'

/** dc2's copy of dc1's `orders` (`dc1.orders`): 100 records in each of two partitions. */
function fakeAdmin(lookup: Record<number, string>): Admin {
  return {
    async listTopics() {
      return ['dc1.orders']
    },
    async fetchTopicOffsets() {
      return [0, 1].map((partition) => ({ partition, offset: '100', high: '100', low: '0' }))
    },
    // kafkajs answers "no record at or after the timestamp" with the high watermark.
    async fetchTopicOffsetsByTimestamp() {
      return Object.entries(lookup).map(([partition, offset]) => ({ partition: Number(partition), offset }))
    },
    async describeConfigs() {
      return { resources: [] }
    },
  } as unknown as Admin
}

const checkpoint = (partition: number): Checkpoint => ({
  group: 'billing',
  cluster: 'dc1',
  topic: 'orders',
  partition,
  offset: '500',
  timestamp: 1_700_000_000_000,
  writtenAt: 1_700_000_001_000,
})

describe('translation onto a copy behind the checkpoint', () => {
  it("marks a partition whose lookup found no record at or after the checkpoint's timestamp, with the timestamp looked up", async () => {
    const result = await translateOffsetsWith(
      {
        group: 'billing',
        targetCluster: 'dc2',
        admin: fakeAdmin({ 0: '100', 1: '60' }),
        kafka: { admin() {}, consumer() {} } as unknown as Kafka,
        clusters: ['dc1', 'dc2'],
        policy: new DefaultReplicationPolicy({ clusters: ['dc1', 'dc2'] }),
        topics: ['dc1.orders'],
        translators: ['timestamp'],
        timestampSafetyMarginMs: 1000,
      },
      async () => ({ checkpoints: [checkpoint(0), checkpoint(1)], mm2: [], undecodable: 0 }),
    )
    expect(
      result.partitions.map((p) => ({ partition: p.partition, offset: p.offset, method: p.method, pendingTimestamp: p.pendingTimestamp })),
    ).toEqual([
      { partition: 0, offset: '100', method: 'timestamp', pendingTimestamp: 1_699_999_999_000 },
      { partition: 1, offset: '60', method: 'timestamp', pendingTimestamp: undefined },
    ])
  })
})
