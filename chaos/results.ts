/**
 * What a chaos run found: one result per scenario and the run around them, as chaos-report.json
 * holds them and the table shows them.
 *
 * @module
 */
import type { DrillOptions } from '../src/drill/options.js'

/** One scenario's result, as the table and chaos-report.json show it. */
export interface ChaosResult {
  id: number
  title: string
  fault: string
  passed: boolean
  /** Failed expectations, in words. */
  failures: string[]
  produced: number
  acknowledged: number
  rejected: number
  consumed: number
  lost: number
  duplicates: number
  switches: number
  /** Fault -> first record consumed on the survivor; for faults that should not move anything, null. */
  recoverMs: number | null
  /** Records only the failed cluster held at the fault (the unreplicated tail). */
  unreplicatedAtFault: number | null
  durationMs: number
  settings: Partial<DrillOptions>
  /** The drill's report and picture. */
  files: { report: string; chart: string | undefined }
}

/** The whole run. */
export interface ChaosRun {
  startedAt: string
  form: 'quick' | 'full'
  kafkaVersion: string
  brokerGroupSettings: string
  results: ChaosResult[]
  passed: boolean
}
