/**
 * Consumer throughput through FailoverConsumer (checkpointing on) against a raw kafkajs consumer
 * on the same topic in the same run. Consumer failover is measured in consumer-failover.ts.
 */
import { randomBytes } from 'node:crypto'
import type { Consumer } from 'kafkajs'
import { createTopic, drClient, formatRatios, pairedRatios, rawKafka, rotated, timeDrain, type Row } from './common.js'

const RECORDS = 200_000
const ROUNDS = 6

async function fill(cluster: 'dc1' | 'dc2', topic: string, count: number, spacedTimestamps = false, recordBytes = 100): Promise<void> {
  const producer = rawKafka(cluster).producer()
  await producer.connect()
  const payload = randomBytes(recordBytes)
  const base = Date.now() - count
  for (let start = 0; start < count; start += 1000) {
    await producer.send({ topic, messages: Array.from({ length: Math.min(1000, count - start) }, (_, j) => ({ key: `k${start + j}`, value: spacedTimestamps ? `r${start + j}` : payload, timestamp: spacedTimestamps ? String(base + start + j) : undefined })) })
  }
  await producer.disconnect()
}

async function drainRaw(topic: string): Promise<number> {
  const consumer: Consumer = rawKafka('dc1').consumer({ groupId: `bench-raw-${randomBytes(4).toString('hex')}` })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  const seconds = await timeDrain(RECORDS, (eachMessage) => consumer.run({ eachMessage }))
  await consumer.disconnect()
  return RECORDS / seconds
}

async function drainWrapped(topic: string): Promise<number> {
  const dr = drClient()
  await dr.connect()
  const consumer = dr.consumer({ groupId: `bench-dr-${randomBytes(4).toString('hex')}` })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  const seconds = await timeDrain(RECORDS, (eachMessage) => consumer.run({ eachMessage }))
  await consumer.disconnect()
  await dr.disconnect()
  return RECORDS / seconds
}

export async function benchConsumeThroughput(recordBytes = 100): Promise<Row[]> {
  const topic = `bench-consume-${Date.now()}`
  await createTopic('dc1', topic, 6)
  await fill('dc1', topic, RECORDS, false, recordBytes)
  const rates = { raw: [] as number[], wrapped: [] as number[] }
  const drains = { raw: drainRaw, wrapped: drainWrapped }
  await drainRaw(topic)
  await drainWrapped(topic)
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of rotated(['raw', 'wrapped'] as const, round)) rates[name].push(await drains[name](topic))
  }
  console.log(`consume ${recordBytes} B rounds raw ${rates.raw.map((x) => x.toFixed(0)).join(', ')} / wrapper ${rates.wrapped.map((x) => x.toFixed(0)).join(', ')} records/s`)
  return [{
    measure: `consume, eachMessage, checkpoints on (${RECORDS} x ${recordBytes} B, 6 partitions, ${ROUNDS} rounds)`,
    ...formatRatios(rates.raw, rates.wrapped, pairedRatios(rates.wrapped, rates.raw)),
    goal: '>= 0.97',
  }]
}
