/**
 * Consumer failover with the fault at a random moment. A group of one instance with DEFAULT
 * client settings reads 8,000 replicated records over 6 partitions with a 1 ms handler; at a
 * random moment between 0 and 5 s after its first record (so across every phase of the periodic
 * tasks: 1 s probes and checkpoint ticks, 3 s heartbeats, 5 s new-copy checks) dc1 is killed -9
 * or hung (SIGSTOP). Measured per trial: the fault to the first record handled from dc2, the
 * duplicates, and the records lost (must be 0). dc1 is restored between trials; every trial
 * uses a fresh topic, group and client.
 */
import { randomBytes } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import { bed, createTopic, drClient, median, rawKafka, type Row } from './common.js'

const RECORDS = 8000
const PARTITIONS = 6
const MAX_PHASE_MS = 5000

/** What one trial saw. */
export interface FailoverTrial {
  /** Fault to the first record handled from dc2, in ms. */
  ms: number
  /** When the fault came, in ms after the first record. */
  phaseMs: number
  duplicates: number
  lost: number
}

async function fill(topic: string): Promise<void> {
  const producer = rawKafka('dc1').producer()
  await producer.connect()
  const base = Date.now() - RECORDS
  for (let start = 0; start < RECORDS; start += 1000) {
    await producer.send({
      topic,
      messages: Array.from({ length: 1000 }, (_, j) => ({
        key: `k${start + j}`,
        value: `r${start + j}`,
        timestamp: String(base + start + j),
      })),
    })
  }
  await producer.disconnect()
}

async function trial(fault: 'kill' | 'pause'): Promise<FailoverTrial> {
  const topic = `bench-cfo-${Date.now()}-${randomBytes(3).toString('hex')}`
  await createTopic('dc1', topic, PARTITIONS)
  await createTopic('dc2', topic, PARTITIONS)
  await fill(topic)
  while ((await bed.highWatermark('dc2', `dc1.${topic}`)) < RECORDS) await delay(250)

  const dr = drClient()
  await dr.connect()
  const consumer = dr.consumer({ groupId: `bench-cfo-${randomBytes(4).toString('hex')}` })
  const seen = new Map<string, number>()
  let faultAt = 0
  let firstOnSurvivor = 0
  let firstAt = 0
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ message, cluster }) => {
      firstAt ||= Date.now()
      const id = message.value!.toString()
      seen.set(id, (seen.get(id) ?? 0) + 1)
      if (cluster === 'dc2' && faultAt > 0 && firstOnSurvivor === 0) firstOnSurvivor = Date.now()
      await delay(1) // a handler doing 1 ms of work
    },
  })
  while (firstAt === 0) await delay(5)
  const phaseMs = Math.floor(Math.random() * MAX_PHASE_MS)
  await delay(Math.max(0, firstAt + phaseMs - Date.now()))
  faultAt = Date.now()
  if (fault === 'kill') await bed.kill('dc1')
  else bed.pause('dc1')
  while ((firstOnSurvivor === 0 || seen.size < RECORDS) && Date.now() - faultAt < 120_000) await delay(20)
  // dc1 back first: the teardown then waits on nothing.
  if (fault === 'kill') await bed.start('dc1')
  else bed.resume('dc1')
  await consumer.disconnect()
  await dr.disconnect()
  let duplicates = 0
  for (const n of seen.values()) duplicates += n - 1
  return { ms: firstOnSurvivor === 0 ? Number.NaN : firstOnSurvivor - faultAt, phaseMs, duplicates, lost: RECORDS - seen.size }
}

/** Runs `trials` trials of each fault and returns table rows; `setting` names the broker settings in force. */
export async function benchConsumerFailover(
  trials: number,
  setting: string,
  faults: ReadonlyArray<'kill' | 'pause'> = ['kill', 'pause'],
): Promise<Row[]> {
  const rows: Row[] = []
  for (const fault of faults) {
    const results: FailoverTrial[] = []
    for (let i = 0; i < trials; i++) {
      const result = await trial(fault)
      results.push(result)
      console.log(
        `consumer ${fault} trial ${i + 1}/${trials} (${setting}): fault at +${result.phaseMs} ms, first on dc2 after ${result.ms} ms, ${result.duplicates} duplicates, ${result.lost} lost`,
      )
    }
    const times = results.map((r) => r.ms)
    const lost = results.reduce((sum, r) => sum + r.lost, 0)
    const goal = fault === 'kill' ? 'median <= 1500 ms, max <= 3000 ms' : 'max <= 6000 ms'
    const met = fault === 'kill' ? median(times) <= 1500 && Math.max(...times) <= 3000 : Math.max(...times) <= 6000
    rows.push(
      {
        measure: `${fault === 'kill' ? 'kill -9' : 'SIGSTOP'} of active -> first record consumed on survivor (default client settings, ${setting}, ${trials} trials, fault at a random moment)`,
        raw: 'n/a (no failover)',
        wrapper: `median ${median(times)} ms (max ${Math.max(...times)})`,
        ratio: met && lost === 0 ? 'meets goal' : 'misses goal',
        goal,
      },
      {
        measure: `duplicates per consumer failover, ${fault} (${RECORDS} records, ${PARTITIONS} partitions, ${setting})`,
        raw: 'n/a',
        wrapper: `median ${median(results.map((r) => r.duplicates))} (max ${Math.max(...results.map((r) => r.duplicates))}); lost ${lost}`,
        ratio: '-',
        goal: 'bounded, 0 lost',
      },
    )
  }
  return rows
}
