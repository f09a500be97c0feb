/**
 * The consumer failover drill shared by the acceptance tests on the bed's broker settings and on
 * Kafka's default ones.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { expect } from 'vitest'
import type { FailoverConsumer, MultiClusterKafka } from '../../src/index.js'
import { drClient } from './drill.js'
import { bed, createTopic, unique, waitFor, waitForRecords } from './helpers.js'

const PARTITIONS = 6
const FIRST_BATCH = 20_000

interface Ledger {
  /** Handler calls per record id. */
  seen: Map<string, number>
  /** Handler calls from each cluster, with the time of the call. */
  calls: Array<{ id: string; cluster: string; at: number }>
}

/** Produces `count` records with ids `prefix-i`, distinct increasing timestamps, keyed, to `topic` on `cluster`. */
async function produce(cluster: 'dc1' | 'dc2', topic: string, prefix: string, count: number): Promise<void> {
  const producer = bed().kafka(cluster).producer()
  await producer.connect()
  const base = Date.now() - 10 * count
  for (let start = 0; start < count; start += 500) {
    const messages = Array.from({ length: Math.min(500, count - start) }, (_, j) => {
      const i = start + j
      return { key: `${prefix}-${i}`, value: `${prefix}-${i}`, timestamp: String(base + 10 * i) }
    })
    await producer.send({ topic, messages })
  }
  await producer.disconnect()
}

function duplicates(ledger: Ledger): number {
  let dups = 0
  for (const n of ledger.seen.values()) dups += n - 1
  return dups
}

/** What a consumer drill measured. */
export interface ConsumerDrillResult {
  /** The fault to the first record handled from dc2, in ms. */
  firstOnDc2Ms: number
  duplicatesAtFailover: number
  totalDuplicates: number
  /** Handler calls from dc1 between the move to dc2 and the start of the failback (must be none). */
  callsFromDc1WhileAway: number
}

/**
 * 20,000 keyed records on a topic of 6 partitions in dc1, a group consuming part of them, dc1
 * killed -9 (or hung with SIGSTOP) mid-stream; the group goes on in dc2 from translated
 * checkpoints, then fails back when dc1 returns. Asserts zero loss, fencing (no handler call from
 * dc1 between the move and the failback, a window that includes dc1 waking up) and the duplicate
 * bound; returns the figures.
 */
