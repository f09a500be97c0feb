/**
 * `npm run bed:up | bed:down | bed:status` — the local two-datacenter Kafka bed.
 *   up            start what is missing, wait until replication flows both ways, print addresses
 *     --kafka-group-defaults   brokers with Kafka's default group settings
 *                              (group.initial.rebalance.delay.ms=3000, as users' brokers have)
 *     --bed-group-settings     brokers with the bed's (group.initial.rebalance.delay.ms=0, the default)
 *     --identity               also the identity flow: a second MirrorMaker 2 (IdentityReplicationPolicy)
 *                              copying topics `identity-*` from dc1 to the same names on dc2
 *     --security sasl_ssl      also a SASL_SSL listener on each broker (SCRAM-SHA-512, a CA made for
 *                              the bed), the StandardAuthorizer, MirrorMaker 2 replicating through
 *                              SASL_SSL, and <state dir>/client-config.json (see security.ts); chosen
 *                              at the bed's first start
 *   down          stop everything this checkout's bed started and remove its data
 *   down --all    also stop bed processes started from any other checkout
 *   status        print each process's state and the brokers' group settings
 */
import { BED_ADMIN_USER, BED_APP_USER, IDENTITY_FLOW, IDENTITY_TOPIC_PREFIX, KafkaBed, killAllBeds, type BrokerProfile } from './bed.js'
import { MissingPrerequisiteError } from './classpath.js'
import { BED_CLUSTERS } from './config.js'
import { clientConfigFile, parseBedSecurity, type BedSecurity } from './security.js'

function profileFlag(flags: string[]): BrokerProfile | undefined {
  if (flags.includes('--kafka-group-defaults') && flags.includes('--bed-group-settings')) {
    throw new Error('use either --kafka-group-defaults or --bed-group-settings')
  }
  if (flags.includes('--kafka-group-defaults')) return 'kafka-defaults'
  if (flags.includes('--bed-group-settings')) return 'bed'
  return undefined
}

/** `--security sasl_ssl` or `--security=sasl_ssl`, taken out of `flags`. */
function securityFlag(flags: string[]): BedSecurity | undefined {
  const at = flags.findIndex((f) => f === '--security' || f.startsWith('--security='))
  if (at === -1) return undefined
  const flag = flags[at]!
  const value = flag === '--security' ? flags[at + 1] : flag.slice('--security='.length)
  if (value === undefined || value.startsWith('--')) throw new Error('--security needs a value: sasl_ssl or none')
  flags.splice(at, flag === '--security' ? 2 : 1)
  return parseBedSecurity(value)
}

const identityFlow = `MirrorMaker 2 with IdentityReplicationPolicy, topics ${IDENTITY_TOPIC_PREFIX}* from ${IDENTITY_FLOW.source} to the same names on ${IDENTITY_FLOW.target}`

async function main(command: string | undefined, flags: string[]): Promise<void> {
  const security = command === 'up' ? securityFlag(flags) : undefined
  const known = command === 'up' ? ['--kafka-group-defaults', '--bed-group-settings', '--identity'] : command === 'down' ? ['--all'] : []
  const unknown = flags.filter((f) => !known.includes(f))
  if (unknown.length > 0) throw new Error(`unknown option(s) for '${command ?? ''}': ${unknown.join(' ')}`)
  const profile = profileFlag(flags)
  const bed = new KafkaBed({
    verbose: true,
    ...(profile !== undefined && { brokerProfile: profile }),
    ...(security !== undefined && { security }),
  })
  switch (command) {
    case 'up': {
      const { ms } = await bed.up()
      console.log(
        `bed up in ${(ms / 1000).toFixed(1)} s (Kafka ${bed.kafkaVersion}, MirrorMaker 2 dc1 <-> dc2, broker group settings '${bed.brokerProfile}')`,
      )
      if (flags.includes('--identity')) {
        const started = Date.now()
        await bed.startIdentityReplication()
        console.log(`identity flow up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${identityFlow}`)
      }
      const secured = bed.security === 'sasl_ssl'
      for (const [name, brokers] of Object.entries(bed.brokers)) {
        const spec = BED_CLUSTERS.find((c) => c.name === name)
        console.log(
          `  ${name}: ${brokers.join(',')}${secured && spec !== undefined ? ` (PLAINTEXT), 127.0.0.1:${spec.securePort} (SASL_SSL)` : ''}`,
        )
      }
      if (secured) {
        // Where the credentials are, never what they are.
        console.log(
          `  SASL_SSL (SCRAM-SHA-512, CA ${bed.stateDir}/security/ca.pem, StandardAuthorizer; MirrorMaker 2 replicates through it):`,
        )
        console.log(`    ${bed.clientConfigFile}: kafkajs configs of user '${BED_APP_USER}' (no ACL until granted, see docs/acls.md)`)
        console.log(`    ${clientConfigFile(bed.stateDir, BED_ADMIN_USER)}: the same for the super user '${BED_ADMIN_USER}'`)
      }
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
      console.log(`security: ${bed.security}`)
      return
    default:
      throw new Error(
        `usage: bed <up [--kafka-group-defaults|--bed-group-settings] [--identity] [--security sasl_ssl]|down [--all]|status>, got '${command ?? ''}'`,
      )
  }
}

main(process.argv[2], process.argv.slice(3)).catch((error: unknown) => {
  console.error(error instanceof MissingPrerequisiteError ? error.message : error)
  process.exitCode = 1
})
