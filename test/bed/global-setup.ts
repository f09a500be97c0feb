/**
 * Vitest global setup of the integration project: the bed starts once per test run. A bed that
 * was already up (a developer ran `npm run bed:up`) is reused and left running; a bed this run
 * started is torn down at the end, so no process outlives the run.
 */
import type { TestProject } from 'vitest/node'
import { KafkaBed } from './bed.js'

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const bed = new KafkaBed({ verbose: true })
  const wasUp = bed.canInjectFaults && bed.isUp()
  if (!bed.canInjectFaults) {
    console.log('[bed] using external clusters from KAFKAJS_DR_DC1_BROKERS / KAFKAJS_DR_DC2_BROKERS: tests that inject faults are skipped')
  }
  const { ms } = await bed.up()
  console.log(`[bed] ready in ${(ms / 1000).toFixed(1)} s${wasUp ? ' (reused)' : ''}; broker group settings '${bed.brokerProfile}'`)
  project.provide('bedStateDir', bed.stateDir)
  return async () => {
    if (!wasUp) await bed.down()
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    bedStateDir: string
  }
}
