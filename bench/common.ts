/** Shared pieces of the benchmarks: the bed, clients with default settings, small statistics. */
import kafkajs from 'kafkajs'
import pRetry from 'p-retry'
import { KafkaBed } from '../test/bed/bed.js'
import { MultiClusterKafka, type MultiClusterKafkaOptions } from '../src/index.js'

export const bed = new KafkaBed({ verbose: true })

/** A raw kafkajs client of one bed cluster, configured as a user would (quiet logs). */
export function rawKafka(cluster: 'dc1' | 'dc2'): kafkajs.Kafka {
  return new kafkajs.Kafka({ clientId: 'bench', brokers: bed.brokers[cluster]!, logLevel: kafkajs.logLevel.NOTHING })
}

/** A multi-cluster client over the bed with DEFAULT failover settings (only clients given). */
export function drClient(overrides: Partial<MultiClusterKafkaOptions> = {}): MultiClusterKafka {
  return new MultiClusterKafka({
    clusters: { dc1: { kafka: rawKafka('dc1'), priority: 1 }, dc2: { kafka: rawKafka('dc2'), priority: 2 } },
    localCluster: 'dc1',
    ...overrides,
  })
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export async function createTopic(cluster: 'dc1' | 'dc2', topic: string, numPartitions: number): Promise<void> {
  // A just-restarted KRaft node can answer the leader wait with UNKNOWN_TOPIC_OR_PARTITION once.
  await pRetry(
    async () => {
      const admin = rawKafka(cluster).admin()
      await admin.connect()
      try {
        await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true })
      } finally {
        await admin.disconnect()
      }
    },
    { retries: 5, minTimeout: 500 },
  )
}

/** `items` rotated left by `round` places: each round starts with a different path. */
export function rotated<T>(items: readonly T[], round: number): T[] {
  const k = round % items.length
  return [...items.slice(k), ...items.slice(0, k)]
}

/** Per-round ratios `wrapper[i] / raw[i]`. */
export function pairedRatios(wrapper: readonly number[], raw: readonly number[]): number[] {
  return wrapper.map((w, i) => w / raw[i]!)
}

/** The raw, wrapper and ratio cells of a throughput row: medians, and the spread of the ratios. */
export function formatRatios(
  raw: readonly number[],
  wrapper: readonly number[],
  ratios: readonly number[],
): Pick<Row, 'raw' | 'wrapper' | 'ratio'> {
  const rate = (v: readonly number[]): string => `${Math.round(median([...v])).toLocaleString('en-US')} rec/s`
  return {
    raw: rate(raw),
    wrapper: rate(wrapper),
    ratio: `${median([...ratios]).toFixed(3)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`,
  }
}

/** One row of the printed table. */
export interface Row {
  measure: string
  raw: string
  wrapper: string
  ratio: string
  goal: string
}

export function printTable(rows: Row[]): void {
  const headers: Row = { measure: 'measure', raw: 'raw kafkajs', wrapper: 'kafkajs-dr', ratio: 'ratio / result', goal: 'goal' }
  const keys = Object.keys(headers) as Array<keyof Row>
  const widths = keys.map((k) => Math.max(...[headers, ...rows].map((r) => r[k].length)))
  const line = (r: Row): string => `| ${keys.map((k, i) => r[k].padEnd(widths[i]!)).join(' | ')} |`
  console.log(line(headers))
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
  for (const r of rows) console.log(line(r))
}

/**
 * Seconds from the first record to the `count`-th: group join and connection set-up are left
 * out, so every consumer is timed on the same work. `run` starts a consumer with the handler.
 */
export async function timeDrain(count: number, run: (eachMessage: () => Promise<void>) => Promise<void>): Promise<number> {
  let seen = 0
  let first = 0n
  let last = 0n
  await new Promise<void>((resolve) => {
    void run(async () => {
      if (seen++ === 0) first = process.hrtime.bigint()
      if (seen === count) {
        last = process.hrtime.bigint()
        resolve()
      }
    })
  })
  return Number(last - first) / 1e9
}
