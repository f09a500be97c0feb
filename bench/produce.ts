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

export async function benchProduce(recordBytes = 100): Promise<Row[]> {
  const topic = `bench-produce-${Date.now()}`
  await createTopic('dc1', topic, 6)
  const payload = randomBytes(recordBytes)
  const raw = rawKafka('dc1').producer()
  await raw.connect()
  // With provenance headers (the default) and without, to show what the two headers cost.
  const withHeaders = drClient()
  const withoutHeaders = drClient({ provenance: false })
  await Promise.all([withHeaders.connect(), withoutHeaders.connect()])
  const stamped = withHeaders.producer()
  const plain = withoutHeaders.producer()
  await Promise.all([stamped.connect(), plain.connect()])
  const paths = {
    raw: (messages: Message[]) => raw.send({ topic, messages }),
    stamped: (messages: Message[]) => stamped.send({ topic, messages }),
    plain: (messages: Message[]) => plain.send({ topic, messages }),
  }
  const rates: Record<keyof typeof paths, number[]> = { raw: [], stamped: [], plain: [] }
  try {
    // A just-started bed may still be settling partition leadership: wait for one good send.
    await pRetry(() => raw.send({ topic, messages: [{ value: payload }] }), { retries: 20, minTimeout: 250, maxTimeout: 1000 })
    // Warm every path once, then alternate so drift on the machine hits all alike.
    for (const send of Object.values(paths)) await pump(send, payload)
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, send] of Object.entries(paths)) rates[name as keyof typeof paths].push(await pump(send, payload))
    }
  } finally {
    await Promise.all([stamped.disconnect(), plain.disconnect()])
    await Promise.all([withHeaders.disconnect(), withoutHeaders.disconnect()])
    await raw.disconnect()
  }
  const r = median(rates.raw)
  console.log(`produce ${recordBytes} B rounds (records/s) ${Object.entries(rates).map(([k, v]) => `${k}: ${v.map((x) => x.toFixed(0)).join(', ')}`).join(' / ')}`)
  const shape = `${RECORDS} x ${recordBytes} B, ${PER_SEND}/send, ${CONCURRENCY} in flight; median of ${ROUNDS}`
  return [
    { measure: `produce throughput, provenance headers on (${shape})`, raw: `${r.toFixed(0)} rec/s`, wrapper: `${median(rates.stamped).toFixed(0)} rec/s`, ratio: (median(rates.stamped) / r).toFixed(3), goal: '>= 0.95' },
    { measure: `produce throughput, provenance off (${shape})`, raw: `${r.toFixed(0)} rec/s`, wrapper: `${median(rates.plain).toFixed(0)} rec/s`, ratio: (median(rates.plain) / r).toFixed(3), goal: '(for comparison)' },
  ]
}
