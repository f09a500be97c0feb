/**
 * The chaos scenarios: each is a drill (the same example service, load, ledger and report as
 * `npm run drill`) with a fault and the expectations that fault must meet. A quick form (short
 * phases, for CI) and a full form (the durations) of each; the expectations are the same.
 */
import type { DrillOptions, FaultKind } from '../src/drill/options.js'
import type { DrillReport } from '../src/drill/report.js'

/** One scenario of `npm run chaos`. */
export interface ChaosScenario {
  /** Its number in the list (stable: `--only 4`). */
  id: number
  title: string
  fault: FaultKind
  /** Drill settings of each form (on top of the drill's defaults). */
  quick: Partial<DrillOptions>
  full: Partial<DrillOptions>
  /** What must hold, each failed expectation in words (empty: passed). */
  expect: (report: DrillReport) => string[]
}

/** Short phases shared by the quick forms. */
const QUICK: Partial<DrillOptions> = { warmupMs: 4000, outageMs: 8000, afterMs: 2000, failbackDelayMs: 2000 }
/** The drill's own defaults are the full form's phases, unless a scenario says otherwise. */
const FULL: Partial<DrillOptions> = {}

/** Typed errors a producer may reject a send with when no cluster takes it in time. */
const TYPED_SEND_ERRORS = /^(SendFailedError|NoActiveClusterError|TimeoutError): /

function events(report: DrillReport, type: string): DrillReport['timeline'] {
  return report.timeline.filter((e) => e.type === type)
}

/** A number of switches of the active cluster (failovers and failbacks). */
export function switchCount(report: DrillReport): number {
  return events(report, 'failover:start').length
}

/** Nothing lost and everything drained: the rule of every scenario. */
function nothingLost(report: DrillReport): string[] {
  const failed: string[] = []
  if (report.lost !== 0) failed.push(`${report.lost} acknowledged records lost`)
  if (!report.drain.drained) failed.push('not every acknowledged record was consumed before the drain timeout')
  if (events(report, 'consumer:session-crashed').length > 0) failed.push('a consumer session crashed')
  return failed
}

/** Moved to the survivor and back to the preferred cluster. */
function switchedAndBack(report: DrillReport): string[] {
  const failed: string[] = []
  if (!report.timeline.some((e) => e.type === 'failover:start' && e.to === report.fault.survivor))
    failed.push(`no switch to ${report.fault.survivor}`)
  if (!report.timeline.some((e) => e.type === 'failback' && e.to === report.fault.cluster))
    failed.push(`no failback to ${report.fault.cluster}`)
  return failed
}

/** No send was rejected. */
function noRejections(report: DrillReport): string[] {
  return report.records.rejected === 0 ? [] : [`${report.records.rejected} records rejected`]
}

