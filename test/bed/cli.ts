/**
 * `npm run bed:up | bed:down | bed:status` — the local two-datacenter Kafka bed.
 *   up            start what is missing, wait until replication flows both ways, print addresses
 *   down          stop everything this checkout's bed started and remove its data
 *   down --all    also stop bed processes started from any other checkout
 *   status        print each process's state
 */
import { KafkaBed, killAllBeds } from './bed.js'
import { MissingPrerequisiteError } from './classpath.js'

async function main(command: string | undefined, flags: string[]): Promise<void> {
  const bed = new KafkaBed({ verbose: true })
  switch (command) {
    case 'up': {
      const { ms } = await bed.up()
      console.log(`bed up in ${(ms / 1000).toFixed(1)} s (Kafka ${bed.kafkaVersion}, MirrorMaker 2 dc1 <-> dc2)`)
      for (const [name, brokers] of Object.entries(bed.brokers)) console.log(`  ${name}: ${brokers.join(',')}`)
      console.log(`  logs: ${bed.stateDir}/logs`)
      return
    }
    case 'down': {
      await bed.down()
      const strays = flags.includes('--all') ? await killAllBeds() : 0
      console.log(`bed down${strays > 0 ? ` (and ${strays} process(es) of other checkouts)` : ''}`)
      return
    }
    case 'status':
      for (const [name, state] of Object.entries(bed.status())) console.log(`${name}: ${state}`)
      return
    default:
      throw new Error(`usage: bed <up|down [--all]|status>, got '${command ?? ''}'`)
  }
}

main(process.argv[2], process.argv.slice(3)).catch((error: unknown) => {
  console.error(error instanceof MissingPrerequisiteError ? error.message : error)
  process.exitCode = 1
})
