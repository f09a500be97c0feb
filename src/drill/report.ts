/**
 * The drill's report: every figure, computed from what the timeline, the ledger and the load
 * recorded (nothing is assumed), the settings, and the whole timeline. Written as
 * drill-report.json; `lost` and `duplicates` sit at its top level for scripts and CI.
 */
import type { DrillEnvironment } from './environment.js'
import type { LedgerCounts, RecordLedger, WaitStats } from './ledger.js'
import { firstAcknowledgedAfter, longestAcknowledgementGap, type SendRecord } from './load.js'
import type { DrillOptions } from './options.js'
import { failsOver, type ScenarioOutcome } from './scenario.js'
import { BUCKET_MS, type DrillTimeline, type FlowSample, type Segment } from './timeline.js'

/** Version of the report's layout. */
export const REPORT_VERSION = 1

/** Times in ms from the fault (or from the cluster's return, for the failback); null when it did not happen. */
export interface DrillFigures {
  /** Fault -> `cluster:down` of the failed cluster. */
  detectMs: number | null
  /** Fault -> `failover:start` to the survivor (producers route there from this moment). */
  switchStartMs: number | null
  /** Fault -> `failover:complete` on the survivor (every producer and consumer moved). */
  switchCompleteMs: number | null
  /** Fault -> the first send acknowledged after the switch began (acknowledged by the survivor). */
  firstAcknowledgedOnSurvivorMs: number | null
  /** Fault -> the first record a consumer received from the survivor. */
  firstConsumedOnSurvivorMs: number | null
  /** Longest time without an acknowledged send while the load ran. */
  longestWithoutAcknowledgementMs: number
  /** Longest time without a record consumed while the load ran. */
  longestWithoutConsumptionMs: number
  /** Measured from the moment the failed cluster answered again. */
  failback: {
    /** Bringing the cluster back (a restart takes a JVM start) -> it answered. */
    restoreMs: number | null
    /** Cluster back -> `cluster:up`. */
    clusterUpMs: number | null
    /** Cluster back -> `failover:start` of the failback (includes the failback delay). */
    switchStartMs: number | null
    /** Cluster back -> `failback` (every producer and consumer moved back). */
    completeMs: number | null
    /** Cluster back -> first send acknowledged after the failback began. */
    firstAcknowledgedMs: number | null
    /** Cluster back -> first record consumed from it again. */
    firstConsumedMs: number | null
  }
  /** How long consumed records waited from their send to their first delivery. */
  recordWait: WaitStats | null
}

/** The settings a drill ran with, as the report records them. */
export interface DrillSettings extends Pick<
  DrillOptions,
  | 'fault'
  | 'rate'
  | 'recordBytes'
  | 'warmupMs'
  | 'outageMs'
  | 'afterMs'
  | 'failbackDelayMs'
  | 'failbackTimeoutMs'
  | 'drainTimeoutMs'
  | 'consumers'
  | 'partitions'
> {
  topic: string
  groupId: string
  /** Marks this run's records (the first bytes of each value). */
  runId: string
  /** The example service's client options (what is not listed is the library's default). */
  client: Record<string, unknown>
  /** `flap`: how many flaps. */
  flaps: number
  /** `lag-then-kill`: how long MirrorMaker 2 was stopped before the kill, in ms. */
  lagBeforeKillMs: number
  /** The producer's `deliveryTimeoutMs`; null: the library's default. */
  deliveryTimeoutMs: number | null
}

