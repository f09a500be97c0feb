/**
 * `npm run bench`: benchmarks on the local two-datacenter bed (started if needed, left as found).
 * Throughput is always a ratio against raw kafkajs measured in the same run.
 * `npm run bench -- throughput` or `-- failover` runs one part only.
 */
import { benchConsumeFailover, benchConsumeThroughput } from './consume.js'
import { benchFailover } from './failover.js'
import { benchProduce } from './produce.js'
import { bed, printTable, type Row } from './common.js'

async function main(): Promise<void> {
  const wasUp = bed.isUp()
  await bed.up()
  console.log(`bed: Kafka ${bed.kafkaVersion}, broker group settings '${bed.brokerProfile}'`)
  const rows: Row[] = []
  const only = process.argv[2]
  if (only !== undefined && only !== 'throughput' && only !== 'failover') throw new Error(`unknown part '${only}': use 'throughput' or 'failover'`)
  try {
    // Small records show the per-record cost at its worst; 1 KB is closer to typical events.
    for (const bytes of only === 'failover' ? [] : [100, 1000]) {
      rows.push(...await benchProduce(bytes))
      rows.push(...await benchConsumeThroughput(bytes))
    }
    if (bed.canInjectFaults && only !== 'throughput') {
      rows.push(...await benchFailover())
      rows.push(...await benchConsumeFailover())
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