export async function consumerDrill(fault: 'kill' | 'pause', label: string = fault): Promise<ConsumerDrillResult> {
  const topic = unique('orders')
  const group = unique('billing')
  await createTopic('dc1', topic, PARTITIONS)
  await createTopic('dc2', topic, PARTITIONS)
  await produce('dc1', topic, 'a', FIRST_BATCH)
  await waitForRecords('dc2', `dc1.${topic}`, FIRST_BATCH, 120_000, 500)

  const dr: MultiClusterKafka = drClient({ discovery: { policy: 'priority', failbackDelayMs: 3000 } })
  await dr.connect()
  const consumer: FailoverConsumer = dr.consumer({
    groupId: group,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    checkpoint: { intervalMs: 1000 },
  })
  const ledger: Ledger = { seen: new Map(), calls: [] }
  const moves: string[] = []
  consumer.on('consumer:moved', (e) => moves.push(`${e.from}->${e.to} by ${e.via} in ${e.durationMs} ms`))
  let failbackStartedAt = 0
  dr.on('failover:start', (e) => {
    if (e.to === 'dc1') failbackStartedAt ||= e.timestamp
  })
  let throttle = true
  try {
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ message, cluster, topic: logical }) => {
        expect(logical).toBe(topic)
        const id = message.value!.toString()
        ledger.seen.set(id, (ledger.seen.get(id) ?? 0) + 1)
        ledger.calls.push({ id, cluster, at: Date.now() })
        if (throttle && ledger.calls.length % 50 === 0) await delay(25)
      },
    })
    expect(consumer.cluster).toBe('dc1')

    // Mid-stream: break dc1.
    await waitFor('6000 records processed on dc1', () => ledger.calls.length >= 6000, 120_000, 20)
    const brokenAt = Date.now()
    const processedOnDc1 = ledger.calls.length
    if (fault === 'kill') await bed().kill('dc1')
    else bed().pause('dc1')
    await waitFor('consumer moved to dc2', () => consumer.cluster === 'dc2', 60_000, 20)
    const firstOnDc2 = await waitFor(
      'first record on dc2',
      () => ledger.calls.find((c) => c.cluster === 'dc2' && c.at >= brokenAt),
      60_000,
      20,
    )
    const movedAt = Date.now()
    await waitFor('every dc1 record processed', () => [...Array(FIRST_BATCH).keys()].every((i) => ledger.seen.has(`a-${i}`)), 120_000, 250)
    const dupsAfterFailover = duplicates(ledger)

    // While on dc2, dc2's own producers write to dc2.
    await produce('dc2', topic, 'b', 3000)
    await waitFor('dc2 records processed on dc2', () => [...Array(3000).keys()].every((i) => ledger.seen.has(`b-${i}`)), 120_000, 250)

    // dc1 returns: fail back, and keep consuming both origins there.
    throttle = false
    const restoredAt = Date.now()
    if (fault === 'kill') await bed().start('dc1')
    else bed().resume('dc1')
    await waitFor('consumer back on dc1', () => consumer.cluster === 'dc1', 120_000, 50)
    // From the move until the failback began: dc1 was back (awake) for failbackDelayMs of it.
    expect(failbackStartedAt).toBeGreaterThan(restoredAt)
    const callsFromDc1WhileAway = ledger.calls.filter((c) => c.cluster === 'dc1' && c.at > movedAt && c.at < failbackStartedAt)
    await waitForRecords('dc1', `dc2.${topic}`, 3000, 120_000, 500)
    await produce('dc1', topic, 'c', 2000)
    await produce('dc2', topic, 'd', 2000)
    const expected = [
      ...([
        ['a', FIRST_BATCH],
        ['b', 3000],
        ['c', 2000],
        ['d', 2000],
      ] as const),
    ].flatMap(([p, n]) => Array.from({ length: n }, (_, i) => `${p}-${i}`))
    await waitFor('every record processed after failback', () => expected.every((id) => ledger.seen.has(id)), 180_000, 500)

    const missing = expected.filter((id) => !ledger.seen.has(id))
    expect(missing).toEqual([])
    // Fencing: nothing came from the old cluster's session after the switch, even after it woke up.
    expect(callsFromDc1WhileAway).toEqual([])
    // Duplicates at the failover: at most one per partition (the boundary record, found again by
    // its timestamp) plus what the checkpoint interval may hold back.
    const perSecond = processedOnDc1 / ((brokenAt - ledger.calls[0]!.at) / 1000)
    expect(dupsAfterFailover).toBeLessThanOrEqual(PARTITIONS + Math.ceil(perSecond))
    console.log(
      `${label} (broker group settings '${bed().brokerProfile}'): processed on dc1 before fault ${processedOnDc1}; first record on dc2 ${firstOnDc2.at - brokenAt} ms after the fault; ` +
        `duplicates at failover ${dupsAfterFailover} (bound ${PARTITIONS + Math.ceil(perSecond)}), total duplicates ${duplicates(ledger)}; ` +
        `handler calls from dc1 while away (a window of ${failbackStartedAt - restoredAt} ms after it was back): ${callsFromDc1WhileAway.length}; moves: ${moves.join('; ')}`,
    )
    return {
      firstOnDc2Ms: firstOnDc2.at - brokenAt,
      duplicatesAtFailover: dupsAfterFailover,
      totalDuplicates: duplicates(ledger),
      callsFromDc1WhileAway: callsFromDc1WhileAway.length,
    }
  } finally {
    await consumer.disconnect()
    await dr.disconnect()
  }
}
