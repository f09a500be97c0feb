/**
 * Checkpoints on real brokers: the writer's records come back through the one-shot reader, with
 * tombstones applied, bad records skipped, MM2's copy visible on the other cluster, and MM2's own
 * checkpoints readable.
 */
import kafkajs from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { encodeCheckpointKey, type Checkpoint } from '../../../src/offsets/checkpoint-codec.js'
import { readCheckpointSources, readCheckpoints, readMm2Checkpoints } from '../../../src/offsets/checkpoint-reader.js'
import { ensureCheckpointTopic } from '../../../src/offsets/checkpoint-topic.js'
import { CheckpointWriter, type CheckpointWrittenInfo } from '../../../src/offsets/checkpoint-writer.js'
import { bed, createTopic, unique, waitFor, waitForRecords, withAdmin } from '../helpers.js'
import { uniqueCheckpointTopic, waitForCheckpoint, writeCheckpoints } from './support.js'

describe('checkpoint topic, writer and reader', () => {
  it('creates the topic compacted and tolerates a second creation', async () => {
    const topic = uniqueCheckpointTopic()
    await withAdmin('dc1', async (admin) => {
      const [first, second] = await Promise.all([
        ensureCheckpointTopic(admin, topic, { numPartitions: 2 }),
        ensureCheckpointTopic(admin, topic, { numPartitions: 2 }),
      ])
      expect([first, second].filter(Boolean).length).toBeLessThanOrEqual(1)
      expect(await ensureCheckpointTopic(admin, topic)).toBe(false)
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy', 'segment.ms'] }],
      })
      const configs = Object.fromEntries(described.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]))
      expect(configs).toEqual({ 'cleanup.policy': 'compact', 'segment.ms': '600000' })
      expect((await admin.fetchTopicOffsets(topic)).length).toBe(2)
    })
  })

  it('reads back the newest position per partition that a writer wrote in several flushes', async () => {
    const topic = uniqueCheckpointTopic()
    const group = unique('grp')
    await withAdmin('dc1', (admin) => ensureCheckpointTopic(admin, topic, { numPartitions: 3 }))
    const producer = bed().kafka('dc1').producer()
    await producer.connect()
    const written: CheckpointWrittenInfo[] = []
    const writer = new CheckpointWriter({
      group,
      topic,
      intervalMs: 100,
      targets: () => [{ cluster: 'dc1', producer }],
      onWritten: (info) => written.push(info),
    })
    try {
      for (let i = 1; i <= 300; i++)
        writer.record({ cluster: 'dc1', topic: 'orders', partition: i % 5, offset: String(i), timestamp: 1_000_000 + i })
      await writer.flush()
      for (let i = 301; i <= 310; i++)
        writer.record({ cluster: 'dc1', topic: 'orders', partition: i % 5, offset: String(i), timestamp: 1_000_000 + i })
      // The timer writes these; no explicit flush.
      await waitFor('the timer to write', () => writer.pending === 0, 5000, 20)
    } finally {
      await writer.close()
      await producer.disconnect()
    }
    expect(written.map((w) => w.count)).toEqual([5, 5])
    expect(written[0]).toMatchObject({ cluster: 'dc1', topic, group })

    const started = Date.now()
    const checkpoints = await readCheckpoints(bed().kafka('dc1'), [topic], { group, timeoutMs: 10_000 })
    console.log(`[offsets] readCheckpoints: 15 records, 3 partitions, fresh admin: ${Date.now() - started} ms`)
    expect(checkpoints.map((c) => [c.partition, c.offset, c.timestamp]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([
      [0, '310', 1_000_310],
      [1, '306', 1_000_306],
      [2, '307', 1_000_307],
      [3, '308', 1_000_308],
      [4, '309', 1_000_309],
    ])
    expect(checkpoints.every((c) => c.group === group && c.cluster === 'dc1' && c.topic === 'orders')).toBe(true)
  })

  it('applies tombstones, skips undecodable records and other groups, and skips missing topics', async () => {
    const topic = uniqueCheckpointTopic()
    const group = unique('grp')
    await writeCheckpoints('dc1', topic, group, [
      { cluster: 'dc1', topic: 'orders', partition: 0, offset: '10', timestamp: 1 },
      { cluster: 'dc1', topic: 'orders', partition: 1, offset: '11', timestamp: 2 },
    ])
    await writeCheckpoints('dc1', topic, unique('other'), [{ cluster: 'dc1', topic: 'orders', partition: 0, offset: '99', timestamp: 3 }])
    const producer = bed().kafka('dc1').producer()
    await producer.connect()
    await producer.send({
      topic,
      messages: [
        { key: encodeCheckpointKey({ group, cluster: 'dc1', topic: 'orders', partition: 1 }), value: null }, // tombstone
        { key: Buffer.from('not a checkpoint key'), value: Buffer.from('garbage') },
        { key: encodeCheckpointKey({ group, cluster: 'dc1', topic: 'orders', partition: 2 }), value: Buffer.from([0, 9, 1]) }, // unknown version
      ],
    })
    await producer.disconnect()

    const sources = await readCheckpointSources(bed().kafka('dc1'), {
      checkpointTopics: [topic, `no-such-${topic}`],
      mm2SourceClusters: [],
      group,
      timeoutMs: 10_000,
    })
    expect(sources.checkpoints.map((c) => [c.partition, c.offset])).toEqual([[0, '10']])
    expect(sources.undecodable).toBe(2)
    expect(sources.stats).toMatchObject({ topics: [topic], missingTopics: [`no-such-${topic}`], records: 6 })
  })

  it('sees the checkpoints MM2 replicated to the other cluster as <source>.<topic>, newest writtenAt first', async () => {
    const topic = uniqueCheckpointTopic()
    const group = unique('grp')
    await writeCheckpoints('dc1', topic, group, [{ cluster: 'dc1', topic: 'orders', partition: 0, offset: '42', timestamp: 7 }])
    const replicated = await waitForCheckpoint('dc2', [topic, `dc1.${topic}`], group, (c) => c.offset === '42')
    expect(replicated).toMatchObject({ group, cluster: 'dc1', topic: 'orders', partition: 0, offset: '42', timestamp: 7 })

    // The same position written directly to dc2 ("write to all"), newer: it wins over MM2's copy.
    await writeCheckpoints('dc2', topic, group, [{ cluster: 'dc1', topic: 'orders', partition: 0, offset: '43', timestamp: 8 }])
    const both = await readCheckpoints(bed().kafka('dc2'), [topic, `dc1.${topic}`], { group, timeoutMs: 10_000 })
    expect(both.map((c: Checkpoint) => c.offset)).toEqual(['43'])
  })

  it("reads MM2's own checkpoints for a group from <source>.checkpoints.internal", async () => {
    const topic = unique('ck-mm2')
    const group = unique('grp')
    await createTopic('dc1', topic, 1)
    const producer = bed().kafka('dc1').producer()
    await producer.connect()
    await producer.send({ topic, messages: Array.from({ length: 20 }, (_, i) => ({ value: `v${i}` })) })
    await producer.disconnect()
    await waitForRecords('dc2', `dc1.${topic}`, 20, 90_000)
    await withAdmin('dc1', (admin) => admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '12' }] }))

    const found = await waitFor(
      'MM2 checkpoint',
      async () => {
        const started = Date.now()
        const entries = await readMm2Checkpoints(bed().kafka('dc2'), ['dc1'], group, 10_000)
        const entry = entries.find((e) => e.upstreamOffset === '12')
        if (entry) console.log(`[offsets] readMm2Checkpoints: ${Date.now() - started} ms`)
        return entry
      },
      90_000,
      1000,
    )
    expect(found).toMatchObject({ group, topic: `dc1.${topic}`, partition: 0, sourceCluster: 'dc1', upstreamOffset: '12' })
    expect(Number(found.offset)).toBeLessThanOrEqual(12)
  })
})
