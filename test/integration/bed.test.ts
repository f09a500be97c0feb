/**
 * The bed is real: records and consumer offsets cross datacenters through a real MirrorMaker 2,
 * kafkajs speaks every API the library uses to this Kafka version, and a killed cluster really
 * stops answering and comes back with its data. How the bed is switched and supervised:
 * full/bed-supervision.test.ts.
 */
import kafkajs from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import { decodeMm2Checkpoint } from '../../src/offsets/mm2-checkpoint-codec.js'
import { bed, createTopic, highWatermark, readRecords, unique, waitFor, waitForRecords, withAdmin } from './helpers.js'

describe('the two-datacenter bed', () => {
  afterAll(async () => {
    // Leave the bed whole for the next file, whatever happened here.
    if (bed().canInjectFaults) await bed().up()
  })

  // Both flows at once: most of each test is MirrorMaker 2 taking up the new topic (about 10 s).
  for (const [source, target] of [
    ['dc1', 'dc2'],
    ['dc2', 'dc1'],
  ] as const) {
    it.concurrent(
      `replicates a record from ${source} to ${target} as ${source}.<topic> with key, value, headers and timestamp`,
      async ({ expect }) => {
        const topic = unique('bed-repl')
        await createTopic(source, topic, 3)
        const producer = bed().kafka(source).producer()
        await producer.connect()
        const timestamp = String(Date.now() - 60_000) // a CreateTime clearly not the append time
        await producer.send({ topic, messages: [{ key: 'k1', value: 'v1', timestamp, headers: { trace: 't-1', origin: source } }] })
        await producer.disconnect()

        const [original] = await readRecords(source, topic, 1)
        const [replica] = await readRecords(target, `${source}.${topic}`, 1, 90_000)
        expect(replica).toMatchObject({
          topic: `${source}.${topic}`,
          key: 'k1',
          value: 'v1',
          timestamp,
          headers: { trace: 't-1', origin: source },
        })
        expect(replica!.partition).toBe(original!.partition)
      },
    )
  }

  it("shows a group's committed offset on dc1 in MirrorMaker 2's dc1.checkpoints.internal on dc2", async () => {
    const topic = unique('bed-ckpt')
    const group = unique('bed-group')
    await createTopic('dc1', topic, 1)
    const producer = bed().kafka('dc1').producer()
    await producer.connect()
    await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) })
    await producer.disconnect()
    // The replica must exist and hold the records before MM2 can translate an offset.
    await waitForRecords('dc2', `dc1.${topic}`, 10, 90_000)

    await withAdmin('dc1', (admin) => admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '7' }] }))

    const found = await waitFor(
      'a checkpoint for the group on dc2',
      async () => {
        const checkpoints = await readCheckpoints('dc2', 'dc1.checkpoints.internal')
        return checkpoints.find((c) => c.group === group && c.topic === `dc1.${topic}` && c.partition === 0 && c.upstreamOffset === '7')
      },
      90_000,
      1000,
    )
    expect(found.group).toBe(group)
    // Since Kafka 3.5 MM2 translates to an offset-sync point: never past the upstream position.
    expect(Number(found.offset)).toBeGreaterThanOrEqual(0)
    expect(Number(found.offset)).toBeLessThanOrEqual(7)
  })

  it('speaks every API the library uses with kafkajs against this Kafka version', async () => {
    const topic = unique('bed-api')
    const group = unique('bed-api-group')
    const kafka = bed().kafka('dc1')
    const admin = kafka.admin()
    await admin.connect()
    try {
      await admin.createTopics({
        topics: [{ topic, numPartitions: 2, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
        waitForLeaders: true,
      })
      const cluster = await admin.describeCluster()
      expect(cluster.clusterId).toMatch(/.+/)
      expect(cluster.brokers).toHaveLength(1)
      const configs = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy', 'message.timestamp.type'] }],
      })
      const entries = Object.fromEntries(configs.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]))
      expect(entries).toEqual({ 'cleanup.policy': 'compact', 'message.timestamp.type': 'CreateTime' })

      const producer = kafka.producer()
      await producer.connect()
      const t0 = Date.now() - 10_000
      await producer.send({
        topic,
        messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: i % 2, timestamp: String(t0 + i) })),
      })
      await producer.disconnect()

      const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, t0 + 10)
      expect(byTime.map((p) => Number(p.offset)).sort()).toEqual([5, 5])

      const consumer = kafka.consumer({ groupId: group })
      await consumer.connect()
      await consumer.subscribe({ topics: [topic], fromBeginning: true })
      let seen = 0
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ topic: t, partition, message }) => {
          seen++
          await consumer.commitOffsets([{ topic: t, partition, offset: String(Number(message.offset) + 1) }])
        },
      })
      await waitFor('20 records consumed', () => seen >= 20)
      const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] })
      expect(committed[0]!.partitions.map((p) => p.offset).sort()).toEqual(['10', '10'])
      const described = await admin.describeGroups([group])
      expect(described.groups[0]!.state).toBe('Stable')
      await consumer.disconnect()
      // An admin commit to an empty group: what failover does before the group starts there.
      await admin.setOffsets({
        groupId: group,
        topic,
        partitions: [
          { partition: 0, offset: '3' },
          { partition: 1, offset: '4' },
        ],
      })
      expect((await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions.map((p) => p.offset).sort()).toEqual(['3', '4'])
      await admin.deleteTopics({ topics: [topic] })
    } finally {
      await admin.disconnect()
    }
  })

  it('kill -9 of dc1 makes admin calls fail; a restart brings dc1 back with its data', async (ctx) => {
    if (!bed().canInjectFaults) ctx.skip('external clusters: fault injection unavailable')
    const topic = unique('bed-kill')
    await createTopic('dc1', topic, 1)
    const producer = bed().kafka('dc1').producer()
    await producer.connect()
    await producer.send({ topic, messages: [{ key: 'survives', value: 'restart' }] })
    await producer.disconnect()

    await bed().kill('dc1')
    expect(bed().status().dc1).toBe('stopped')
    const admin = bed().kafka('dc1').admin()
    await expect(
      (async () => {
        await admin.connect()
        return admin.describeCluster()
      })(),
    ).rejects.toThrow()
    await admin.disconnect().catch(() => {})

    await bed().start('dc1')
    expect(bed().status().dc1).toBe('running')
    const [record] = await readRecords('dc1', topic, 1)
    expect(record).toMatchObject({ key: 'survives', value: 'restart' })
  })
})

async function readCheckpoints(cluster: string, topic: string): Promise<ReturnType<typeof decodeMm2Checkpoint>[]> {
  const end = await highWatermark(cluster, topic)
  if (end === 0) return []
  const consumer = bed()
    .kafka(cluster)
    .consumer({ groupId: unique('ckpt-reader') })
  const out: ReturnType<typeof decodeMm2Checkpoint>[] = []
  let read = 0
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        read++
        out.push(decodeMm2Checkpoint(message.key, message.value))
      },
    })
    await waitFor('checkpoints read', () => read >= end, 30_000)
    return out
  } finally {
    await consumer.disconnect()
  }
}