export const SCENARIOS: readonly ChaosScenario[] = [
  {
    id: 1,
    title: 'kill -9 of the active cluster',
    fault: 'kill',
    quick: QUICK,
    full: FULL,
    expect: (r) => [...nothingLost(r), ...switchedAndBack(r), ...noRejections(r)],
  },
  {
    id: 2,
    title: 'SIGSTOP of the active cluster for 30 s, then SIGCONT',
    fault: 'hang',
    quick: QUICK,
    full: { outageMs: 30_000 },
    expect: (r) => [...nothingLost(r), ...switchedAndBack(r), ...noRejections(r)],
  },
  {
    id: 3,
    title: 'the active cluster flaps 10 times in quick succession',
    fault: 'flap',
    quick: { ...QUICK, flaps: 4, outageMs: 1000 },
    full: { flaps: 10, outageMs: 1000 },
    expect: (r) => {
      const failed = [...nothingLost(r), ...noRejections(r)]
      // Hysteresis: at most one switch away and one back per flap, never a storm.
      const flaps = r.settings.flaps
      if (switchCount(r) > 2 * flaps) failed.push(`${switchCount(r)} switches for ${flaps} flaps`)
      if (r.activeCluster.at(-1)?.cluster !== r.fault.cluster) failed.push(`not back on ${r.fault.cluster} at the end`)
      return failed
    },
  },
  {
    id: 4,
    title: 'MirrorMaker 2 stopped for 30 s, then kill -9 of the active cluster',
    fault: 'lag-then-kill',
    quick: { ...QUICK, lagBeforeKillMs: 6000 },
    full: { lagBeforeKillMs: 30_000 },
    expect: (r) => {
      const failed = [...nothingLost(r), ...switchedAndBack(r), ...noRejections(r)]
      // The unreplicated tail is counted and reported, not hidden.
      if (r.replication.dataAtRiskRecords === null) failed.push('the unreplicated tail at the kill was not measured')
      else if (r.replication.dataAtRiskRecords === 0) failed.push('no unreplicated tail at the kill although MirrorMaker 2 was stopped')
      if (r.replication.reportedByLibraryMs === null) failed.push('failover:complete did not report the data at risk')
      else if (r.replication.reportedByLibraryMs < r.settings.lagBeforeKillMs / 2)
        failed.push(
          `the library reported ${r.replication.reportedByLibraryMs} ms at risk after ${r.settings.lagBeforeKillMs} ms without replication`,
        )
      return failed
    },
  },
  {
    id: 6,
    title: 'garbage, truncated and future-version records in the checkpoint, MM2 checkpoint and control topics, then kill -9',
    fault: 'garbage-then-kill',
    quick: QUICK,
    full: FULL,
    expect: (r) => {
      const failed = [...nothingLost(r), ...switchedAndBack(r), ...noRejections(r)]
      if (events(r, 'checkpoints:undecodable').length === 0) failed.push('no checkpoints:undecodable warning for the garbage')
      if (r.timeline.some((e) => e.type === 'failover:start' && e.to !== 'dc1' && e.to !== 'dc2'))
        failed.push('a switch to a cluster that does not exist')
      return failed
    },
  },
  {
    id: 7,
    title: 'both clusters down for 20 s; the survivor returns first',
    fault: 'all-down',
    quick: { ...QUICK, outageMs: 10_000, deliveryTimeoutMs: 5000 },
    full: { outageMs: 20_000, deliveryTimeoutMs: 10_000 },
    expect: (r) => {
      const failed = nothingLost(r)
      const rejections = events(r, 'send:rejected')
      // Sends caught by the outage reject after their deadline, each with a typed error.
      if (rejections.length === 0)
        failed.push(
          `no send rejected although both clusters were down longer than the ${r.settings.deliveryTimeoutMs} ms delivery deadline`,
        )
      const untyped = rejections.filter((e) => !TYPED_SEND_ERRORS.test(e.detail.replace(/^\d+ records rejected: /, '')))
      if (untyped.length > 0) failed.push(`rejected without a typed error: ${untyped[0]!.detail}`)
      if (!r.timeline.some((e) => e.type === 'failover:start' && e.to === r.fault.survivor))
        failed.push(`no switch to ${r.fault.survivor} when it returned first`)
      if (r.figures.failback.firstConsumedMs === null) failed.push(`nothing consumed on ${r.fault.cluster} after it returned`)
      return failed
    },
  },
  {
    id: 8,
    title: 'a broker restart of the standby cluster in steady state',
    fault: 'standby-restart',
    quick: { ...QUICK, outageMs: 3000 },
    full: { outageMs: 5000 },
    expect: (r) => {
      const failed = [...nothingLost(r), ...noRejections(r)]
      if (switchCount(r) > 0) failed.push(`${switchCount(r)} switches although only the standby restarted`)
      const seen = ['failover:failed', 'consumer:move-failed'].flatMap((t) => events(r, t))
      if (seen.length > 0) failed.push(`the application saw: ${seen[0]!.detail}`)
      return failed
    },
  },
]
