/**
 * The consumer failover hazards of DESIGN.md ("Consumer failover", issue #4) on the real bed:
 * stale offsets in the target group from an earlier failover, two instances of one group
 * switching at different moments, partitions without a checkpoint (`onMissingCheckpoint`), a
 * handler that throws around a switch, and partition counts that differ.
 *
 * Switches are operator switches (`dr.failover(cluster)`): the same group move as a failover
 * after a fault, without breaking the bed that other test files share. Every test checks zero
 * loss (every produced record reached the handler) and bounds the duplicates, which it logs.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import {
  FailoverError,
  MissingCheckpointError,
  type ConsumerMovedEvent,
  type FailoverConsumer,
  type FailoverConsumerConfig,
  type FailoverEachBatchPayload,
  type FailoverEachMessagePayload,
  type FailoverFailedEvent,
  type MultiClusterKafka,
  type TranslationResult,
} from '../../../src/index.js'
import { readCheckpoints } from '../../../src/offsets/checkpoint-reader.js'
import { drClient } from '../drill.js'
import { bed, createTopic, highWatermark, unique, waitFor, waitForRecords, withAdmin } from '../helpers.js'
import { uniqueCheckpointTopic } from '../offsets/support.js'

const PARTITIONS = 3

// ---- records: distinct, increasing CreateTimes across the whole file ----------------------------

interface Rec {
  id: string
  ts: number
  partition?: number
}

let clock = Date.now() - 3_600_000

function records(prefix: string, count: number, partitionOf?: (i: number) => number): Rec[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${i}`,
    ts: (clock += 2),
    ...(partitionOf ? { partition: partitionOf(i) } : {}),
  }))
}

/** Sends `recs` (keyed by id, value = id, explicit timestamps and partitions) to one physical topic. */
async function send(cluster: string, topic: string, recs: readonly Rec[]): Promise<string[]> {
  const producer = bed().kafka(cluster).producer()
  await producer.connect()
  try {
    for (let i = 0; i < recs.length; i += 500) {
      const messages = recs
        .slice(i, i + 500)
        .map((r) => ({ key: r.id, value: r.id, timestamp: String(r.ts), ...(r.partition === undefined ? {} : { partition: r.partition }) }))
      await producer.send({ topic, messages })
    }
  } finally {
    await producer.disconnect()
  }
  return recs.map((r) => r.id)
}

function produce(cluster: string, topic: string, prefix: string, count: number, partitionOf?: (i: number) => number): Promise<string[]> {
  return send(cluster, topic, records(prefix, count, partitionOf))
}

// ---- the ledger of handler calls ---------------------------------------------------------------

interface Call {
  id: string
  cluster: string
  at: number
}

class Ledger {
  readonly seen = new Map<string, number>()
  readonly calls: Call[] = []

  static union(...ledgers: Ledger[]): Ledger {
    const union = new Ledger()
    for (const call of ledgers.flatMap((l) => l.calls).sort((a, b) => a.at - b.at)) union.add(call.id, call.cluster, call.at)
    return union
  }

  add(id: string, cluster: string, at = Date.now()): void {
    this.seen.set(id, (this.seen.get(id) ?? 0) + 1)
    this.calls.push({ id, cluster, at })
  }

  missing(ids: readonly string[]): string[] {
    return ids.filter((id) => !this.seen.has(id))
  }

  duplicates(): number {
    return this.duplicatesFrom(0)
  }

  /** Calls from `index` on that handled a record handled before. */
  duplicatesFrom(index: number): number {
    const before = new Set<string>()
    let dups = 0
    this.calls.forEach((c, i) => {
      if (i >= index && before.has(c.id)) dups++
      before.add(c.id)
    })
    return dups
  }
}

function waitAll(ledger: Ledger | (() => Ledger), ids: readonly string[], timeoutMs = 120_000): Promise<true> {
  const get = typeof ledger === 'function' ? ledger : () => ledger
  return waitFor(`${ids.length} records handled`, () => get().missing(ids).length === 0, timeoutMs, 100)
}

// ---- bed, clients, consumers -------------------------------------------------------------------

/** Creates `logical` on both clusters and waits for MM2's replicas, so consumers subscribe to every copy from the start. */
async function createTopics(logical: string, partitions: number): Promise<void> {
  await Promise.all([createTopic('dc1', logical, partitions), createTopic('dc2', logical, partitions)])
  await Promise.all([waitTopic('dc2', `dc1.${logical}`), waitTopic('dc1', `dc2.${logical}`)])
}

