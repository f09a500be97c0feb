/**
 * Dual-read under identity naming, on the bed's identity flow (a second MirrorMaker 2 with
 * IdentityReplicationPolicy copying `identity-*` topics from dc1 to the same names on dc2): every
 * origin's records share one topic name, so a consumer tells origins by the provenance header,
 * and records that come back to the cluster they were written in are dropped by `dedupe` (on by
 * default under identity naming).
 */
import kafkajs from 'kafkajs'
import { setTimeout as delay } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IDENTITY_TOPIC_PREFIX } from '../../bed/bed.js'
import { MultiClusterKafka, type FailoverConsumer, type FailoverConsumerConfig } from '../../../src/index.js'
import { FAST_HEALTH } from '../drill.js'
import type { Message } from 'kafkajs'
import { bed, createTopic, unique, waitFor, waitForRecords } from '../helpers.js'

const COUNT = 500

/** A client of one site under identity naming, its own cluster preferred. */
function identityClient(site: 'dc1' | 'dc2'): MultiClusterKafka {
  const other = site === 'dc1' ? 'dc2' : 'dc1'
  const kafka = (name: string) => ({ clientId: `identity-${site}`, brokers: bed().brokers[name]!, logLevel: kafkajs.logLevel.NOTHING })
  return new MultiClusterKafka({
    clusters: { [site]: { kafka: kafka(site), priority: 1 }, [other]: { kafka: kafka(other), priority: 2 } },
    localCluster: site,
    replication: 'identity',
    health: FAST_HEALTH,
  })
}

async function send(dr: MultiClusterKafka, topic: string, prefix: string, count: number): Promise<void> {
  const producer = dr.producer()
  await producer.connect()
  for (let start = 0; start < count; start += 100) {
    await producer.send({
      topic,
      messages: Array.from({ length: Math.min(100, count - start) }, (_, j) => ({
        key: `${prefix}-${start + j}`,
        value: `${prefix}-${start + j}`,
      })),
    })
  }
  await producer.disconnect()
}

async function consume(
  dr: MultiClusterKafka,
  topic: string,
  config: Omit<FailoverConsumerConfig, 'groupId' | 'checkpoint'>,
): Promise<{ consumer: FailoverConsumer; seen: Map<string, number>; origins: Map<string, string> }> {
  // The checkpoint topic takes the identity prefix too: the main MirrorMaker 2 leaves those alone.
  const consumer = dr.consumer({ groupId: unique('identity'), checkpoint: { topic: `${IDENTITY_TOPIC_PREFIX}checkpoints` }, ...config })
  const seen = new Map<string, number>()
  const origins = new Map<string, string>()
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ message, originCluster }) => {
      const id = message.value!.toString()
      seen.set(id, (seen.get(id) ?? 0) + 1)
      origins.set(id, originCluster)
    },
  })
  return { consumer, seen, origins }
}

/** Copies the records of `topic` on dc2 whose value starts with `prefix` back into dc1's `topic`, headers as they are (binary): a replicator's way back. */
async function copyBack(topic: string, prefix: string, count: number): Promise<void> {
  const reader = bed()
    .kafka('dc2')
    .consumer({ groupId: unique('copy-back'), sessionTimeout: 10_000, heartbeatInterval: 1000 })
  const copies: Message[] = []
  await reader.connect()
  try {
    await reader.subscribe({ topics: [topic], fromBeginning: true })
    await reader.run({
      eachMessage: async ({ message }) => {
        if (message.value?.toString().startsWith(prefix))
          copies.push({ key: message.key, value: message.value, headers: message.headers, timestamp: message.timestamp })
      },
    })
    await waitFor(`${count} records to copy back`, () => copies.length >= count, 60_000)
  } finally {
    await reader.disconnect()
  }
  const producer = bed().kafka('dc1').producer()
  await producer.connect()
  await producer.send({ topic, messages: copies })
  await producer.disconnect()
}

const ids = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}-${i}`)

describe.skipIf(!bed().canInjectFaults)("dual-read under identity naming (the bed's identity flow, dc1 -> dc2)", () => {
  beforeAll(async () => {
    await bed().startIdentityReplication()
  }, 240_000)

  afterAll(async () => {
    await bed().stopIdentityReplication()
  })

  it('origins are told by header on dc2, where both origins share the topic; a record that comes back to dc1 is delivered once', async () => {
    const topic = unique(`${IDENTITY_TOPIC_PREFIX}orders`)
    await createTopic('dc1', topic, 3)
    await createTopic('dc2', topic, 3)
    const sites = { dc1: identityClient('dc1'), dc2: identityClient('dc2') }
    await Promise.all(Object.values(sites).map((dr) => dr.connect()))
    const consumers: FailoverConsumer[] = []
    try {
      await send(sites.dc1, topic, 'a', COUNT)
      await send(sites.dc2, topic, 'b', COUNT)
      await waitForRecords('dc2', topic, 2 * COUNT, 120_000, 500)

      const all = await consume(sites.dc2, topic, {})
      const onlyDc1 = await consume(sites.dc2, topic, { origins: ['dc1'] })
      const onlyDc2 = await consume(sites.dc2, topic, { origins: ['dc2'] })
      consumers.push(all.consumer, onlyDc1.consumer, onlyDc2.consumer)
      await waitFor(
        'every record on dc2',
        () => ids('a', COUNT).every((id) => all.seen.has(id)) && ids('b', COUNT).every((id) => all.seen.has(id)),
        120_000,
        250,
      )
      await waitFor('origins [dc1]', () => ids('a', COUNT).every((id) => onlyDc1.seen.has(id)), 120_000, 250)
      await waitFor('origins [dc2]', () => ids('b', COUNT).every((id) => onlyDc2.seen.has(id)), 120_000, 250)
      await delay(2000)
      expect(all.seen.size).toBe(2 * COUNT)
      expect([...onlyDc1.seen.keys()].sort()).toEqual(ids('a', COUNT).sort())
      expect([...onlyDc2.seen.keys()].sort()).toEqual(ids('b', COUNT).sort())
      // The payload's origin is the header's: dc1 for the replicated records, on dc2's topic.
      expect(new Set(ids('a', COUNT).map((id) => all.origins.get(id)))).toEqual(new Set(['dc1']))

      // A replicator running both ways without cycle prevention copies dc1's records back into
      // dc1's topic (here copied by hand, headers and all, from dc2): each is delivered once.
      await copyBack(topic, 'a-', COUNT)
      const home = await consume(sites.dc1, topic, {})
      consumers.push(home.consumer)
      await waitFor('every dc1 record on dc1', () => ids('a', COUNT).every((id) => home.seen.has(id)), 120_000, 250)
      await waitFor('the copies that came back were read', () => (home.consumer.status().dedupe?.dropped ?? 0) >= COUNT, 60_000, 250)
      await delay(2000)
      expect([...home.seen.values()].every((n) => n === 1)).toBe(true)
      expect(home.seen.size).toBe(COUNT)
      console.log(
        `identity naming: dc2 delivered ${all.seen.size} (origins [dc1] ${onlyDc1.seen.size}, [dc2] ${onlyDc2.seen.size}); on dc1 ${COUNT} records came back through a replica and ${home.consumer.status().dedupe!.dropped} copies were dropped`,
      )
    } finally {
      await Promise.all(consumers.map((c) => c.disconnect()))
      await Promise.all(Object.values(sites).map((dr) => dr.disconnect()))
    }
  }, 300_000)
})