/** The whole report. */
export interface DrillReport {
  /** Acknowledged records never consumed: must be 0. */
  lost: number
  /** Deliveries beyond a record's first. */
  duplicates: number
  /** No record lost, and every acknowledged record consumed before the drain timeout. */
  ok: boolean
  /** The Ctrl-C stopped the drill before its end: figures cover what happened until then. */
  interrupted: boolean
  /** In words. */
  verdict: string
  reportVersion: number
  startedAt: string
  finishedAt: string
  settings: DrillSettings
  environment: Record<string, unknown>
  fault: {
    kind: DrillOptions['fault']
    cluster: string
    survivor: string
    action: string | null
    /** `injected` by the drill, or `observed` (you caused it; the time is its last sign of life). */
    timing: string | null
    /** ms from the start of the drill. */
    atMs: number | null
    restoreAction: string | null
    restoreStartedAtMs: number | null
    restoredAtMs: number | null
  }
  figures: DrillFigures
  records: LedgerCounts & {
    lost: number
    /** Sequence numbers of lost records (the first 50). */
    lostSample: number[]
    /** Consumed although their send was rejected (a re-send that landed after all). */
    consumedUnacknowledged: number
    /**
     * Duplicate deliveries by the phase they happened in. A producer re-send that also landed on
     * the failed cluster comes back through replication once it is back: such duplicates show up
     * after the restore, the consumer's own (re-read from the last checkpoint) at the switch.
     */
    duplicatesByPhase: Record<string, number>
  }
  replication: {
    /** Each flow as sampled just before the fault. */
    atFault: Array<FlowSample & { sampledMsBeforeFault: number }>
    /** Acknowledged records only the failed cluster held at the fault. */
    dataAtRiskRecords: number | null
    /** Age of the newest heartbeat its flow to the survivor had delivered, at the fault. */
    heartbeatAgeAtFaultMs: number | null
    /** The data at risk kafkajs-dr itself reported for the switch to the survivor (`failover:complete`'s `replicationLagMs`). */
    reportedByLibraryMs: number | null
    /** The most records each flow was behind during the drill. */
    maxRecordsBehind: Record<string, number>
    /**
     * From the moment the cluster (for `replication-stop`: replication) was back until every flow
     * was 0 records behind again, in ms; null when that was not seen.
     */
    caughtUpMs: number | null
  }
  drain: { drained: boolean; durationMs: number | null }
  notes: string[]
  phases: Array<{ name: string; fromMs: number; toMs: number | null }>
  activeCluster: Array<{ cluster: string | null; fromMs: number; toMs: number | null }>
  consumerClusters: Array<Array<{ cluster: string | null; fromMs: number; toMs: number | null }>>
  /** Records a second per interval of {@link BUCKET_MS}. */
  series: Array<{ tMs: number; sentPerSecond: number; acknowledgedPerSecond: number; consumedPerSecond: number; active: string | null }>
  replicationSeries: Array<{ tMs: number; flows: FlowSample[] }>
  timeline: Array<{
    tMs: number
    at: string
    type: string
    cluster?: string
    from?: string
    to?: string
    instance?: number
    detail: string
  }>
}

/** What the report is made from. */
export interface ReportInput {
  options: DrillOptions
  environment: DrillEnvironment
  timeline: DrillTimeline
  ledger: RecordLedger
  sends: readonly SendRecord[]
  loadStartedAt: number | undefined
  /** Longest time without a record consumed while the load ran. */
  consumeGapMs: number
  outcome: ScenarioOutcome
  target: string
  survivor: string
  interrupted: boolean
  settings: DrillSettings
  finishedAt: number
}

function after(from: number | undefined, at: number | undefined): number | null {
  return from === undefined || at === undefined ? null : at - from
}

/** When a consumer first received a record from `cluster` at or after `at` (ms since epoch). */
function firstConsumedOn(timeline: DrillTimeline, cluster: string, at: number): number | undefined {
  let first: number | undefined
  for (const segments of timeline.consumerClusters) {
    for (const s of segments) {
      if (s.cluster !== cluster) continue
      // A segment that began before `at` and still runs: its first delivery after `at` is not
      // recorded; only a segment opened after `at` says when reading there began.
      if (s.from >= at && (first === undefined || s.from < first)) first = s.from
    }
  }
  return first
}

