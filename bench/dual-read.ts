/**
 * Dual-read: the latency of a record written in dc2 to the handler of a dc1 service's consumer,
 * read directly from dc2 (`dualRead: 'direct'`) or from its replica on dc1 (`'replicas'`, which
 * pays MirrorMaker 2's lag); and the throughput of a dual-read consumer with `dedupe` on against a
 * raw kafkajs consumer reading the same two topics (`orders` and `dc2.orders` on dc1) in the same
 * run. The memory of the dedupe window is measured in dedupe-memory.ts.
 */
import { randomBytes } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import type { Consumer } from 'kafkajs'
import type { FailoverConsumer } from '../src/index.js'
import { bed, createTopic, drClient, formatRatios, pairedRatios, rawKafka, rotated, timeDrain, type Row } from './common.js'

const LATENCY_RECORDS = 2000
const LATENCY_RATE = 100
const RECORDS_PER_ORIGIN = 100_000
const ROUNDS = 6
const PARTITIONS = 6

/** The value at quantile `q` (0..1) of `values`. */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await delay(200)
  }
}

async function topicExists(cluster: 'dc1' | 'dc2', topic: string): Promise<boolean> {
  const admin = rawKafka(cluster).admin()
  await admin.connect()
  try {
    return (await admin.listTopics()).includes(topic)
  } finally {
    await admin.disconnect()
  }
}

/** `orders` on both clusters and MirrorMaker 2's replica of each on the other. */
async function activeActiveTopic(prefix: string): Promise<string> {
  const topic = `${prefix}-${Date.now()}`
  await createTopic('dc1', topic, PARTITIONS)
  await createTopic('dc2', topic, PARTITIONS)
  await waitUntil(`dc2.${topic} on dc1`, () => topicExists('dc1', `dc2.${topic}`), 60_000)
  await waitUntil(`dc1.${topic} on dc2`, () => topicExists('dc2', `dc1.${topic}`), 60_000)
  return topic
}

/** Latencies (handler time minus CreateTime) of records written on dc2, read by a dc1 consumer in each mode at once. */
async function benchLatency(): Promise<Row[]> {
  const topic = await activeActiveTopic('bench-dual-latency')
  const dr = drClient()
  await dr.connect()
  const latencies = { direct: [] as number[], replicas: [] as number[] }
  const consumers: FailoverConsumer[] = []
  try {
    for (const mode of ['direct', 'replicas'] as const) {
      const consumer = dr.consumer({ groupId: `bench-dual-${mode}-${randomBytes(4).toString('hex')}`, dualRead: mode })
      await consumer.connect()
      await consumer.subscribe({ topics: [topic] })
      await consumer.run({
        eachMessage: async ({ message }) => {
          if (message.value?.toString().startsWith('t')) latencies[mode].push(Date.now() - Number(message.timestamp))
        },
      })
      consumers.push(consumer)
    }
    // Every session joined and positioned: a marker written now reaches both handlers.
    const producer = rawKafka('dc2').producer()
    await producer.connect()
    await delay(8000)
    for (let i = 0; i < LATENCY_RECORDS; i++) {
      await producer.send({ topic, messages: [{ key: `t${i}`, value: `t${i}`, timestamp: String(Date.now()) }] })
      await delay(1000 / LATENCY_RATE)
    }
    await waitUntil(
      'every latency record in both modes',
      () => latencies.direct.length >= LATENCY_RECORDS && latencies.replicas.length >= LATENCY_RECORDS,
      120_000,
    )
    await producer.disconnect()
  } finally {
    await Promise.all(consumers.map((c) => c.disconnect()))
    await dr.disconnect()
  }
  const cell = (v: number[]): string => `p50 ${quantile(v, 0.5)} ms, p99 ${quantile(v, 0.99)} ms`
  console.log(`dual-read latency: direct ${cell(latencies.direct)}; replicas ${cell(latencies.replicas)}`)
  return [
    {
      measure: `dual-read latency, record written in dc2 -> handler of a dc1 consumer (${LATENCY_RECORDS} records at ${LATENCY_RATE}/s, default settings; replicas pay MirrorMaker 2's lag, 1 s intervals on the bed)`,
      raw: `replicas: ${cell(latencies.replicas)}`,
      wrapper: `direct: ${cell(latencies.direct)}`,
      ratio: `direct p50 ${quantile(latencies.direct, 0.5)} ms`,
      goal: 'direct p50 <= 50 ms',
    },
  ]
}

