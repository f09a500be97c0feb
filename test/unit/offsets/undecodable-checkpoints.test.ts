/**
 * Undecodable checkpoint records are counted, never taken silently for "no checkpoint": through
 * readCheckpointSources and into translateOffsets' result. The cluster is a fake that serves
 * fixed records to kafkajs-dr's one-shot reader.
 */
import type { Admin, Kafka, KafkaMessage } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { encodeCheckpoint, encodeCheckpointKey } from '../../../src/offsets/checkpoint-codec.js'
import { readCheckpointSources } from '../../../src/offsets/checkpoint-reader.js'
import { encodeMm2CheckpointKey, encodeMm2CheckpointValue } from '../../../src/offsets/mm2-checkpoint-codec.js'
import { translateOffsets } from '../../../src/offsets/translate.js'
import { DefaultReplicationPolicy } from '../../../src/topology/replication-policy.js'

type Records = Record<string, Array<{ key: Buffer | null; value: Buffer | null }>>

/** A cluster holding `records` (one partition per topic) for kafkajs' admin and consumer calls the reader makes. */
function fakeCluster(records: Records): { kafka: Kafka; admin: Admin } {
  const admin = {
    async connect() {},
    async disconnect() {},
    async listTopics() {
      return Object.keys(records)
    },
    async fetchTopicOffsets(topic: string) {
      const high = String(records[topic]!.length)
      return [{ partition: 0, offset: high, high, low: '0' }]
    },
    async fetchTopicOffsetsByTimestamp() {
      return []
    },
    async describeConfigs() {
      return { resources: [] }
    },
  }
  const consumer = () => {
    const listeners = new Map<string, (event: unknown) => void>()
    return {
      events: { END_BATCH_PROCESS: 'end-batch', CRASH: 'crash' },
      on(event: string, listener: (event: unknown) => void) {
        listeners.set(event, listener)
        return () => {}
      },
      async connect() {},
      async disconnect() {},
      async subscribe() {},
      async run({ eachBatch }: { eachBatch: (payload: unknown) => Promise<void> }) {
        for (const [topic, list] of Object.entries(records)) {
          if (list.length === 0) continue
          const messages: KafkaMessage[] = list.map((r, i) => ({ ...r, offset: String(i), timestamp: '0', attributes: 0, headers: {} }))
          await eachBatch({ batch: { topic, partition: 0, messages } })
          listeners.get('end-batch')?.({ payload: { topic, partition: 0, lastOffset: String(list.length - 1) } })
        }
      },
    }
  }
  return { kafka: { admin: () => admin, consumer } as unknown as Kafka, admin: admin as unknown as Admin }
}

const position = { group: 'billing', cluster: 'dc1', topic: 'orders', partition: 0 }
const good = encodeCheckpoint({ ...position, offset: '42', timestamp: 1_700_000_000_000, writtenAt: 1_700_000_000_500 })

/** A version-1 value whose version field says `version`: what a newer kafkajs-dr might write. */
function valueOfVersion(version: number): Buffer {
  const value = Buffer.from(good.value)
  value.writeInt16BE(version, 0)
  return value
}

/** A key whose key-version byte says `version`. */
function keyOfVersion(version: number, group = 'billing'): Buffer {
  const key = encodeCheckpointKey({ ...position, group, partition: 1 })
  key.writeInt8(version, 0)
  return key
}

const ours: Records['x'] = [
  good,
  { key: encodeCheckpointKey({ ...position, partition: 2 }), value: valueOfVersion(2) }, // newer value version
  { key: keyOfVersion(2), value: good.value }, // newer key version: the group cannot even be read
  { key: encodeCheckpointKey({ ...position, partition: 3 }), value: good.value.subarray(0, 10) }, // truncated
  { key: encodeCheckpointKey({ ...position, partition: 4 }), value: null }, // a tombstone is not undecodable
  { key: encodeCheckpointKey({ ...position, group: 'other', partition: 5 }), value: Buffer.from('junk') }, // another group: not decoded
]

const mm2Key = encodeMm2CheckpointKey({ group: 'billing', topic: 'dc1.orders', partition: 0 })
const mm2Value = encodeMm2CheckpointValue({ upstreamOffset: '40', offset: '38', metadata: '' })
const theirs: Records['x'] = [
  { key: mm2Key, value: mm2Value },
  { key: mm2Key, value: Buffer.concat([Buffer.from([0, 1]), mm2Value.subarray(2)]) }, // MM2 value version 1
  { key: null, value: mm2Value }, // no key
]

describe('readCheckpointSources: undecodable records', () => {
  it('counts malformed records and records of a format version it does not know, and keeps the rest', async () => {
    const { kafka } = fakeCluster({ 'kafkajs-dr.checkpoints': ours, 'dc1.checkpoints.internal': theirs })
    const sources = await readCheckpointSources(kafka, {
      checkpointTopics: ['kafkajs-dr.checkpoints'],
      mm2SourceClusters: ['dc1'],
      group: 'billing',
      timeoutMs: 5000,
    })
    expect(sources.checkpoints).toEqual([{ ...position, offset: '42', timestamp: 1_700_000_000_000, writtenAt: 1_700_000_000_500 }])
    expect(sources.mm2).toEqual([
      { group: 'billing', topic: 'dc1.orders', partition: 0, upstreamOffset: '40', offset: '38', metadata: '', sourceCluster: 'dc1' },
    ])
    // ours: newer value version, newer key version, truncated; theirs: newer value version, no key
    expect(sources.undecodable).toBe(5)
  })

  it('counts nothing when every record decodes', async () => {
    const { kafka } = fakeCluster({ 'kafkajs-dr.checkpoints': [good] })
    const sources = await readCheckpointSources(kafka, {
      checkpointTopics: ['kafkajs-dr.checkpoints'],
      mm2SourceClusters: [],
      group: 'billing',
      timeoutMs: 5000,
    })
    expect(sources.undecodable).toBe(0)
    expect(sources.checkpoints).toHaveLength(1)
  })
})

describe('translateOffsets: undecodableCheckpoints', () => {
  const policy = new DefaultReplicationPolicy({ clusters: ['dc1', 'dc2'] })

  it('reports the undecodable records of the checkpoint topics read on the target', async () => {
    const { kafka, admin } = fakeCluster({ 'kafkajs-dr.checkpoints': ours, 'dc1.checkpoints.internal': theirs })
    const result = await translateOffsets({
      group: 'billing',
      targetCluster: 'dc2',
      admin,
      kafka,
      clusters: ['dc1', 'dc2'],
      policy,
      topics: [],
    })
    expect(result.undecodableCheckpoints).toBe(5)
    expect(result.checkpointsRead).toBe(1)
  })

  it('reports 0 when nothing was skipped', async () => {
    const { kafka, admin } = fakeCluster({ 'kafkajs-dr.checkpoints': [good] })
    const result = await translateOffsets({
      group: 'billing',
      targetCluster: 'dc2',
      admin,
      kafka,
      clusters: ['dc1', 'dc2'],
      policy,
      topics: [],
    })
    expect(result.undecodableCheckpoints).toBe(0)
    expect(result.checkpointsRead).toBe(1)
  })
})
