/**
 * A producer drill for the integration tests: a paced stream of uniquely keyed records through a
 * FailoverProducer while the test breaks the bed, with a ledger of what was acknowledged,
 * rejected and switched. Afterwards, `verify` reads the topic back from every cluster.
 */
import kafkajs from 'kafkajs'
import { setTimeout as delay } from 'node:timers/promises'
import { MultiClusterKafka, type FailoverCompleteEvent, type MultiClusterKafkaOptions } from '../../src/index.js'
import { bed, createTopic, highWatermark, readRecords } from './helpers.js'

/** Fast detection for tests: probes every 250 ms, a hung probe fails after 750 ms. */
export const FAST_HEALTH = { intervalMs: 250, timeoutMs: 750, failureThreshold: 2, successThreshold: 2 }

/** A client over the bed's two clusters with test-friendly timings. */
export function drClient(overrides: Partial<MultiClusterKafkaOptions> = {}): MultiClusterKafka {
  return new MultiClusterKafka({
    clusters: {
      dc1: { kafka: { clientId: 'drill', brokers: bed().brokers.dc1!, logLevel: kafkajs.logLevel.NOTHING }, priority: 1 },
      dc2: { kafka: { clientId: 'drill', brokers: bed().brokers.dc2!, logLevel: kafkajs.logLevel.NOTHING }, priority: 2 },
    },
    localCluster: 'dc1',
    health: FAST_HEALTH,
    ...overrides,
  })
}

/** What a drill saw. */
export interface DrillLedger {
  acked: Set<string>
  rejected: number
  switches: FailoverCompleteEvent[]
}

/**
 * Sends `total` records, `perSend` per send with `concurrency` sends in flight, pacing to about
 * `ratePerSec` records per second, while `fault` runs alongside.
 */
export async function runProducerDrill(dr: MultiClusterKafka, topic: string, options: { total: number, perSend: number, ratePerSec: number, concurrency: number }, fault: () => Promise<void>): Promise<DrillLedger> {
  const ledger: DrillLedger = { acked: new Set(), rejected: 0, switches: [] }
  dr.on('failover:complete', (e) => ledger.switches.push(e))
  const producer = dr.producer({ deliveryTimeoutMs: 20_000 })
  await producer.connect()
  const sends = options.total / options.perSend
  const intervalMs = (1000 * options.perSend) / options.ratePerSec
  let next = 0
  const started = Date.now()
  async function worker(): Promise<void> {
    while (next < sends) {
      const n = next++
      const due = started + n * intervalMs
      if (due > Date.now()) await delay(due - Date.now())
      const ids = Array.from({ length: options.perSend }, (_, i) => `m-${n * options.perSend + i}`)
      try {
        await producer.send({ topic, messages: ids.map((id) => ({ key: id, value: id })) })
        for (const id of ids) ledger.acked.add(id)
      } catch {
        ledger.rejected += ids.length
      }
    }
  }
  await Promise.all([...Array.from({ length: options.concurrency }, worker), fault()])
  await producer.disconnect()
  return ledger
}

/** Ids of the records on `topic` (the locally written copy, not the replica) of each cluster. */
export async function idsOnClusters(topic: string): Promise<{ dc1: Set<string>, dc2: Set<string> }> {
  const read = async (cluster: string): Promise<Set<string>> => {
    const count = await highWatermark(cluster, topic)
    const records = count > 0 ? await readRecords(cluster, topic, count, 120_000) : []
    return new Set(records.map((r) => r.value ?? ''))
  }
  const [dc1, dc2] = await Promise.all([read('dc1'), read('dc2')])
  return { dc1, dc2 }
}

/** Creates the drill topic on both clusters. */
export async function createDrillTopic(topic: string): Promise<void> {
  await Promise.all([createTopic('dc1', topic, 3), createTopic('dc2', topic, 3)])
}
