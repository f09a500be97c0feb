/**
 * Produce throughput: raw kafkajs producer vs FailoverProducer on the same cluster, same records,
 * same concurrency, in rounds that rotate the order of the paths, in one run. Ratios are taken
 * per round (wrapper / raw of the same round) and the median of those is reported, so drift on
 * the machine between rounds cancels out.
 *
 * A third path, raw kafkajs sending the same single header the wrapper adds, shows what kafkajs
 * itself charges for a record header: the floor for any header-based provenance.
 */
import { randomBytes } from 'node:crypto'
import type { Message } from 'kafkajs'
import pRetry from 'p-retry'
import { createTopic, drClient, formatRatios, pairedRatios, rawKafka, rotated, type Row } from './common.js'

const RECORDS = 40_000
const PER_SEND = 100
const CONCURRENCY = 8
const ROUNDS = 7

type Send = (messages: Message[]) => Promise<unknown>

async function pump(send: Send, payload: Buffer): Promise<number> {
  const sends = RECORDS / PER_SEND
  let next = 0
  const started = process.hrtime.bigint()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < sends) {
        const n = next++
        await send(Array.from({ length: PER_SEND }, (_, i) => ({ key: `k${n * PER_SEND + i}`, value: payload })))
      }
    }),
  )
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  return RECORDS / seconds
}

export async function benchProduce(recordBytes = 100): Promise<Row[]> {
  const topic = `bench-produce-${Date.now()}`
  await createTopic('dc1', topic, 6)
  const payload = randomBytes(recordBytes)
  const raw = rawKafka('dc1').producer()
  await raw.connect()
  const withHeader = drClient()
  const withoutHeader = drClient({ provenance: false })
  await Promise.all([withHeader.connect(), withoutHeader.connect()])
  const stamped = withHeader.producer()
  const plain = withoutHeader.producer()
  await Promise.all([stamped.connect(), plain.connect()])
  // 16 bytes, the size of the wrapper's value for a 3-character cluster name (sequences 2^14 to
  // 2^21), from Node's buffer pool as the wrapper's are; only the last bytes vary, as a sequence would.
  const prefix = randomBytes(12)
  let sequence = 0
  const header = (): Buffer => {
    const value = Buffer.allocUnsafe(16)
    prefix.copy(value, 0)
    value.writeUInt32BE(sequence++, 12)
    return value
  }
  const paths = {
    raw: (messages: Message[]) => raw.send({ topic, messages }),
    rawWithHeader: (messages: Message[]) => raw.send({ topic, messages: messages.map((m) => ({ ...m, headers: { 'x-dr': header() } })) }),
    stamped: (messages: Message[]) => stamped.send({ topic, messages }),
    plain: (messages: Message[]) => plain.send({ topic, messages }),
  }
  type Path = keyof typeof paths
  const rates: Record<Path, number[]> = { raw: [], rawWithHeader: [], stamped: [], plain: [] }
  try {
    // A just-started bed may still be settling partition leadership: wait for one good send.
    await pRetry(() => raw.send({ topic, messages: [{ value: payload }] }), { retries: 20, minTimeout: 250, maxTimeout: 1000 })
    for (const send of Object.values(paths)) await pump(send, payload) // warm every path once
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of rotated(Object.keys(paths) as Path[], round)) rates[name].push(await pump(paths[name], payload))
    }
  } finally {
    await Promise.all([stamped.disconnect(), plain.disconnect()])
    await Promise.all([withHeader.disconnect(), withoutHeader.disconnect()])
    await raw.disconnect()
  }
  console.log(
    `produce ${recordBytes} B rounds (records/s) ${Object.entries(rates)
      .map(([k, v]) => `${k}: ${v.map((x) => x.toFixed(0)).join(', ')}`)
      .join(' / ')}`,
  )
  const shape = `${RECORDS} x ${recordBytes} B, ${PER_SEND}/send, ${CONCURRENCY} in flight, ${ROUNDS} rounds`
  const row = (measure: string, path: Path, goal: string): Row => {
    const ratios = pairedRatios(rates[path], rates.raw)
    return { measure: `${measure} (${shape})`, ...formatRatios(rates.raw, rates[path], ratios), goal }
  }
  return [
    row('produce, kafkajs-dr, provenance header on', 'stamped', '>= 0.95'),
    row('produce, kafkajs-dr, provenance off', 'plain', '(for comparison)'),
    row('produce, raw kafkajs with the same one header', 'rawWithHeader', '(kafkajs floor for a header)'),
  ]
}
