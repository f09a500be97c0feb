/**
 * `npm run bed:up | bed:down | bed:status` — the local two-datacenter Kafka bed.
 *   up            start what is missing, wait until replication flows both ways, print addresses
 *     --kafka-group-defaults   brokers with Kafka's default group settings
 *                              (group.initial.rebalance.delay.ms=3000, as users' brokers have)
 *     --bed-group-settings     brokers with the bed's (group.initial.rebalance.delay.ms=0, the default)
 *     --identity               also the identity flow: a second MirrorMaker 2 (IdentityReplicationPolicy)
 *                              copying topics `identity-*` from dc1 to the same names on dc2
 *   down          stop everything this checkout's bed started and remove its data
 *   down --all    also stop bed processes started from any other checkout
 *   status        print each process's state and the brokers' group settings
 */
import { IDENTITY_FLOW, IDENTITY_TOPIC_PREFIX, KafkaBed, killAllBeds, type BrokerProfile } from './bed.js'
import { MissingPrerequisiteError } from './classpath.js'

function profileFlag(flags: string[]): BrokerProfile | undefined {
  if (flags.includes('--kafka-group-defaults') && flags.includes('--bed-group-settings')) {
    throw new Error('use either --kafka-group-defaults or --bed-group-settings')
  }
  if (flags.includes('--kafka-group-defaults')) return 'kafka-defaults'
  if (flags.includes('--bed-group-settings')) return 'bed'
  return undefined
}

const identityFlow = `MirrorMaker 2 with IdentityReplicationPolicy, topics ${IDENTITY_TOPIC_PREFIX}* from ${IDENTITY_FLOW.source} to the same names on ${IDENTITY_FLOW.target}`

async function main(command: string | undefined, flags: string[]): Promise<void> {
  const known = command === 'up' ? ['--kafka-group-defaults', '--bed-group-settings', '--identity'] : command === 'down' ? ['--all'] : []
  const unknown = flags.filter((f) => !known.includes(f))
  if (unknown.length > 0) throw new Error(`unknown option(s) for '${command ?? ''}': ${unknown.join(' ')}`)
  const profile = profileFlag(flags)
  const bed = new KafkaBed({ verbose: true, ...(profile !== undefined && { brokerProfile: profile }) })
  switch (command) {
    case 'up': {
      const { ms } = await bed.up()
      console.log(`bed up in ${(ms / 1000).toFixed(1)} s (Kafka ${bed.kafkaVersion}, MirrorMaker 2 dc1 <-> dc2, broker group settings '${bed.brokerProfile}')`)
      if (flags.includes('--identity')) {
        const started = Date.now()
        await bed.startIdentityReplication()
        console.log(`identity flow up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${identityFlow}`)
      }
      for (const [name, brokers] of Object.entries(bed.brokers)) console.log(`  ${name}: ${brokers.join(',')}`)
      console.log(`  logs: ${bed.stateDir}/logs (supervisor.log: MirrorMaker 2 restarts)`)
      return
    }
    case 'down': {
      await bed.down()
      const strays = flags.includes('--all') ? await killAllBeds() : 0
      console.log(`bed down${strays > 0 ? ` (and ${strays} process(es) of other checkouts)` : ''}`)
      return
    }
    case 'status':
      for (const [name, state] of Object.entries(bed.status())) {
        console.log(`${name}: ${state}${name === 'mm2-identity' ? ` (optional, bed:up -- --identity: ${identityFlow})` : ''}`)
      }
      console.log(`broker group settings: ${bed.brokerProfile}`)
      return
    default:
      throw new Error(`usage: bed <up [--kafka-group-defaults|--bed-group-settings] [--identity]|down [--all]|status>, got '${command ?? ''}'`)
  }
}

main(process.argv[2], process.argv.slice(3)).catch((error: unknown) => {
  console.error(error instanceof MissingPrerequisiteError ? error.message : error)
  process.exitCode = 1
})