function waitTopic(cluster: string, topic: string): Promise<true> {
  return waitFor(
    `${topic} on ${cluster}`,
    () => withAdmin(cluster, async (admin) => (await admin.listTopics()).includes(topic)),
    60_000,
    250,
  )
}

/** The group's committed offsets on one cluster, per partition (absent: none committed). */
async function committed(cluster: string, group: string, topic: string): Promise<Map<number, bigint>> {
  const offsets = await withAdmin(cluster, (admin) => admin.fetchOffsets({ groupId: group, topics: [topic] }))
  return new Map(offsets[0]!.partitions.filter((p) => BigInt(p.offset) >= 0n).map((p) => [p.partition, BigInt(p.offset)]))
}

const sum = (values: Iterable<bigint>): bigint => [...values].reduce((a, b) => a + b, 0n)

/** A client with the sticky policy: only the test's operator switches move it. */
function client(): MultiClusterKafka {
  return drClient({ discovery: { policy: 'sticky' } })
}

function failoverConsumer(
  dr: MultiClusterKafka,
  groupId: string,
  checkpointTopic: string,
  extra: Partial<FailoverConsumerConfig> = {},
): FailoverConsumer {
  return dr.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000, checkpoint: { topic: checkpointTopic }, ...extra })
}

/**
 * For switches mid-stream: small fetches, so that every partition advances a little at a time
 * (kafkajs otherwise hands a whole partition's backlog to the handler before the next one).
 */
const LOCKSTEP: Partial<FailoverConsumerConfig> = { maxBytesPerPartition: 4096 }

/** What a consumer reported about its moves. */
function watch(consumer: FailoverConsumer): {
  moves: ConsumerMovedEvent[]
  translations: TranslationResult[]
  failures: Error[]
  failedAttempts: number[]
  failedTo: Array<{ to: string; at: number }>
} {
  const seen = {
    moves: [] as ConsumerMovedEvent[],
    translations: [] as TranslationResult[],
    failures: [] as Error[],
    failedAttempts: [] as number[],
    failedTo: [] as Array<{ to: string; at: number }>,
  }
  consumer.on('consumer:moved', (e) => seen.moves.push(e))
  consumer.on('offsets:translated', (e) => seen.translations.push(e))
  consumer.on('consumer:move-failed', (e) => {
    seen.failures.push(e.error)
    seen.failedAttempts.push(e.attempt)
    seen.failedTo.push({ to: e.to, at: e.timestamp })
  })
  return seen
}

const describeMoves = (moves: ConsumerMovedEvent[]): string =>
  moves.map((m) => `${m.from}->${m.to} by ${m.via} in ${m.durationMs} ms`).join('; ')

/** An eachMessage handler that records each call; `pace` slows it so switches land mid-stream. */
function recorder(ledger: Ledger, pace?: { every: number; ms: number }): (payload: FailoverEachMessagePayload) => Promise<void> {
  return async ({ message, cluster }) => {
    ledger.add(message.value!.toString(), cluster)
    if (pace && ledger.calls.length % pace.every === 0) await delay(pace.ms)
  }
}

async function closeAll(...items: Array<FailoverConsumer | MultiClusterKafka>): Promise<void> {
  for (const item of items) await item.disconnect()
}

// ---- the hazards -------------------------------------------------------------------------------

