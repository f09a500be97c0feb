/**
 * The drill as the repository runs it (`npm run drill`, chaos, the test suite): on the clusters
 * given, or else on the local two-datacenter bed of `test/bed/`, started if needed, where the
 * drill injects the faults itself. The drill itself is in `src/drill/`, shipped with the package.
 */
import { KafkaBed } from '../test/bed/bed.js'
import type { DrillEnvironment } from '../src/drill/environment.js'
import type { DrillOptions } from '../src/drill/options.js'
import { runDrill, type DrillResult, type DrillRuntime } from '../src/drill/run-drill.js'
import { YourClustersEnvironment } from '../src/drill/your-clusters.js'
import { LocalBedEnvironment } from './local-bed.js'

/** What a caller (the test suite) hands the drill, with the bed. */
export interface BedDrillRuntime extends Omit<DrillRuntime, 'environment'> {
  /** A bed handle to use instead of a new one (the test suite passes its own). */
  bed?: KafkaBed
}

/** Runs one drill: on `options.clusters` when given, else on the local bed. */
export function runDrillWithBed(options: DrillOptions, runtime: BedDrillRuntime = {}): Promise<DrillResult> {
  const { bed, ...rest } = runtime
  return runDrill(options, { ...rest, environment: (log, signal) => openEnvironment(options, bed, log, signal) })
}

/** The clusters given with `--cluster`, or the local bed (or the clusters of `KAFKAJS_DR_DC1_BROKERS`/`..._DC2_...`). */
async function openEnvironment(
  options: DrillOptions,
  bed: KafkaBed | undefined,
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<DrillEnvironment> {
  if (options.clusters.length > 0) return new YourClustersEnvironment(options.clusters)
  const handle = bed ?? new KafkaBed()
  if (!handle.canInjectFaults) {
    log('the bed points at external clusters (KAFKAJS_DR_DC1_BROKERS / KAFKAJS_DR_DC2_BROKERS): you cause the faults when asked')
    return new YourClustersEnvironment(Object.entries(handle.brokers).map(([name, brokers]) => ({ name, brokers })))
  }
  return LocalBedEnvironment.prepare({ keepBed: options.keepBed, bed: handle }, log, signal)
}
