/**
 * Produce throughput: raw kafkajs producer vs FailoverProducer (provenance headers on) on the
 * same cluster, same records, same concurrency, alternating rounds in one run.
 */
import { randomBytes } from 'node:crypto'
import type { Message } from 'kafkajs'
import pRetry from 'p-retry'
import { createTopic, drClient, median, rawKafka, type Row } from './common.js'

const RECORDS = 60_000
const PER_SEND = 100
const CONCURRENCY = 8
const ROUNDS = 3

type Send = (messages: Message[]) => Promise<unknown>

async function pump(send: Send, payload: Buffer): Promise<number> {
  const sends = RECORDS / PER_SEND
  let next = 0
  const started = process.hrtime.bigint()
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < sends) {
      const n = next++
      await send(Array.from({ length: PER_SEND }, (_, i) => ({ key: `k${n * PER_SEND + i}`, value: payload })))
    }
  }))
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  return RECORDS / seconds
}

export async function benchProduce(): Promise<Row[]> {
  const topic = `bench-produce-${Date.now()}`
  await createTopic('dc1', topic, 6)
  const payload = randomBytes(100)
  const raw = rawKafka('dc1').producer()
  await raw.connect()
  const dr = drClient()
  await dr.connect()
  const wrapped = dr.producer()
  await wrapped.connect()
  const rawRates: number[] = []
  const wrappedRates: number[] = []
  try {
    // A just-started bed may still be settling partition leadership: wait for one good send.
    await pRetry(() => raw.send({ topic, messages: [{ value: payload }] }), { retries: 20, minTimeout: 250, maxTimeout: 1000 })
    // Warm both paths once, then alternate so drift on the machine hits both alike.
    await pump((messages) => raw.send({ topic, messages }), payload)
    await pump((messages) => wrapped.send({ topic, messages }), payload)
    for (let round = 0; round < ROUNDS; round++) {
      rawRates.push(await pump((messages) => raw.send({ topic, messages }), payload))
      wrappedRates.push(await pump((messages) => wrapped.send({ topic, messages }), payload))
    }
  } finally {
    await wrapped.disconnect()
    await dr.disconnect()
    await raw.disconnect()
  }
  const r = median(rawRates)
  const w = median(wrappedRates)
  console.log(`produce rounds raw ${rawRates.map((x) => x.toFixed(0)).join(', ')} / wrapper ${wrappedRates.map((x) => x.toFixed(0)).join(', ')} records/s`)
  return [{
    measure: `produce throughput (${RECORDS} x 100 B, ${PER_SEND}/send, ${CONCURRENCY} in flight; median of ${ROUNDS})`,
    raw: `${r.toFixed(0)} rec/s`,
    wrapper: `${w.toFixed(0)} rec/s`,
    ratio: (w / r).toFixed(3),
    goal: '>= 0.95',
  }]
}