async function drainRaw(topics: string[], count: number): Promise<number> {
  const consumer: Consumer = rawKafka('dc1').consumer({ groupId: `bench-dual-raw-${randomBytes(4).toString('hex')}` })
  await consumer.connect()
  await consumer.subscribe({ topics, fromBeginning: true })
  const seconds = await timeDrain(count, (eachMessage) => consumer.run({ eachMessage }))
  await consumer.disconnect()
  return count / seconds
}

async function drainDedupe(topic: string, count: number): Promise<number> {
  const dr = drClient()
  await dr.connect()
  const consumer = dr.consumer({ groupId: `bench-dual-dr-${randomBytes(4).toString('hex')}`, dedupe: true })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  const seconds = await timeDrain(count, (eachMessage) => consumer.run({ eachMessage }))
  await consumer.disconnect()
  await dr.disconnect()
  return count / seconds
}

/** A dual-read consumer with dedupe on against raw kafkajs on `orders` + `dc2.orders` of dc1, records stamped by kafkajs-dr producers. */
async function benchDedupeThroughput(): Promise<Row[]> {
  const topic = await activeActiveTopic('bench-dual-dedupe')
  const payload = randomBytes(100)
  for (const cluster of ['dc1', 'dc2'] as const) {
    // A client whose active cluster is `cluster`: its producer stamps the provenance header there.
    const dr = drClient({
      localCluster: cluster,
      clusters: {
        dc1: { kafka: rawKafka('dc1'), priority: cluster === 'dc1' ? 1 : 2 },
        dc2: { kafka: rawKafka('dc2'), priority: cluster === 'dc2' ? 1 : 2 },
      },
    })
    await dr.connect()
    await waitUntil(`${cluster} active`, () => dr.activeCluster === cluster, 30_000)
    const producer = dr.producer()
    await producer.connect()
    for (let start = 0; start < RECORDS_PER_ORIGIN; start += 1000) {
      await producer.send({ topic, messages: Array.from({ length: 1000 }, (_, j) => ({ key: `k${start + j}`, value: payload })) })
    }
    await producer.disconnect()
    await dr.disconnect()
  }
  const total = 2 * RECORDS_PER_ORIGIN
  const replicated = async (): Promise<boolean> => (await bed.highWatermark('dc1', `dc2.${topic}`)) >= RECORDS_PER_ORIGIN
  await waitUntil(`dc2's records replicated to dc1`, replicated, 180_000)
  const rates = { raw: [] as number[], wrapped: [] as number[] }
  const drains = { raw: () => drainRaw([topic, `dc2.${topic}`], total), wrapped: () => drainDedupe(topic, total) }
  await drains.raw()
  await drains.wrapped()
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of rotated(['raw', 'wrapped'] as const, round)) rates[name].push(await drains[name]())
  }
  console.log(
    `dual-read dedupe throughput rounds raw ${rates.raw.map((x) => x.toFixed(0)).join(', ')} / wrapper ${rates.wrapped.map((x) => x.toFixed(0)).join(', ')} records/s`,
  )
  return [
    {
      measure: `consume both origins on dc1 (orders + dc2.orders, ${total.toLocaleString('en-US')} x 100 B stamped records, ${PARTITIONS} partitions each), dualRead 'replicas' with dedupe vs raw kafkajs on the two topics, ${ROUNDS} rounds`,
      ...formatRatios(rates.raw, rates.wrapped, pairedRatios(rates.wrapped, rates.raw)),
      goal: '>= 0.9',
    },
  ]
}

/** Both dual-read measurements; see the module description. */
export async function benchDualRead(): Promise<Row[]> {
  return [...(await benchLatency()), ...(await benchDedupeThroughput())]
}
