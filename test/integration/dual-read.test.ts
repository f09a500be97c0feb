/**
 * Dual-read acceptance on the real bed (MirrorMaker 2 both ways, prefix naming): an active-active
 * deployment where each datacenter's service writes `orders` on its own cluster through
 * kafkajs-dr, and each datacenter's consumer group reads both origins, either from the replica
 * on its active cluster (`dualRead: 'replicas'`) or each origin from its own cluster
 * (`dualRead: 'direct'`). Every record must be delivered; with `dedupe` none twice.
 */
import kafkajs from 'kafkajs'
import { setTimeout as delay } from 'node:timers/promises'
import { afterAll, describe, expect, it } from 'vitest'
import type { FailoverConsumer, FailoverConsumerConfig, FailoverProducer, MultiClusterKafka } from '../../src/index.js'
import { MultiClusterKafka as Client } from '../../src/index.js'
import { FAST_HEALTH } from './drill.js'
import { bed, createTopic, highWatermark, readRecords, unique, waitFor, withAdmin } from './helpers.js'

const PARTITIONS = 3
const PER_SITE = 10_000

type Site = 'dc1' | 'dc2'

/** A datacenter's client: its own cluster preferred (priority policy), as each site's services run it. */
function siteClient(site: Site): MultiClusterKafka {
  const other: Site = site === 'dc1' ? 'dc2' : 'dc1'
  const kafka = (name: Site) => ({ clientId: `dual-${site}`, brokers: bed().brokers[name]!, logLevel: kafkajs.logLevel.NOTHING })
  return new Client({
    clusters: { [site]: { kafka: kafka(site), priority: 1 }, [other]: { kafka: kafka(other), priority: 2 } },
    localCluster: site,
    health: FAST_HEALTH,
    discovery: { policy: 'priority', failbackDelayMs: 2000 },
  })
}

/** What one consumer delivered. */
class Ledger {
  readonly seen = new Map<string, number>()
  readonly byCluster = new Map<string, number>()
  /** Records whose payload origin differs from the site in their id: written to the other cluster by a producer that failed over (its re-sends included). */
  resentOrigins = 0

  note(id: string, cluster: string, originCluster: string): void {
    this.seen.set(id, (this.seen.get(id) ?? 0) + 1)
    this.byCluster.set(cluster, (this.byCluster.get(cluster) ?? 0) + 1)
    if (!id.startsWith(originCluster)) this.resentOrigins++
  }

  get duplicates(): number {
    let n = 0
    for (const count of this.seen.values()) n += count - 1
    return n
  }

  missing(expected: readonly string[]): string[] {
    return expected.filter((id) => !this.seen.has(id))
  }
}

async function startConsumer(
  dr: MultiClusterKafka,
  topic: string,
  config: Omit<FailoverConsumerConfig, 'groupId'>,
): Promise<{ consumer: FailoverConsumer; ledger: Ledger }> {
  const consumer = dr.consumer({ groupId: unique('dual'), sessionTimeout: 10_000, heartbeatInterval: 1000, ...config })
  const ledger = new Ledger()
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ message, cluster, originCluster }) => ledger.note(message.value!.toString(), cluster, originCluster),
  })
  return { consumer, ledger }
}

/** Sends `count` records with ids `<site>-<i>` through `producer`, about `ratePerSec` a second, in sends of 50. */
async function produce(producer: FailoverProducer, topic: string, site: Site, count: number, ratePerSec: number): Promise<void> {
  const started = Date.now()
  for (let start = 0; start < count; start += 50) {
    const ids = Array.from({ length: Math.min(50, count - start) }, (_, j) => `${site}-${start + j}`)
    await producer.send({ topic, messages: ids.map((id) => ({ key: id, value: id })) })
    const ahead = started + ((start + 50) / ratePerSec) * 1000 - Date.now()
    if (ahead > 0) await delay(ahead)
  }
}

/** `orders` on both clusters, and MirrorMaker 2's replica of each on the other, before anything reads them. */
async function activeActiveTopic(): Promise<string> {
  const topic = unique('orders')
  await createTopic('dc1', topic, PARTITIONS)
  await createTopic('dc2', topic, PARTITIONS)
  for (const [cluster, replica] of [
    ['dc1', `dc2.${topic}`],
    ['dc2', `dc1.${topic}`],
  ] as const) {
    await waitFor(
      `${replica} on ${cluster}`,
      () => withAdmin(cluster, async (admin) => (await admin.listTopics()).includes(replica)),
      60_000,
      500,
    )
  }
  return topic
}

