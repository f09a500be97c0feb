/**
 * Vitest global setup of the integration projects: the bed starts once per test run. A bed that
 * was already up (a developer ran `npm run bed:up`) is reused and left running; a bed this run
 * started is torn down at the end, so no process outlives the run.
 *
 * The bed runs in its security mode (a SASL_SSL listener beside the PLAINTEXT one that the other
 * tests use, see test/bed/security.ts) for test/integration/security.test.ts: it costs a few
 * seconds at start (measured: 0-4 s on an idle machine, about 8 s of 40 on a loaded one: brokers
 * and MirrorMaker 2 do TLS and SCRAM), where a second bed for that file would cost 20-40 s. A
 * running bed without it is switched once (a graceful restart of the brokers, about 30 s).
 * `KAFKAJS_DR_BED_SECURITY=none` runs without it (the security tests are then skipped).
 *
 * While the tests run, a watchdog (watchdog.ts) fails the run within two minutes when a broker
 * dies on its own, stops answering, or is left hung.
 */
import type { TestProject } from 'vitest/node'
import { KafkaBed } from './bed.js'
import type { BrokerProfile } from './config.js'
import { watchBed } from './watchdog.js'

/** After the watchdog cancels the run, how long the test under way gets before the process exits. */
const CANCEL_GRACE_MS = 20_000

/** The bed as the integration runs use it: in its security mode unless `KAFKAJS_DR_BED_SECURITY` says otherwise. */
export function integrationBed(): KafkaBed {
  return new KafkaBed({ verbose: true, ...(process.env.KAFKAJS_DR_BED_SECURITY ? {} : { security: 'sasl_ssl' as const }) })
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const bed = integrationBed()
  const wasUp = bed.canInjectFaults && bed.isUp()
  if (!bed.canInjectFaults) {
    console.log('[bed] using external clusters from KAFKAJS_DR_DC1_BROKERS / KAFKAJS_DR_DC2_BROKERS: tests that inject faults are skipped')
  }
  const { ms } = await bed.up()
  console.log(
    `[bed] ready in ${(ms / 1000).toFixed(1)} s${wasUp ? ' (reused)' : ''}; broker group settings '${bed.brokerProfile}', security '${bed.security}'`,
  )
  project.provide('bedStateDir', bed.stateDir)
  project.provide('fullSuite', project.name === 'integration-full')
  const runProfile = bed.brokerProfile
  project.provide('brokerProfile', runProfile)
  const stopWatching = bed.canInjectFaults
    ? watchBed(bed.stateDir, (message) => {
        console.error(`\n[bed] FAILED, the run stops: ${message}\n`)
        process.exitCode = 1
        void project.vitest.cancelCurrentRun('test-failure')
        // A test under way may wait on the dead bed until its own timeout: do not wait for it.
        setTimeout(() => {
          console.error('[bed] the run did not end after it was cancelled: exiting')
          void bed.down().finally(() => process.exit(1))
        }, CANCEL_GRACE_MS).unref()
      })
    : () => {}
  return async () => {
    stopWatching()
    if (!wasUp) await bed.down()
    // A reused bed is left on the settings it had: the files on Kafka's defaults, run last, leave them.
    else if (runProfile !== 'external' && bed.brokerProfile !== runProfile) await bed.setBrokerProfile(runProfile)
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    bedStateDir: string
    /** The run is `npm run test:full`: files with a quick form run their full one. */
    fullSuite: boolean
    /** The brokers' group settings the run began with (test/integration/setup-broker-profile.ts). */
    brokerProfile: BrokerProfile | 'external'
  }
}
