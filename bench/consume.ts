/**
 * A consumer against raw kafkajs on the same topic in the same run, as a new user starts one: a
 * fresh group reads a filled topic from its start. Two figures per drain, kept apart:
 *
 * - **start-up**: from `run()` to the first record handed to the handler;
 * - **steady rate**: records per second over the last 90% of the records, so that the start's
 *   transients (the standby session's start on the other cluster, the first fetches) are left out.
 *
 * Rounds alternate which client goes first. Consumer failover is measured in consumer-failover.ts.
 */
import { randomBytes } from 'node:crypto'
import type { Consumer } from 'kafkajs'
import { createTopic, drClient, formatRatios, median, pairedRatios, rawKafka, rotated, type Row } from './common.js'

/** Records per topic, by record size: an `eachBatch` drain takes a second or more at full speed. */
const RECORDS: Record<number, number> = { 100: 1_000_000, 1000: 150_000 }
/** The share of the records read before the steady rate is timed. */
const WARM_UP = 0.1
const PARTITIONS = 6

/** The handler shapes a user runs. */
export type Handler = 'eachMessage' | 'eachBatch'

/** What one drain measured. */
interface Drain {
  /** From `run()` to the first record, in ms. */
  startMs: number
  /** Records per second over the records after the first {@link WARM_UP} share. */
  rate: number
}

/** What {@link benchConsume} runs. */
export interface ConsumeBench {
  /** Label of the brokers' group settings, for the rows. */
  setting: string
  handlers: readonly Handler[]
  recordBytes: readonly number[]
  rounds: number
}

async function fill(topic: string, count: number, recordBytes: number): Promise<void> {
  const producer = rawKafka('dc1').producer()
  await producer.connect()
  const payload = randomBytes(recordBytes)
  for (let start = 0; start < count; start += 1000) {
    await producer.send({
      topic,
      messages: Array.from({ length: Math.min(1000, count - start) }, (_, j) => ({ key: `k${start + j}`, value: payload })),
    })
  }
  await producer.disconnect()
}

/** Runs `consumer` until `count` records were handled; times the start and the rate. */
async function drain(count: number, handler: Handler, run: (config: Parameters<Consumer['run']>[0]) => Promise<void>): Promise<Drain> {
  let seen = 0
  let first = 0n
  let warm = 0n
  let seenWarm = 0
  let last = 0n
  const started = process.hrtime.bigint()
  await new Promise<void>((resolve) => {
    const handled = (n: number): void => {
      if (seen === 0) first = process.hrtime.bigint()
      seen += n
      if (warm === 0n && seen >= count * WARM_UP) {
        warm = process.hrtime.bigint()
        seenWarm = seen
      }
      if (seen >= count && last === 0n) {
        last = process.hrtime.bigint()
        resolve()
      }
    }
    void (handler === 'eachMessage'
      ? run({
          eachMessage: async () => {
            handled(1)
          },
        })
      : run({
          eachBatch: async ({ batch }) => {
            handled(batch.messages.length)
          },
        }))
  })
  return { startMs: Number(first - started) / 1e6, rate: (count - seenWarm) / (Number(last - warm) / 1e9) }
}

async function drainRaw(topic: string, count: number, handler: Handler): Promise<Drain> {
  const consumer = rawKafka('dc1').consumer({ groupId: `bench-raw-${randomBytes(4).toString('hex')}` })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  const result = await drain(count, handler, (config) => consumer.run(config))
  await consumer.disconnect()
  return result
}

async function drainWrapped(topic: string, count: number, handler: Handler): Promise<Drain> {
  const dr = drClient()
  await dr.connect()
  const consumer = dr.consumer({ groupId: `bench-dr-${randomBytes(4).toString('hex')}` })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  const result = await drain(count, handler, (config) => consumer.run(config))
  await consumer.disconnect()
  await dr.disconnect()
  return result
}

const ms = (values: readonly number[]): string => `${Math.round(median([...values]))} ms (${values.map((v) => Math.round(v)).join(', ')})`

/** Start-up and steady-rate rows for each handler and record size, on the brokers as they are now. */
export async function benchConsume(bench: ConsumeBench): Promise<Row[]> {
  const rows: Row[] = []
  for (const bytes of bench.recordBytes) {
    const count = RECORDS[bytes] ?? 100_000
    const topic = `bench-consume-${bytes}-${Date.now()}`
    await createTopic('dc1', topic, PARTITIONS)
    await fill(topic, count, bytes)
    for (const handler of bench.handlers) {
      const raw: Drain[] = []
      const wrapped: Drain[] = []
      // One unmeasured drain each: the JIT and the connections of the first one are not the client's.
      await drainRaw(topic, count, handler)
      await drainWrapped(topic, count, handler)
      for (let round = 0; round < bench.rounds; round++) {
        for (const name of rotated(['raw', 'wrapped'] as const, round)) {
          if (name === 'raw') raw.push(await drainRaw(topic, count, handler))
          else wrapped.push(await drainWrapped(topic, count, handler))
        }
      }
      const shape = `${handler}, ${count.toLocaleString('en-US')} x ${bytes} B, ${PARTITIONS} partitions, ${bench.rounds} rounds, ${bench.setting}`
      console.log(
        `consume ${shape}: start ${ms(raw.map((d) => d.startMs))} raw / ${ms(wrapped.map((d) => d.startMs))} kafkajs-dr; rate ${raw.map((d) => d.rate.toFixed(0)).join(', ')} raw / ${wrapped.map((d) => d.rate.toFixed(0)).join(', ')} kafkajs-dr`,
      )
      const extra = wrapped.map((d, i) => d.startMs - raw[i]!.startMs)
      rows.push(
        {
          measure: `consume start-up, run() to first record (${shape})`,
          raw: `${Math.round(median(raw.map((d) => d.startMs)))} ms`,
          wrapper: `${Math.round(median(wrapped.map((d) => d.startMs)))} ms`,
          ratio: `+${Math.round(median(extra))} ms (max +${Math.round(Math.max(...extra))})`,
          goal: '<= +300 ms',
        },
        {
          measure: `consume steady rate, last ${100 - WARM_UP * 100}% of the records (${shape})`,
          ...formatRatios(
            raw.map((d) => d.rate),
            wrapped.map((d) => d.rate),
            pairedRatios(
              wrapped.map((d) => d.rate),
              raw.map((d) => d.rate),
            ),
          ),
          goal: '>= 0.97',
        },
      )
    }
  }
  return rows
}