describe('consumer failover hazards (operator switches on the shared bed)', () => {
  it('stale offsets in the target group from an earlier failover: a later failover resumes at the translated position', async () => {
    const topic = unique('stale')
    const group = unique('g-stale')
    const checkpointTopic = uniqueCheckpointTopic()
    await createTopics(topic, PARTITIONS)
    const ledger = new Ledger()
    const expected: string[] = []

    // Instance 1: dc1 -> dc2 (dc2's producers write there) -> back to dc1.
    const dr1 = client()
    await dr1.connect()
    const c1 = failoverConsumer(dr1, group, checkpointTopic)
    const w1 = watch(c1)
    let dupsFailover = 0
    let dupsFailback = 0
    try {
      await c1.connect()
      await c1.subscribe({ topics: [topic], fromBeginning: true })
      await c1.run({ eachMessage: recorder(ledger) })
      expect(c1.cluster).toBe('dc1')
      expected.push(...(await produce('dc1', topic, 'a', 1500)))
      await waitAll(ledger, expected)
      await waitForRecords('dc2', `dc1.${topic}`, 1500, 120_000, 250)

      let mark = ledger.calls.length
      await dr1.failover('dc2', { reason: 'hazard test: earlier failover' })
      expect(c1.cluster).toBe('dc2')
      expected.push(...(await produce('dc2', topic, 'b', 1500)))
      await waitAll(ledger, expected)
      dupsFailover = ledger.duplicatesFrom(mark)
      await waitForRecords('dc1', `dc2.${topic}`, 1500, 120_000, 250)

      mark = ledger.calls.length
      await dr1.failover('dc1', { reason: 'hazard test: failback' })
      expect(c1.cluster).toBe('dc1')
      expected.push(...(await produce('dc1', topic, 'c', 1500)), ...(await produce('dc2', topic, 'd', 1500)))
      await waitAll(ledger, expected)
      dupsFailback = ledger.duplicatesFrom(mark)
    } finally {
      await closeAll(c1, dr1)
    }

    // The hazard: dc2 still holds the group's offsets of its stay there (after 'b'), 1500 records
    // ('d', written on dc2 while the group read them on dc1) behind. MM2 cannot refresh them: its
    // offset sync covers only topics it replicates into dc2, not dc2's own topic.
    const stale = await committed('dc2', group, topic)
    expect(sum(stale.values())).toBeGreaterThan(0n)
    expect(sum(stale.values())).toBeLessThanOrEqual(1500n)
    expect(await highWatermark('dc2', topic)).toBe(3000)
    // Instance 1's final checkpoints (written on dc1) reach dc2 through MM2.
    const dc1Total = BigInt(await highWatermark('dc1', `dc2.${topic}`))
    await waitFor(
      'instance 1 checkpoints replicated to dc2',
      async () => {
        const checkpoints = await readCheckpoints(bed().kafka('dc2'), [`dc1.${checkpointTopic}`], { group, timeoutMs: 10_000 })
        return sum(checkpoints.filter((c) => c.cluster === 'dc1' && c.topic === `dc2.${topic}`).map((c) => BigInt(c.offset))) === dc1Total
      },
      90_000,
      500,
    )

    // Instance 2 (the application restarted on dc1): it knows nothing in memory; only the
    // checkpoint topics and the committed offsets tell where the group is.
    const dr2 = client()
    await dr2.connect()
    const c2 = failoverConsumer(dr2, group, checkpointTopic)
    const w2 = watch(c2)
    try {
      await c2.connect()
      await c2.subscribe({ topics: [topic], fromBeginning: true })
      await c2.run({ eachMessage: recorder(ledger) })
      expect(c2.cluster).toBe('dc1')
      expected.push(...(await produce('dc1', topic, 'e', 300)))
      await waitAll(ledger, expected)

      const mark = ledger.calls.length
      await dr2.failover('dc2', { reason: 'hazard test: failover again' })
      expect(c2.cluster).toBe('dc2')
      expected.push(...(await produce('dc2', topic, 'f', 300)), ...(await produce('dc1', topic, 'g', 300)))
      await waitAll(ledger, expected)

      expect(ledger.missing(expected)).toEqual([])
      const result = w2.translations.at(-1)!
      const local = result.partitions.filter((p) => p.topic === topic)
      expect(local.map((p) => p.partition)).toEqual([...Array(PARTITIONS).keys()])
      for (const p of local) {
        // The newer checkpoint of the stay on dc1 wins over dc2's own older one...
        expect(p.checkpoint?.cluster).toBe('dc1')
        expect(p.method).not.toBe('native')
        // ...and the committed position replaces the stale one.
        expect(BigInt(p.offset)).toBeGreaterThanOrEqual(stale.get(p.partition) ?? 0n)
      }
      expect(sum(local.map((p) => BigInt(p.offset)))).toBeGreaterThanOrEqual(3000n - BigInt(PARTITIONS))
      // Resuming from the stale offsets would have handled the 1500 'd' records again.
      const dups = ledger.duplicatesFrom(mark)
      expect(dups).toBeLessThanOrEqual(2 * PARTITIONS)
      console.log(
        `[hazards] stale offsets: stale commit on dc2 ${sum(stale.values())} of 3000; duplicates at the later failover ${dups} (bound ${2 * PARTITIONS}), ` +
          `at the first failover ${dupsFailover}, at the failback ${dupsFailback}, total ${ledger.duplicates()}; moves: ${describeMoves([...w1.moves, ...w2.moves])}; ` +
          `translation ${result.durationMs} ms (read ${result.readMs} ms)`,
      )
    } finally {
      await closeAll(c2, dr2)
    }
  }, 300_000)

  it('two instances of one group switching at different moments: nothing lost, duplicates bounded', async () => {
    const topic = unique('two')
    const group = unique('g-two')
    const checkpointTopic = uniqueCheckpointTopic()
    const partitions = 4
    await createTopics(topic, partitions)
    const ids = await produce('dc1', topic, 'a', 10_000)
    await waitForRecords('dc2', `dc1.${topic}`, 10_000, 120_000, 250)

    const drA = client()
    const drB = client()
    await Promise.all([drA.connect(), drB.connect()])
    const ledgerA = new Ledger()
    const ledgerB = new Ledger()
    const cA = failoverConsumer(drA, group, checkpointTopic, LOCKSTEP)
    const cB = failoverConsumer(drB, group, checkpointTopic, LOCKSTEP)
    const wA = watch(cA)
    const wB = watch(cB)
    const union = (): Ledger => Ledger.union(ledgerA, ledgerB)
    // About 250 records/s per instance: the whole stream lasts long enough for both switches.
    const pace = { every: 10, ms: 40 }
    try {
      for (const c of [cA, cB]) {
        await c.connect()
        await c.subscribe({ topics: [topic], fromBeginning: true })
      }
      await cA.run({ eachMessage: recorder(ledgerA, pace) })
      await cB.run({ eachMessage: recorder(ledgerB, pace) })
      await waitFor('both instances consuming on dc1', () => ledgerA.calls.length >= 1250 && ledgerB.calls.length >= 1250, 60_000, 50)
      const handledBefore = union().seen.size

      const aStarted = Date.now()
      await drA.failover('dc2', { reason: 'hazard test: instance A moves first' })
      expect(cA.cluster).toBe('dc2')
      expect(cB.cluster).toBe('dc1')
      // B goes on alone on dc1 for a few seconds (it takes over A's partitions there).
      await delay(3000)
      expect(ledgerB.calls.some((c) => c.cluster === 'dc1' && c.at > aStarted + 1000)).toBe(true)
      await drB.failover('dc2', { reason: 'hazard test: instance B follows' })
      const bMoved = Date.now()
      expect(cB.cluster).toBe('dc2')
      // A already runs there: no admin commit possible, B seeks after joining.
      expect(wB.moves.at(-1)).toMatchObject({ from: 'dc1', to: 'dc2', via: 'standby' })

      await waitAll(union, ids, 180_000)
      // The group of two members goes on on dc2.
      const more = await produce('dc1', topic, 'b', 1000)
      await waitAll(union, more, 120_000)

      const all = union()
      expect(all.missing([...ids, ...more])).toEqual([])
      // Fencing: after its move, no handler call came from dc1.
      expect(all.calls.filter((c) => c.cluster === 'dc1' && c.at >= bMoved)).toEqual([])
      // Both members took part on dc2 after B joined.
      expect(ledgerA.calls.some((c) => c.cluster === 'dc2' && c.at > bMoved)).toBe(true)
      expect(ledgerB.calls.some((c) => c.cluster === 'dc2' && c.at > bMoved)).toBe(true)
      // While A ran on dc2 and B on dc1 both read the same partitions: duplicates are bounded by
      // what was handled in that window (plus a few per partition at each move), never a replay
      // from the beginning (which would repeat the records handled before the first move).
      const overlap = all.calls.filter((c) => c.at >= aStarted && c.at <= bMoved).length
      const dups = all.duplicates()
      const bound = overlap + 4 * partitions
      expect(dups).toBeLessThanOrEqual(bound)
      expect(dups).toBeLessThan(handledBefore)
      console.log(
        `[hazards] two instances: handled before the first move ${handledBefore}; calls while split ${overlap}; duplicates ${dups} (bound ${bound}); ` +
          `A: ${describeMoves(wA.moves)}; B: ${describeMoves(wB.moves)}`,
      )
    } finally {
      await closeAll(cA, cB, drA, drB)
    }
  }, 300_000)

  describe('a partition without any checkpoint when the group switches', () => {
    /**
     * Partition 0 holds 'a' (handled on dc1), partition 1 holds 'x', which the group never
     * handled: it pauses partition 1 on dc1 from its first join, so no checkpoint exists for it.
     */
    async function withUncheckpointedPartition(): Promise<{ topic: string; a: string[]; x: string[] }> {
      const topic = unique('nockpt')
      await createTopics(topic, 2)
      const a = await produce('dc1', topic, 'a', 600, () => 0)
      const x = await produce('dc1', topic, 'x', 400, () => 1)
      await waitForRecords('dc2', `dc1.${topic}`, 1000, 120_000, 250)
      return { topic, a, x }
    }

    function pausePartition1OnDc1(consumer: FailoverConsumer, topic: string): void {
      consumer.on(consumer.events.GROUP_JOIN, () => {
        if (consumer.cluster === 'dc1') consumer.pause([{ topic, partitions: [1] }])
      })
    }

    for (const policy of ['earliest', 'latest'] as const) {
      it(`onMissingCheckpoint '${policy}'`, async () => {
        const { topic, a, x } = await withUncheckpointedPartition()
        const ledger = new Ledger()
        const dr = client()
        await dr.connect()
        const consumer = failoverConsumer(dr, unique('g-nockpt'), uniqueCheckpointTopic(), { onMissingCheckpoint: policy })
        const w = watch(consumer)
        try {
          pausePartition1OnDc1(consumer, topic)
          await consumer.connect()
          await consumer.subscribe({ topics: [topic], fromBeginning: true })
          await consumer.run({ eachMessage: recorder(ledger) })
          await waitAll(ledger, a)
          await delay(1000)
          expect(ledger.missing(x)).toEqual(x) // paused: never handled on dc1

          const mark = ledger.calls.length
          await dr.failover('dc2', { reason: `hazard test: missing checkpoint, ${policy}` })
          expect(consumer.cluster).toBe('dc2')
          const result = w.translations.at(-1)!
          expect(result.missing).toContainEqual(
            expect.objectContaining({ topic: `dc1.${topic}`, partition: 1, reason: 'no-checkpoint', resolvedTo: policy }),
          )
          expect(result.partitions).toContainEqual(
            expect.objectContaining({
              topic: `dc1.${topic}`,
              partition: 0,
              checkpoint: expect.objectContaining({ cluster: 'dc1', topic, partition: 0 }),
            }),
          )
          expect(result.partitions).toContainEqual(
            expect.objectContaining({ topic: `dc1.${topic}`, partition: 1, method: policy, offset: policy === 'earliest' ? '0' : '400' }),
          )

          // Records that reach dc2 after the switch are read under either policy.
          const after = await produce('dc1', topic, 'y', 200, () => 1)
          const local = await produce('dc2', topic, 'z', 200)
          if (policy === 'earliest') {
            // Re-read from the low watermark: nothing is lost.
            await waitAll(ledger, [...a, ...x, ...after, ...local])
            expect(ledger.missing([...a, ...x, ...after, ...local])).toEqual([])
          } else {
            // From the high watermark: what the partition held at the switch is skipped, by choice.
            await waitAll(ledger, [...a, ...after, ...local])
            await delay(1000)
            expect(ledger.missing([...a, ...after, ...local])).toEqual([])
            expect(ledger.missing(x)).toEqual(x)
          }
          const dups = ledger.duplicatesFrom(mark)
          expect(dups).toBeLessThanOrEqual(1) // partition 0's last handled record, found again by its timestamp
          console.log(
            `[hazards] missing checkpoint (${policy}): duplicates ${dups}; 'x' handled ${x.length - ledger.missing(x).length} of ${x.length}; moves: ${describeMoves(w.moves)}`,
          )
        } finally {
          await closeAll(consumer, dr)
        }
      }, 180_000)
    }

    it(`onMissingCheckpoint 'error': the move fails visibly, while a group with a checkpoint for every record moves`, async () => {
      const { topic, a, x } = await withUncheckpointedPartition()
      const dr = client()
      await dr.connect()
      const gappedGroup = unique('g-gapped')
      const gapped = failoverConsumer(dr, gappedGroup, uniqueCheckpointTopic(), { onMissingCheckpoint: 'error' })
      const complete = failoverConsumer(dr, unique('g-complete'), uniqueCheckpointTopic(), { onMissingCheckpoint: 'error' })
      const gappedLedger = new Ledger()
      const completeLedger = new Ledger()
      const wGapped = watch(gapped)
      const wComplete = watch(complete)
      const failed: FailoverFailedEvent[] = []
      dr.on('failover:failed', (e) => failed.push(e))
      try {
        pausePartition1OnDc1(gapped, topic)
        for (const [consumer, ledger] of [
          [gapped, gappedLedger],
          [complete, completeLedger],
        ] as const) {
          await consumer.connect()
          await consumer.subscribe({ topics: [topic], fromBeginning: true })
          await consumer.run({ eachMessage: recorder(ledger) })
        }
        await waitAll(gappedLedger, a)
        await waitAll(completeLedger, [...a, ...x])
        await delay(1000)
        expect(gappedLedger.missing(x)).toEqual(x)

        const switchedAt = Date.now()
        // The gapped group does not move: failover() rejects naming it, its failure is reported at
        // once by the consumer and the client, and the move is tried again (with back-off) while
        // dc2 stays active.
        const refused = await dr.failover('dc2', { reason: 'hazard test: missing checkpoint, error' }).then(
          () => undefined,
          (e: unknown) => e,
        )
        expect(refused).toBeInstanceOf(FailoverError)
        expect((refused as FailoverError).participants.map((p) => p.participant)).toEqual([`consumer '${gappedGroup}'`])
        await waitFor('the gapped group tried three times', () => wGapped.failures.length >= 3, 30_000, 50)
        expect(wGapped.failedAttempts.slice(0, 3)).toEqual([1, 2, 3])
        for (const error of wGapped.failures) {
          expect(error).toBeInstanceOf(MissingCheckpointError)
          expect(error).toMatchObject({ code: 'ERR_MISSING_CHECKPOINT', group: gappedGroup, cluster: 'dc2' })
          expect(error.message).toContain(`dc1.${topic}[1]`)
          expect(error.message).not.toContain(`dc1.${topic}[0]`)
        }
        const error = wGapped.failures[0]!
        expect(wGapped.moves).toEqual([])
        expect(gapped.cluster).toBeUndefined()
        expect(failed).toHaveLength(1)
        expect(failed[0]).toMatchObject({
          from: 'dc1',
          to: 'dc2',
          error: expect.objectContaining({ code: 'ERR_FAILOVER_FAILED', cause: error }),
        })
        expect(failed[0]!.error).toBe(refused)

        // The group with a checkpoint for every record it read moves (dc2's own topic is empty:
        // nothing there is ambiguous) and goes on.
        expect(wComplete.failures).toEqual([])
        expect(complete.cluster).toBe('dc2')
        const later = [...(await produce('dc1', topic, 'y', 200, () => 1)), ...(await produce('dc2', topic, 'z', 200))]
        await waitAll(completeLedger, later)
        expect(completeLedger.missing([...a, ...x, ...later])).toEqual([])
        expect(gappedLedger.calls.filter((c) => c.at >= switchedAt)).toEqual([])

        // The retries of the move to dc2 end when dc2 stops being the active cluster. The gapped
        // group has no checkpoint for dc1 either (dc2's records): that switch names it as failed too.
        const back = await dr.failover('dc1', { reason: 'hazard test: the active cluster moves on' }).then(
          () => undefined,
          (e: unknown) => e,
        )
        expect(back).toBeInstanceOf(FailoverError)
        expect((back as FailoverError).participants.map((p) => p.participant)).toEqual([`consumer '${gappedGroup}'`])
        await delay(500)
        const retriedAt = Date.now()
        await delay(3000)
        expect(wGapped.failedTo.filter((f) => f.to === 'dc2' && f.at > retriedAt)).toEqual([])
        console.log(
          `[hazards] missing checkpoint (error): ${error.message}; complete group: ${describeMoves(wComplete.moves)}, duplicates ${completeLedger.duplicates()}`,
        )
      } finally {
        await closeAll(gapped, complete, dr)
      }
    }, 180_000)
  })

  for (const kind of ['eachMessage', 'eachBatch'] as const) {
    it(`a handler (${kind}) that throws around the switch: kafkajs retries, nothing is lost`, async () => {
      const topic = unique('throws')
      const group = unique('g-throws')
      const partitions = 4
      await createTopics(topic, partitions)
      const ids = await produce('dc1', topic, 'a', 4000)
      await waitForRecords('dc2', `dc1.${topic}`, 4000, 120_000, 250)

      const ledger = new Ledger()
      const attempts = new Map<string, number>()
      const thrown: Call[] = []
      const dr = client()
      await dr.connect()
      // kafkajs counts handler errors over a whole fetch loop: with the default budget (2 retries)
      // every third failure crashes the consumer, which leaves and rejoins its group. An empty
      // group lets MM2's group offset sync (on in the bed) write its older translation over the
      // group's offsets, and the rejoined consumer replays seconds of records. That is a hazard of
      // its own; here the budget is large enough that kafkajs only ever retries.
      const consumer = failoverConsumer(dr, group, uniqueCheckpointTopic(), {
        ...LOCKSTEP,
        retry: { retries: 50, initialRetryTime: 100, maxRetryTime: 500 },
      })
      const crashes: unknown[] = []
      consumer.on(consumer.events.CRASH, (e) => crashes.push(e))
      const w = watch(consumer)
      let switching: Promise<unknown> | undefined
      let fencedAt = Infinity
      dr.on('failover:start', (e) => {
        fencedAt = Math.min(fencedAt, e.timestamp)
      })
      /** Every 250th record fails on its first attempt on each cluster; the first failure after 1500 handled records starts the switch, which fences the session while that handler still runs. */
      const handle = async (id: string, cluster: string): Promise<void> => {
        const key = `${cluster}/${id}`
        const attempt = (attempts.get(key) ?? 0) + 1
        attempts.set(key, attempt)
        if (Number(id.split('-')[1]) % 250 === 0 && attempt === 1) {
          thrown.push({ id, cluster, at: Date.now() })
          if (switching === undefined && ledger.calls.length >= 1500) {
            switching = dr.failover('dc2', { reason: 'hazard test: handler failing during the switch' })
            await delay(200)
          }
          throw new Error(`handler failed on ${id} (attempt ${attempt} on ${cluster})`)
        }
        ledger.add(id, cluster)
        if (ledger.calls.length % 10 === 0) await delay(20)
      }
      try {
        await consumer.connect()
        await consumer.subscribe({ topics: [topic], fromBeginning: true })
        if (kind === 'eachMessage') {
          await consumer.run({ eachMessage: async ({ message, cluster }) => handle(message.value!.toString(), cluster) })
        } else {
          await consumer.run({
            // The documented kafkajs pattern for a loop that may stop early: resolve each record.
            eachBatchAutoResolve: false,
            eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale, cluster }: FailoverEachBatchPayload) => {
              for (const message of batch.messages) {
                if (!isRunning() || isStale()) break
                await handle(message.value!.toString(), cluster)
                resolveOffset(message.offset)
                await heartbeat()
              }
            },
          })
        }
        await waitFor('the switch started from a failing handler', () => switching !== undefined, 120_000, 50)
        await switching
        expect(consumer.cluster).toBe('dc2')
        await waitAll(ledger, ids)
        const more = await produce('dc1', topic, 'b', 500)
        await waitAll(ledger, more)

        expect(ledger.missing([...ids, ...more])).toEqual([])
        // Failures happened on both sides of the switch, and every failed record was retried.
        expect(thrown.some((t) => t.cluster === 'dc1')).toBe(true)
        expect(thrown.some((t) => t.cluster === 'dc2')).toBe(true)
        for (const t of thrown) expect(ledger.seen.has(t.id)).toBe(true)
        // A switch away from a healthy cluster makes before it breaks: dc1 delivers until the
        // move stops it, and dc2 only after that. Nothing from dc1 once dc2 has delivered.
        const moved = w.moves[0]!
        expect(fencedAt).toBeLessThan(Infinity)
        const firstOnDc2 = ledger.calls.find((c) => c.cluster === 'dc2' && c.at >= fencedAt)!
        expect(ledger.calls.filter((c) => c.cluster === 'dc1' && c.at > firstOnDc2.at)).toEqual([])
        // kafkajs retried in place: no crash, no restart, no rejoin.
        expect(crashes).toEqual([])
        const dups = ledger.duplicates()
        expect(dups).toBeLessThanOrEqual(2 * partitions)
        console.log(
          `[hazards] throwing ${kind}: ${thrown.length} failed attempts (${thrown.filter((t) => t.cluster === 'dc1').length} on dc1); duplicates ${dups} (bound ${2 * partitions}); ` +
            `move ${moved.durationMs} ms by ${moved.via}`,
        )
      } finally {
        await closeAll(consumer, dr)
      }
    }, 240_000)
  }

  it('the target copy has fewer partitions than the source: the move happens, nothing the target holds is lost, unmapped partitions are reported', async () => {
    // MM2 grows a replica that has fewer partitions than its source within a second, so this
    // situation (a replicator that keeps partition numbers but cannot add partitions) is built by
    // hand: names ending in `.replica` are in MM2's default topics.exclude (`mm2.*\.internal,
    // .*\.replica, __.*` since Kafka 3; `-internal` names are replicated), so MM2 leaves them
    // alone, and the test itself plays the replicator.
    const logical = `${unique('parts')}.replica`
    const replica = `dc1.${logical}`
    await Promise.all([createTopic('dc1', logical, 4), createTopic('dc2', logical, 2), createTopic('dc2', replica, 2)])
    const recs = records('a', 4000, (i) => i % 4)
    const ids = await send('dc1', logical, recs)
    // The replica: partitions 0 and 1 with their records in order and their timestamps; 2 and 3 have no place.
    const held = await send(
      'dc2',
      replica,
      recs.filter((r) => r.partition! < 2),
    )

    const ledger = new Ledger()
    const dr = client()
    await dr.connect()
    const consumer = failoverConsumer(dr, unique('g-parts'), uniqueCheckpointTopic(), LOCKSTEP)
    const w = watch(consumer)
    try {
      await consumer.connect()
      await consumer.subscribe({ topics: [logical], fromBeginning: true })
      await consumer.run({ eachMessage: recorder(ledger, { every: 10, ms: 20 }) })
      await waitFor('1500 records handled on dc1', () => ledger.calls.length >= 1500, 120_000, 20)
      const mark = ledger.calls.length
      await dr.failover('dc2', { reason: 'hazard test: fewer partitions on the target' })
      expect(consumer.cluster).toBe('dc2')
      expect(w.moves).toHaveLength(1)

      const result = w.translations.at(-1)!
      expect(result.partitions.filter((p) => p.topic === replica).map((p) => [p.partition, p.method])).toEqual([
        [0, 'timestamp'],
        [1, 'timestamp'],
      ])
      expect(
        result.unmapped.map((u) => [u.checkpoint.cluster, u.checkpoint.topic, u.checkpoint.partition, u.targetTopic, u.reason]),
      ).toEqual([2, 3].map((p) => ['dc1', logical, p, replica, 'partition-missing']))
      await waitAll(ledger, held)
      const local = await produce('dc2', logical, 'z', 200)
      await waitAll(ledger, local)

      expect(ledger.missing([...held, ...local])).toEqual([])
      const dups = ledger.duplicatesFrom(mark)
      // One per mapped partition (the boundary record, found again by its timestamp), plus the
      // record whose handler was running when the switch fenced the session.
      expect(dups).toBeLessThanOrEqual(2 + 1)
      const stranded = ledger.missing(ids).length
      console.log(
        `[hazards] fewer partitions: unmapped ${result.unmapped.map((u) => `${u.checkpoint.topic}[${u.checkpoint.partition}]@${u.checkpoint.offset}`).join(', ')}; ` +
          `records of source partitions 2-3 never handled (not on the target) ${stranded}; duplicates ${dups}; moves: ${describeMoves(w.moves)}`,
      )
    } finally {
      await closeAll(consumer, dr)
    }
  }, 180_000)

  it('the target copy has more partitions than the source (MM2 replicating into it): nothing lost either way', async () => {
    const topic = unique('moreparts')
    const group = unique('g-moreparts')
    // Created before MM2 creates it: MM2 replicates into it and never shrinks it.
    await createTopic('dc2', `dc1.${topic}`, 6)
    await createTopics(topic, 4)
    const ids = await produce('dc1', topic, 'a', 3000)
    await waitForRecords('dc2', `dc1.${topic}`, 3000, 120_000, 250)
    expect((await withAdmin('dc2', (admin) => admin.fetchTopicOffsets(`dc1.${topic}`))).length).toBe(6)

    const ledger = new Ledger()
    const dr = client()
    await dr.connect()
    const consumer = failoverConsumer(dr, group, uniqueCheckpointTopic(), { ...LOCKSTEP, onMissingCheckpoint: 'error' })
    const w = watch(consumer)
    try {
      await consumer.connect()
      await consumer.subscribe({ topics: [topic], fromBeginning: true })
      await consumer.run({ eachMessage: recorder(ledger, { every: 10, ms: 20 }) })
      await waitFor('1000 records handled on dc1', () => ledger.calls.length >= 1000, 120_000, 20)
      let mark = ledger.calls.length
      await dr.failover('dc2', { reason: 'hazard test: more partitions on the target' })
      expect(consumer.cluster).toBe('dc2')
      const there = w.translations.at(-1)!
      expect(there.partitions.filter((p) => p.topic === `dc1.${topic}`).map((p) => p.partition)).toEqual([0, 1, 2, 3, 4, 5])
      expect(there.unmapped).toEqual([])
      await waitAll(ledger, ids)
      const dupsThere = ledger.duplicatesFrom(mark)

      const local = await produce('dc2', topic, 'b', 1000)
      await waitAll(ledger, local)
      await waitForRecords('dc1', `dc2.${topic}`, 1000, 120_000, 250)
      mark = ledger.calls.length
      await dr.failover('dc1', { reason: 'hazard test: back from the larger copy' })
      expect(consumer.cluster).toBe('dc1')
      expect(w.translations.at(-1)!.unmapped).toEqual([])
      const back = await produce('dc1', topic, 'c', 500)
      await waitAll(ledger, back)

      expect(ledger.missing([...ids, ...local, ...back])).toEqual([])
      const dupsBack = ledger.duplicatesFrom(mark)
      // One per partition read (the boundary record), plus the record in flight at a mid-stream switch.
      expect(dupsThere).toBeLessThanOrEqual(4 + 1)
      expect(dupsBack).toBeLessThanOrEqual(4 + 4)
      console.log(
        `[hazards] more partitions: duplicates at the failover ${dupsThere}, at the failback ${dupsBack}; moves: ${describeMoves(w.moves)}`,
      )
    } finally {
      await closeAll(consumer, dr)
    }
  }, 180_000)
})