function segmentsOut(segments: Segment[], startedAt: number): Array<{ cluster: string | null; fromMs: number; toMs: number | null }> {
  return segments.map((s) => ({
    cluster: s.cluster ?? null,
    fromMs: s.from - startedAt,
    toMs: s.to === undefined ? null : s.to - startedAt,
  }))
}

function activeAt(segments: Segment[], at: number): string | undefined {
  return segments.find((s) => s.from <= at && (s.to === undefined || at < s.to))?.cluster
}

/** Builds the report from what the drill recorded. */
export function buildReport(input: ReportInput): DrillReport {
  const { options, environment, timeline, ledger, sends, outcome, target, survivor } = input
  const t0 = timeline.startedAt
  const faultAt = outcome.fault?.at
  const backAt = outcome.faultEnded?.at
  const counts = ledger.snapshot()
  const lostSample = ledger.lost(50)
  const lost = counts.acknowledged - counts.acknowledgedConsumed
  const switchStart = faultAt === undefined ? undefined : timeline.first('failover:start', faultAt, (e) => e.to === survivor)
  const switchComplete = faultAt === undefined ? undefined : timeline.first('failover:complete', faultAt, (e) => e.to === survivor)
  const failbackStart =
    backAt === undefined ? undefined : timeline.first('failover:start', outcome.faultEnded!.startedAt, (e) => e.to === target)
  const loadEnd = outcome.loadStoppedAt ?? input.finishedAt

  const figures: DrillFigures = {
    detectMs: after(faultAt, faultAt === undefined ? undefined : timeline.first('cluster:down', faultAt, (e) => e.cluster === target)?.at),
    switchStartMs: after(faultAt, switchStart?.at),
    switchCompleteMs: after(faultAt, switchComplete?.at),
    firstAcknowledgedOnSurvivorMs: after(
      faultAt,
      switchStart === undefined ? undefined : firstAcknowledgedAfter(sends, switchStart.at)?.settledAt,
    ),
    firstConsumedOnSurvivorMs: after(faultAt, faultAt === undefined ? undefined : firstConsumedOn(timeline, survivor, faultAt)),
    longestWithoutAcknowledgementMs:
      input.loadStartedAt === undefined ? 0 : longestAcknowledgementGap(sends, input.loadStartedAt, loadEnd).ms,
    longestWithoutConsumptionMs: input.consumeGapMs,
    failback: {
      restoreMs: outcome.faultEnded === undefined ? null : outcome.faultEnded.at - outcome.faultEnded.startedAt,
      clusterUpMs: after(
        backAt,
        backAt === undefined ? undefined : timeline.first('cluster:up', outcome.faultEnded!.startedAt, (e) => e.cluster === target)?.at,
      ),
      switchStartMs: after(backAt, failbackStart?.at),
      completeMs: after(
        backAt,
        backAt === undefined ? undefined : timeline.first('failback', outcome.faultEnded!.startedAt, (e) => e.to === target)?.at,
      ),
      firstAcknowledgedMs: after(
        backAt,
        failbackStart === undefined ? undefined : firstAcknowledgedAfter(sends, failbackStart.at)?.settledAt,
      ),
      firstConsumedMs: after(backAt, backAt === undefined ? undefined : firstConsumedOn(timeline, target, outcome.faultEnded!.startedAt)),
    },
    recordWait: ledger.waits() ?? null,
  }
  if (!failsOver(options.fault)) {
    // Nothing switched: a first record "on the survivor" would only be the consumer reading on.
    figures.firstConsumedOnSurvivorMs = null
    figures.firstAcknowledgedOnSurvivorMs = null
  }

  const atFault = (outcome.replicationAtFault?.flows ?? []).map((f) => ({
    ...f,
    sampledMsBeforeFault: faultAt === undefined ? 0 : faultAt - outcome.replicationAtFault!.at,
  }))
  const riskFlow = atFault.find((f) => f.source === target && f.target === survivor)
  const maxRecordsBehind: Record<string, number> = {}
  for (const sample of timeline.replication) {
    for (const f of sample.flows)
      if (f.recordsBehind !== undefined) maxRecordsBehind[f.flow] = Math.max(maxRecordsBehind[f.flow] ?? 0, f.recordsBehind)
  }

  const caughtUp =
    backAt === undefined
      ? undefined
      : timeline.replication.find((r) => r.at >= backAt && r.flows.length > 0 && r.flows.every((f) => f.recordsBehind === 0))

  const ok = lost === 0 && outcome.drained && !input.interrupted
  const verdict = input.interrupted
    ? `interrupted: ${lost} acknowledged records not consumed when the drill stopped`
    : lost === 0
      ? `no acknowledged record lost; ${counts.duplicates} duplicate deliveries`
      : `${lost} acknowledged records were never consumed (lost)`

  return {
    lost,
    duplicates: counts.duplicates,
    ok,
    interrupted: input.interrupted,
    verdict,
    reportVersion: REPORT_VERSION,
    startedAt: new Date(t0).toISOString(),
    finishedAt: new Date(input.finishedAt).toISOString(),
    settings: input.settings,
    // Names and brokers only: a cluster's kafkajs settings hold its secrets.
    environment: {
      kind: environment.kind,
      clusters: environment.clusters.map((c) => ({ name: c.name, brokers: c.brokers })),
      ...environment.facts,
    },
    fault: {
      kind: options.fault,
      cluster: target,
      survivor,
      action: outcome.fault?.action ?? null,
      timing: outcome.fault?.timing ?? null,
      atMs: after(t0, faultAt),
      restoreAction: outcome.faultEnded?.action ?? null,
      restoreStartedAtMs: after(t0, outcome.faultEnded?.startedAt),
      restoredAtMs: after(t0, backAt),
    },
    figures,
    records: {
      ...counts,
      lost,
      lostSample,
      consumedUnacknowledged: ledger.consumedUnacknowledged(),
      duplicatesByPhase: { ...timeline.duplicatesByPhase },
    },
    replication: {
      atFault,
      dataAtRiskRecords: riskFlow?.recordsBehind ?? null,
      heartbeatAgeAtFaultMs: riskFlow?.heartbeatAgeMs ?? null,
      reportedByLibraryMs:
        (faultAt === undefined ? undefined : timeline.first('failover:complete', faultAt, (e) => e.to === survivor)?.replicationLagMs) ??
        null,
      maxRecordsBehind,
      caughtUpMs: after(backAt, caughtUp?.at),
    },
    drain: { drained: outcome.drained, durationMs: after(outcome.loadStoppedAt, outcome.drainEndedAt) },
    notes: outcome.notes,
    phases: timeline.phases.map((p) => ({ name: p.name, fromMs: p.from - t0, toMs: p.to === undefined ? null : p.to - t0 })),
    activeCluster: segmentsOut(timeline.active, t0),
    consumerClusters: timeline.consumerClusters.map((s) => segmentsOut(s, t0)),
    series: timeline.buckets.map((b, i) => ({
      tMs: i * BUCKET_MS,
      sentPerSecond: Math.round((b.sent * 1000) / BUCKET_MS),
      acknowledgedPerSecond: Math.round((b.acknowledged * 1000) / BUCKET_MS),
      consumedPerSecond: Math.round((b.consumed * 1000) / BUCKET_MS),
      active: activeAt(timeline.active, t0 + i * BUCKET_MS) ?? null,
    })),
    replicationSeries: timeline.replication.map((s) => ({ tMs: s.at - t0, flows: s.flows })),
    timeline: timeline.events.map((e) => ({
      tMs: e.at - t0,
      at: new Date(e.at).toISOString(),
      type: e.type,
      ...(e.cluster !== undefined && { cluster: e.cluster }),
      ...(e.from !== undefined && { from: e.from }),
      ...(e.to !== undefined && { to: e.to }),
      ...(e.instance !== undefined && { instance: e.instance }),
      detail: e.detail,
    })),
  }
}
