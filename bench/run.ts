/**
 * `npm run bench`: benchmarks on the local two-datacenter bed (started if needed, left as found).
 * Throughput is always a ratio against raw kafkajs measured in the same run.
 * `npm run bench -- throughput`, `-- consume` (a fresh consumer's start-up and steady rate, both
 * handlers, both record sizes, on both broker group settings; `--rounds N`, default 5), `-- failover`, `-- group` (a consumer group of separate instance
 * processes failing over), `-- steady` (a consumer's cost while nothing fails), `-- dual-read`
 * (direct vs replica latency, dedupe throughput) or `-- dedupe` (the duplicate filter's memory and
 * speed; needs no Kafka, so the bed is then not started) runs one part only; `--trials N` sets the consumer failover trials per fault and broker setting (default 20)
 * and the group failover trials per group size, fault and broker setting (default 10);
 * `--sizes 1,4,8` sets the group sizes (instances; the default), `--partitions 12,480` the
 * partitions of the group's topic (default 12). Consumer and group failover run
 * on the bed's group settings and again on Kafka's defaults (the brokers are restarted for it
 * and back); `--settings kafka-defaults` and `--faults kill` narrow them (the producer failover
 * part then does not run).
 */
import { readFlags, UsageError } from '../src/flags/index.js'
import { benchConsume } from './consume.js'
import { benchConsumerFailover } from './consumer-failover.js'
import { benchDedupeMemory } from './dedupe-memory.js'
import { benchDualRead } from './dual-read.js'
import { benchFailover } from './failover.js'
import { GROUP_PARTITIONS, benchGroupFailover } from './group-failover.js'
import { benchProduce } from './produce.js'
import { benchSteadyState } from './steady-state.js'
import { bed, printTable, type Row } from './common.js'

const FLAGS = {
  '--trials': { value: true },
  '--partitions': { value: true },
  '--sizes': { value: true },
  '--settings': { value: true },
  '--faults': { value: true },
  '--rounds': { value: true },
} as const

/** The brokers' group setting a figure was measured with. */
function settingLabel(setting: string): string {
  if (setting === 'bed') return 'group.initial.rebalance.delay.ms=0 (bed)'
  if (setting === 'kafka-defaults') return 'group.initial.rebalance.delay.ms=3000 (Kafka default)'
  return `brokers' own group settings (${setting})`
}

async function main(): Promise<void> {
  const rows: Row[] = []
  let only: string | undefined
  const { values } = readFlags(process.argv.slice(2), FLAGS, {
    hint: 'see bench/run.ts',
    positional: (part) => {
      if (only !== undefined) throw new UsageError(`unexpected argument '${part}': one part at most`)
      only = part
      return false
    },
  })
  const option = (name: keyof typeof FLAGS): string | undefined => values.get(name)?.[0]
  const trialsOption = option('--trials')
  const trials = trialsOption === undefined ? undefined : Number(trialsOption)
  if (trials !== undefined && (!Number.isInteger(trials) || trials < 1)) throw new Error('--trials takes a whole number above 0')
  const partitionCounts = (option('--partitions') ?? String(GROUP_PARTITIONS)).split(',').map(Number)
  if (partitionCounts.some((n) => !Number.isInteger(n) || n < 1 || n > 10_000))
    throw new Error('--partitions takes whole numbers from 1 to 10000, comma-separated')
  const sizes = (option('--sizes') ?? '1,4,8').split(',').map(Number)
  const fewest = Math.min(...partitionCounts)
  // Every instance of the group needs a partition, or it has no work to fail over.
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > fewest))
    throw new Error(`--sizes takes whole numbers from 1 to ${fewest} (the fewest --partitions), comma-separated`)
  const settings = (option('--settings') ?? 'bed,kafka-defaults').split(',') as Array<'bed' | 'kafka-defaults'>
  if (settings.some((s) => s !== 'bed' && s !== 'kafka-defaults'))
    throw new Error("--settings takes 'bed', 'kafka-defaults' or both, comma-separated")
  const faults = (option('--faults') ?? 'kill,pause').split(',') as Array<'kill' | 'pause'>
  if (faults.some((f) => f !== 'kill' && f !== 'pause')) throw new Error("--faults takes 'kill', 'pause' or both, comma-separated")
  const roundsOption = option('--rounds')
  const rounds = roundsOption === undefined ? 5 : Number(roundsOption)
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds takes a whole number above 0')
  if (
    only !== undefined &&
    only !== 'throughput' &&
    only !== 'consume' &&
    only !== 'failover' &&
    only !== 'group' &&
    only !== 'steady' &&
    only !== 'dual-read' &&
    only !== 'dedupe'
  )
    throw new Error(`unknown part '${only}': use 'throughput', 'consume', 'failover', 'group', 'steady', 'dual-read' or 'dedupe'`)
  const runs = (part: 'failover' | 'group'): boolean => only === undefined || only === part
  if (only === undefined || only === 'dedupe') rows.push(...(await benchDedupeMemory()))
  if (only === 'dedupe') {
    printTable(rows)
    return
  }
  const wasUp = bed.isUp()
  await bed.up()
  console.log(`bed: Kafka ${bed.kafkaVersion}, broker group settings '${bed.brokerProfile}'`)
  try {
    // Small records show the per-record cost at its worst; 1 KB is closer to typical events.
    for (const bytes of only === undefined || only === 'throughput' ? [100, 1000] : []) {
      rows.push(...(await benchProduce(bytes)))
      rows.push(
        ...(await benchConsume({ setting: settingLabel(bed.brokerProfile), handlers: ['eachMessage'], recordBytes: [bytes], rounds: 6 })),
      )
    }
    if (only === 'consume' && bed.canInjectFaults) {
      const profile = bed.brokerProfile
      try {
        for (const setting of settings) {
          await bed.setBrokerProfile(setting)
          rows.push(
            ...(await benchConsume({
              setting: settingLabel(setting),
              handlers: ['eachMessage', 'eachBatch'],
              recordBytes: [100, 1000],
              rounds,
            })),
          )
        }
      } finally {
        if (profile !== 'external') await bed.setBrokerProfile(profile)
      }
    }
    if (only === undefined || only === 'steady') rows.push(...(await benchSteadyState()))
    if (only === undefined || only === 'dual-read') rows.push(...(await benchDualRead()))
    if (bed.canInjectFaults && (runs('failover') || runs('group'))) {
      if (runs('failover') && settings.length === 2 && faults.length === 2) rows.push(...(await benchFailover()))
      // One broker restart per setting for both parts; their rows are printed part by part.
      const consumerRows: Row[] = []
      const groupRows: Row[] = []
      const profile = bed.brokerProfile
      try {
        for (const setting of settings) {
          await bed.setBrokerProfile(setting)
          const label = settingLabel(setting)
          if (runs('failover')) consumerRows.push(...(await benchConsumerFailover(trials ?? 20, label, faults)))
          if (runs('group')) groupRows.push(...(await benchGroupFailover(sizes, trials ?? 10, label, faults, partitionCounts)))
        }
      } finally {
        if (profile !== 'external') await bed.setBrokerProfile(profile)
      }
      rows.push(...consumerRows, ...groupRows)
    }
  } finally {
    if (!wasUp) await bed.down()
  }
  console.log('')
  printTable(rows)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
