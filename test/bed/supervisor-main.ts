/**
 * Entry point of the supervisor process that `KafkaBed.up()` starts detached beside the bed:
 *   node --import tsx supervisor-main.ts -Dkafkajs-dr.bed=<state dir>#supervisor <state dir> [--stall-ms=N]
 * It writes its lines to stdout, which the bed sends to `<state dir>/logs/supervisor.log`. It
 * exits on SIGTERM (`bed down`), when its state folder is gone, when its pid file names another
 * process, or when the bed has had no process for 5 minutes, so it never outlives its bed.
 */
import { existsSync } from 'node:fs'
import { setTimeout as delay } from 'node:timers/promises'
import { KafkaBed } from './bed.js'
import { livePid } from './processes.js'
import { ReplicationSupervisor } from './supervisor.js'

const ORPHAN_MS = 5 * 60_000
/** Two seconds between checks: fine enough against a 15-second bound, and about 2% of a core. */
const CHECK_EVERY_MS = 2000

function log(line: string): void {
  console.log(`[${new Date().toISOString()}] ${line}`)
}

function option(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`))
  const value = arg === undefined ? fallback : Number(arg.slice(name.length + 3))
  if (!Number.isFinite(value) || value <= 0) throw new Error(`bad --${name}: ${arg}`)
  return value
}

async function main(): Promise<void> {
  const stateDir = process.argv[3]
  if (stateDir === undefined) throw new Error('usage: supervisor-main.ts <marker> <state dir> [--stall-ms=N] [--startup-ms=N]')
  const bed = new KafkaBed({ stateDir })
  const supervisor = new ReplicationSupervisor(bed, {
    stallMs: option('stall-ms', 15_000),
    startupMs: option('startup-ms', 120_000),
    log,
  })
  // `bed down` stops us with SIGTERM; nothing of ours needs a goodbye (a lock we held is taken
  // over by the next taker, and `down` stops MM2 itself).
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0))
  process.on('unhandledRejection', (error) => log(`unhandled rejection: ${String(error)}`))
  log(
    `supervising MirrorMaker 2 of ${stateDir}: restart when a flow has not delivered for ${supervisor.stallMs} ms while both clusters and MM2 are up`,
  )
  let lastSeenBed = Date.now()
  for (;;) {
    await delay(CHECK_EVERY_MS)
    if (!existsSync(stateDir) || livePid(stateDir, 'supervisor') !== process.pid) {
      log('bed gone or another supervisor took over: exiting')
      break
    }
    const states = Object.entries(bed.status()).filter(([name]) => name !== 'supervisor')
    if (states.some(([, state]) => state !== 'stopped')) lastSeenBed = Date.now()
    else if (Date.now() - lastSeenBed > ORPHAN_MS) {
      log('no bed process for 5 minutes: exiting')
      break
    }
    await supervisor.check()
  }
  await supervisor.close()
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`supervisor failed: ${String(error)}`)
    process.exit(1)
  },
)