/** How many records of a topic repeat another's value: what a reader of the whole log sees twice. */
async function logDuplicates(cluster: string, topic: string): Promise<number> {
  const values = (await readRecords(cluster, topic, await highWatermark(cluster, topic))).map((r) => r.value)
  return values.length - new Set(values).size
}

const ids = (site: Site, count: number): string[] => Array.from({ length: count }, (_, i) => `${site}-${i}`)

describe('dual-read on the local bed (active-active, MirrorMaker 2 both ways)', () => {
  afterAll(async () => {
    await bed().up()
  })

  it("steady state: each site's group sees all 20,000 records once in both modes; origins [dc1] sees exactly dc1's", async () => {
    const topic = await activeActiveTopic()
    const sites = { dc1: siteClient('dc1'), dc2: siteClient('dc2') }
    await Promise.all(Object.values(sites).map((dr) => dr.connect()))
    const consumers: FailoverConsumer[] = []
    try {
      const started = await Promise.all([
        startConsumer(sites.dc1, topic, { dualRead: 'replicas' }),
        startConsumer(sites.dc2, topic, { dualRead: 'replicas' }),
        startConsumer(sites.dc1, topic, { dualRead: 'direct' }),
        startConsumer(sites.dc2, topic, { dualRead: 'direct' }),
        startConsumer(sites.dc1, topic, { origins: ['dc1'] }),
      ])
      consumers.push(...started.map((s) => s.consumer))
      const [replicas1, replicas2, direct1, direct2, onlyDc1] = started.map((s) => s.ledger) as [Ledger, Ledger, Ledger, Ledger, Ledger]
      const producers = { dc1: sites.dc1.producer(), dc2: sites.dc2.producer() }
      await Promise.all(Object.values(producers).map((p) => p.connect()))
      await Promise.all([produce(producers.dc1, topic, 'dc1', PER_SITE, 5000), produce(producers.dc2, topic, 'dc2', PER_SITE, 5000)])
      await Promise.all(Object.values(producers).map((p) => p.disconnect()))

      const all = [...ids('dc1', PER_SITE), ...ids('dc2', PER_SITE)]
      for (const [name, ledger] of Object.entries({ replicas1, replicas2, direct1, direct2 })) {
        await waitFor(`${name} sees all 20,000`, () => ledger.missing(all).length === 0, 120_000, 250)
      }
      await waitFor("origins [dc1] sees dc1's 10,000", () => onlyDc1.missing(ids('dc1', PER_SITE)).length === 0, 120_000, 250)
      // Records still in flight would show as duplicates or strays: give them a moment.
      await delay(3000)
      // The consumers add no duplicate: each delivers what the logs it reads hold, once. The logs
      // themselves may hold a record twice, as at-least-once writers leave them (a producer's
      // batch retried after a request timeout, MirrorMaker 2 copying again after a restart): seen
      // once in a full run on a loaded machine, 100 in one site's view.
      const inLog = {
        dc1: await logDuplicates('dc1', topic),
        dc2: await logDuplicates('dc2', topic),
        dc1Replica: await logDuplicates('dc1', `dc2.${topic}`),
        dc2Replica: await logDuplicates('dc2', `dc1.${topic}`),
      }
      const expected = new Map([
        [replicas1, inLog.dc1 + inLog.dc1Replica],
        [replicas2, inLog.dc2 + inLog.dc2Replica],
        [direct1, inLog.dc1 + inLog.dc2],
        [direct2, inLog.dc1 + inLog.dc2],
      ])
      for (const [ledger, duplicates] of expected) {
        expect(ledger.seen.size).toBe(2 * PER_SITE)
        expect(ledger.duplicates).toBe(duplicates)
      }
      expect(onlyDc1.seen.size).toBe(PER_SITE)
      expect(onlyDc1.duplicates).toBe(inLog.dc1)
      // Direct reads come from each origin's own cluster; replica reads from the site's own.
      expect(Object.fromEntries(direct1.byCluster)).toEqual({ dc1: PER_SITE, dc2: PER_SITE })
      expect(Object.fromEntries(replicas1.byCluster)).toEqual({ dc1: 2 * PER_SITE })
      expect(Object.fromEntries(replicas2.byCluster)).toEqual({ dc2: 2 * PER_SITE })
      const reading = consumers[2]!.status().reading
      expect(reading.map((r) => [r.origins, r.cluster])).toEqual([
        [['dc1'], 'dc1'],
        [['dc2'], 'dc2'],
      ])
      console.log(
        `dual-read steady state: replicas ${JSON.stringify(Object.fromEntries(replicas1.byCluster))} / ${JSON.stringify(Object.fromEntries(replicas2.byCluster))}, direct ${JSON.stringify(Object.fromEntries(direct1.byCluster))} / ${JSON.stringify(Object.fromEntries(direct2.byCluster))}, origins [dc1] ${onlyDc1.seen.size}; duplicates only those in the logs (${JSON.stringify(inLog)})`,
      )
    } finally {
      await Promise.all(consumers.map((c) => c.disconnect()))
      await Promise.all(Object.values(sites).map((dr) => dr.disconnect()))
    }
  }, 90_000)

  it.skipIf(!bed().canInjectFaults)(
    "dc2 killed -9 mid-stream and restarted: nothing lost; with dedupe none twice, also the records dc2's producer re-sent to dc1",
    async () => {
      const topic = await activeActiveTopic()
      const sites = { dc1: siteClient('dc1'), dc2: siteClient('dc2') }
      await Promise.all(Object.values(sites).map((dr) => dr.connect()))
      const consumers: FailoverConsumer[] = []
      const moves: string[] = []
      try {
        const started = await Promise.all([
          startConsumer(sites.dc1, topic, { dualRead: 'direct', dedupe: true }),
          startConsumer(sites.dc1, topic, { dualRead: 'direct' }),
          startConsumer(sites.dc1, topic, { dualRead: 'replicas', dedupe: true }),
        ])
        consumers.push(...started.map((s) => s.consumer))
        consumers[0]!.on('consumer:moved', (e) => moves.push(`${e.origin}: ${e.from}->${e.to}`))
        const [directDedupe, direct, replicasDedupe] = started.map((s) => s.ledger) as [Ledger, Ledger, Ledger]
        const producers = { dc1: sites.dc1.producer(), dc2: sites.dc2.producer() }
        await Promise.all(Object.values(producers).map((p) => p.connect()))
        const rate = 1000
        const writing = Promise.all([
          produce(producers.dc1, topic, 'dc1', PER_SITE, rate),
          produce(producers.dc2, topic, 'dc2', PER_SITE, rate),
        ])
        await waitFor(
          "a third of dc2's records read directly",
          () => [...directDedupe.seen.keys()].filter((id) => id.startsWith('dc2')).length >= PER_SITE / 3,
          60_000,
          20,
        )
        const killedAt = Date.now()
        await bed().kill('dc2')
        await waitFor("dc2's origin read on dc1", () => consumers[0]!.status().reading[1]!.cluster === 'dc1', 60_000, 50)
        const movedMs = Date.now() - killedAt
        await delay(3000)
        await bed().start('dc2')
        await writing
        await Promise.all(Object.values(producers).map((p) => p.disconnect()))
        await waitFor("dc2's origin read on dc2 again", () => consumers[0]!.status().reading[1]!.cluster === 'dc2', 120_000, 250)

        const all = [...ids('dc1', PER_SITE), ...ids('dc2', PER_SITE)]
        for (const [name, ledger] of Object.entries({ directDedupe, direct, replicasDedupe })) {
          await waitFor(`${name} sees all 20,000`, () => ledger.missing(all).length === 0, 180_000, 500)
        }
        await delay(3000)
        const dedupe = consumers[0]!.status().dedupe!
        console.log(
          `dual-read, dc2 killed -9 for 3 s: dc2's origin moved to dc1 in ${movedMs} ms and back; moves ${moves.join(', ')}; ` +
            `direct+dedupe ${directDedupe.duplicates} duplicates (dropped ${dedupe.dropped}; ${directDedupe.resentOrigins} records written to dc1 by dc2's producer while dc2 was away, re-sends included); ` +
            `direct without dedupe ${direct.duplicates} duplicates; replicas+dedupe ${replicasDedupe.duplicates} duplicates (dropped ${consumers[2]!.status().dedupe!.dropped})`,
        )
        for (const ledger of [directDedupe, direct, replicasDedupe]) expect(ledger.missing(all)).toEqual([])
        expect(directDedupe.duplicates).toBe(0)
        expect(replicasDedupe.duplicates).toBe(0)
        // Without dedupe: each of the two moves of dc2's origin repeats at most a checkpoint
        // interval of its records (1 s at 1,000 a second) plus one per partition, and the producer's re-sends come twice.
        expect(direct.duplicates).toBeLessThanOrEqual(2 * (rate + PARTITIONS) + direct.resentOrigins)
      } finally {
        await Promise.all(consumers.map((c) => c.disconnect()))
        await Promise.all(Object.values(sites).map((dr) => dr.disconnect()))
      }
    },
    150_000,
  )
})
