/**
 * The bed's identity flow: a second MirrorMaker 2 with IdentityReplicationPolicy copies topics
 * `identity-*` from dc1 to the same names on dc2, as Confluent Replicator, MSK Replicator with
 * identical names or MM2's own IdentityReplicationPolicy would; the main MirrorMaker 2 leaves
 * those topics alone. Consumers are tested against identity-named replication on this flow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IDENTITY_FLOW, IDENTITY_TOPIC_PREFIX } from '../../bed/bed.js'
import { bed, createTopic, readRecords, unique, waitForRecords, withAdmin, type ReadRecord } from '../helpers.js'

describe("the bed's identity flow (MirrorMaker 2 with IdentityReplicationPolicy, dc1 -> dc2)", () => {
  beforeAll(async () => {
    if (bed().canInjectFaults) await bed().startIdentityReplication()
  }, 240_000)

  afterAll(async () => {
    if (bed().canInjectFaults) await bed().stopIdentityReplication()
  })

  it(`replicates ${IDENTITY_TOPIC_PREFIX}<topic> from dc1 to the same name on dc2 with key, value, headers, partition and timestamp, and never as dc1.${IDENTITY_TOPIC_PREFIX}<topic>`, async (ctx) => {
    if (!bed().canInjectFaults) ctx.skip('external clusters: the bed cannot start an identity flow there')
    expect(bed().status()['mm2-identity']).toBe('running')
    const topic = unique(`${IDENTITY_TOPIC_PREFIX}bed`)
    // Created on both sides, as users of identity-named replicators do.
    await createTopic('dc1', topic, 3)
    await createTopic('dc2', topic, 3)
    const producer = bed().kafka('dc1').producer()
    await producer.connect()
    const t0 = Date.now() - 60_000 // CreateTimes clearly not the append time
    await producer.send({
      topic,
      messages: Array.from({ length: 6 }, (_, i) => ({
        key: `k${i}`,
        value: `v${i}`,
        partition: i % 3,
        timestamp: String(t0 + i),
        headers: { trace: `t-${i}`, origin: 'dc1' },
      })),
    })
    await producer.disconnect()
    // A topic the main MirrorMaker 2 replicates, created after the identity topic: once its copy
    // is on dc2, the main MM2 has seen the identity topic too, and must have left it alone.
    const control = unique('bed-identity-control')
    await createTopic('dc1', control, 1)
    const controlProducer = bed().kafka('dc1').producer()
    await controlProducer.connect()
    await controlProducer.send({ topic: control, messages: [{ value: 'control' }] })
    await controlProducer.disconnect()

    const byKey = (records: ReadRecord[]): ReadRecord[] => [...records].sort((a, b) => (a.key ?? '').localeCompare(b.key ?? ''))
    const originals = byKey(await readRecords('dc1', topic, 6))
    const replicas = byKey(await readRecords('dc2', topic, 6, 90_000))
    expect(replicas).toHaveLength(6)
    expect(
      replicas.map(({ topic: t, partition, key, value, timestamp, headers }) => ({ topic: t, partition, key, value, timestamp, headers })),
    ).toEqual(
      originals.map(({ topic: t, partition, key, value, timestamp, headers }) => ({ topic: t, partition, key, value, timestamp, headers })),
    )
    expect(replicas[4]).toMatchObject({
      topic,
      partition: 1,
      key: 'k4',
      value: 'v4',
      timestamp: String(t0 + 4),
      headers: { trace: 't-4', origin: 'dc1' },
    })

    await waitForRecords('dc2', `dc1.${control}`, 1, 90_000)
    const onDc2 = await withAdmin('dc2', (admin) => admin.listTopics())
    const onDc1 = await withAdmin('dc1', (admin) => admin.listTopics())
    expect(onDc2).toContain(topic)
    expect(onDc2).not.toContain(`dc1.${topic}`)
    // Nor did the main MM2's dc2 -> dc1 flow copy the identity flow's copy back.
    expect(onDc1).not.toContain(`dc2.${topic}`)
    // And the identity flow copied nothing else, such as heartbeats, under its own aliases (the
    // two MirrorMaker 2s would bounce them between the clusters for ever: id1.dc2.heartbeats,
    // dc2.id1.dc2.heartbeats, ...). Its internal topics (mm2-*.id1.internal) do not count.
    const aliased = new RegExp(`(^|\\.)(${IDENTITY_FLOW.sourceAlias}|${IDENTITY_FLOW.targetAlias})\\.`)
    expect([...onDc1, ...onDc2].filter((t) => aliased.test(t) && !t.startsWith('mm2-'))).toEqual([])
  })

  it('stopIdentityReplication stops mm2-identity, and waiting for the flow then fails at once', async (ctx) => {
    if (!bed().canInjectFaults) ctx.skip('external clusters: the bed cannot start an identity flow there')
    await bed().stopIdentityReplication()
    expect(bed().status()['mm2-identity']).toBe('stopped')
    // At once, not after the 60 s: a flow whose MirrorMaker 2 is stopped cannot deliver.
    await expect(bed().waitForIdentityReplication(60_000)).rejects.toThrow(/mm2-identity is not running/)
    // The main MirrorMaker 2 is not affected.
    expect(bed().status().mm2).toBe('running')
  })
})
