/**
 * A producer drill for the integration tests: a paced stream of uniquely keyed records through a
 * FailoverProducer while the test breaks the bed, with a ledger of what was acknowledged,
 * rejected and switched. Afterwards, `verify` reads the topic back from every cluster.
 */
import kafkajs from 'kafkajs'
import { setTimeout as delay } from 'node:timers/promises'
import { MultiClusterKafka, type FailoverCompleteEvent, type MultiClusterKafkaOptions, type SwitchInfo } from '../../src/index.js'
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

/** The drill producer's delivery deadline: far longer than the tests' detection time (FAST_HEALTH). */
export const DRILL_DELIVERY_TIMEOUT_MS = 20_000

/** One `send()` of a drill. */
export interface DrillSend {
  ids: string[]
  /** When the send began, and the active cluster then (where its first attempt went). */
  startedAt: number
  startedOn: string | undefined
  /** When it was acknowledged or rejected. */
  settledAt: number
  /** Why it was rejected (undefined when acknowledged). */
  error?: string
}

/** What a drill saw. */
export interface DrillLedger {
  acked: Set<string>
  rejected: number
  /** Every send, in the order they settled. */
  sends: DrillSend[]
  switches: FailoverCompleteEvent[]
  /** Each switch as it started (the active cluster changes at that moment). */
  switchStarts: SwitchInfo[]
}

/**
 * Ids of the acknowledged sends that began on `from` before the first switch away from it and were
 * acknowledged after that switch had started. By then `from` was dead or hung and the producer had
 * stopped waiting on it, so their acknowledgement can only come from a re-send on another cluster.
 */
export function resentAcrossFirstSwitch(ledger: DrillLedger, from = 'dc1'): string[] {
  const switchedAt = ledger.switchStarts.find((s) => s.from === from)?.timestamp
  if (switchedAt === undefined) return []
  return ledger.sends
    .filter((s) => s.error === undefined && s.startedOn === from && s.startedAt < switchedAt && s.settledAt >= switchedAt)
    .flatMap((s) => s.ids)
}

/**
 * Sends `total` records, `perSend` per send with `concurrency` sends in flight, pacing to about
 * `ratePerSec` records per second, while `fault` runs alongside.
 */
export async function runProducerDrill(
  dr: MultiClusterKafka,
  topic: string,
  options: { total: number; perSend: number; ratePerSec: number; concurrency: number },
  fault: () => Promise<void>,
): Promise<DrillLedger> {
  const ledger: DrillLedger = { acked: new Set(), rejected: 0, sends: [], switches: [], switchStarts: [] }
  dr.on('failover:start', (e) => ledger.switchStarts.push(e))
  dr.on('failover:complete', (e) => ledger.switches.push(e))
  const producer = dr.producer({ deliveryTimeoutMs: DRILL_DELIVERY_TIMEOUT_MS })
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
      const startedAt = Date.now()
      const startedOn = dr.activeCluster
      try {
        await producer.send({ topic, messages: ids.map((id) => ({ key: id, value: id })) })
        for (const id of ids) ledger.acked.add(id)
        ledger.sends.push({ ids, startedAt, startedOn, settledAt: Date.now() })
      } catch (error) {
        ledger.rejected += ids.length
        ledger.sends.push({
          ids,
          startedAt,
          startedOn,
          settledAt: Date.now(),
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        })
      }
    }
  }
  await Promise.all([...Array.from({ length: options.concurrency }, worker), fault()])
  await producer.disconnect()
  return ledger
}

/** Ids of the records on `topic` (the locally written copy, not the replica) of each cluster. */
export async function idsOnClusters(topic: string): Promise<{ dc1: Set<string>; dc2: Set<string> }> {
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
