/**
 * One disaster drill from start to end: the environment (your clusters, or what the caller opens:
 * the repository's local bed), the example service, the replication monitor and the live view;
 * the scenario; then the report, the chart and the summary. Everything the drill started is
 * stopped again, on success, on failure and on Ctrl-C.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { renderChart } from './chart.js'
import type { DrillEnvironment, FaultContext } from './environment.js'
import { RecordLedger } from './ledger.js'
import { LiveView, type ViewState } from './live-view.js'
import { kafkaConfig, type DrillOptions } from './options.js'
import { ReplicationMonitor } from './replication-monitor.js'
import { buildReport, type DrillReport } from './report.js'
import { runScenario, type ScenarioOutcome } from './scenario.js'
import { DrillService, clientSettings } from './service.js'
import { summaryLines } from './summary.js'
import { DrillTimeline } from './timeline.js'
import { DrillInterrupted } from './wait.js'
import { YourClustersEnvironment } from './your-clusters.js'

/** Name of the report the drill writes in its output folder. */
export const REPORT_FILE = 'drill-report.json'
/** Name of the picture the drill writes in its output folder. */
export const CHART_FILE = 'drill-timeline.svg'

/** Where the drill writes, and what else a caller (the test suite) hands it. */
export interface DrillRuntime {
  /** Progress, the live view and the summary. Default: stdout, or stderr with `--json`. */
  progress?: NodeJS.WritableStream
  /** Where `--json` prints the report. Default: stdout. */
  stdout?: NodeJS.WritableStream
  /** Whether `progress` is a terminal (the live view); default: whether it has `isTTY`. */
  isTTY?: boolean
  /**
   * Opens where the drill runs. Default: the clusters of `options.clusters`, where the operator
   * causes the fault when asked (the repository's drill opens its local bed here).
   */
  environment?: (log: (line: string) => void, signal: AbortSignal) => Promise<DrillEnvironment>
  /** Aborts the drill (Ctrl-C): it stops, cleans up and reports what happened until then. */
  signal?: AbortSignal
  /** Applied to the report and the chart before they are written: `--config`'s secrets scrubbed. */
  redact?: (text: string) => string
}

/** What a drill run produced. */
export interface DrillResult {
  report: DrillReport
  /** Absolute paths of the files written. */
  files: { report: string; chart: string | undefined }
  /** 0: nothing lost; 1: something lost, not drained, or failed; 130: interrupted. */
  exitCode: number
}

/**
 * Runs one drill with `options` and returns its report. Rejects only when it could not run at
 * all (the bed did not start, a cluster was unreachable); a drill that ran but lost records
 * resolves with `exitCode` 1.
 */
export async function runDrill(options: DrillOptions, runtime: DrillRuntime = {}): Promise<DrillResult> {
  const progress = runtime.progress ?? (options.json ? process.stderr : process.stdout)
  const isTTY = runtime.isTTY ?? (progress as NodeJS.WriteStream).isTTY === true
  const signal = runtime.signal ?? new AbortController().signal
  const runId = randomBytes(4).toString('hex')
  const topic = options.topic ?? `kafkajs-dr-drill-${runId}`
  const groupId = `kafkajs-dr-drill-${runId}`
  const early = new LiveView(progress, 'lines', Date.now())
  const log = (line: string): void => early.log(line)

  const environment = await (runtime.environment ?? yourClusters(options))(log, signal)
  const [target, survivor] = environment.clusters.map((c) => c.name) as [string, string]
  const timeline = new DrillTimeline()
  const view = new LiveView(progress, !options.json && !options.plain && isTTY ? 'live' : 'lines', timeline.startedAt)
  const ledger = new RecordLedger()
  const outcome: ScenarioOutcome = { drained: false, notes: [] }
  const settings = {
    fault: options.fault,
    rate: options.rate,
    recordBytes: options.recordBytes,
    warmupMs: options.warmupMs,
    outageMs: options.outageMs,
    afterMs: options.afterMs,
    failbackDelayMs: options.failbackDelayMs,
    failbackTimeoutMs: options.failbackTimeoutMs,
    drainTimeoutMs: options.drainTimeoutMs,
    consumers: options.consumers,
    partitions: options.partitions,
    topic,
    groupId,
    runId,
    flaps: options.flaps,
    lagBeforeKillMs: options.lagBeforeKillMs,
    deliveryTimeoutMs: options.deliveryTimeoutMs ?? null,
    client: clientSettings({ clusters: environment.clusters, failbackDelayMs: options.failbackDelayMs }),
  }
  let service: DrillService | undefined
  let monitor: ReplicationMonitor | undefined
  let interrupted = false
  let failure: unknown
  try {
    timeline.onEvent((event) => view.event(event))
    environment.watch?.(timeline)
    log(
      `service: topic ${topic} (${options.partitions} partitions), group ${groupId}, ${options.consumers} consumer instance(s), ${options.rate} records/s of ${options.recordBytes} bytes`,
    )
    service = await DrillService.start(
      {
        clusters: environment.clusters,
        topic,
        partitions: options.partitions,
        groupId,
        runId,
        rate: options.rate,
        recordBytes: options.recordBytes,
        consumers: options.consumers,
        failbackDelayMs: options.failbackDelayMs,
        deliveryTimeoutMs: options.deliveryTimeoutMs,
      },
      ledger,
      timeline,
    )
    monitor = new ReplicationMonitor(Object.fromEntries(environment.clusters.map((c) => [c.name, kafkaConfig(c)])), topic, (sample) =>
      timeline.addReplication(sample),
    )
    monitor.start()
    const running = service
    const plan = `${options.fault} ${target} after ${options.warmupMs / 1000} s, back after ${options.outageMs / 1000} s (${environment.kind})`
    view.start(() => viewState(running, timeline, ledger, plan))
    const faultContext: FaultContext = {
      timeline,
      signal,
      log: (line) => view.log(line),
      latestReplication: () => timeline.latestReplication,
      sampleReplication: () => monitor!.sample(),
      settings: { flaps: options.flaps, lagBeforeKillMs: options.lagBeforeKillMs },
      service: { topic, groupId },
      lastSignOfLife: (cluster, before) => lastSignOfLife(running, timeline, cluster, before),
    }
    await runScenario({ options, environment, service, monitor, timeline, ledger, faultContext, target, survivor }, outcome)
  } catch (error) {
    if (error instanceof DrillInterrupted || signal.aborted) interrupted = true
    else failure = error
  } finally {
    view.stop()
    timeline.close()
    const finish = (line: string): void => early.log(line)
    if (interrupted) finish('interrupted: stopping the service and putting back what the drill changed (Ctrl-C again to exit at once)')
    await service?.stop()
    await monitor?.stop()
    await environment.close(finish)
  }
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows what the drill caught, unchanged
  if (failure !== undefined && service === undefined) throw failure
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- not an Error: whatever was thrown
  if (failure !== undefined) outcome.notes.push(`the drill failed: ${failure instanceof Error ? failure.message : String(failure)}`)

  const report = buildReport({
    options,
    environment,
    timeline,
    ledger,
    outcome,
    target,
    survivor,
    interrupted,
    settings,
    sends: service?.load.sends ?? [],
    loadStartedAt: service?.load.startedAt,
    consumeGapMs: service?.longestConsumeGap(service.load.startedAt ?? timeline.startedAt, outcome.loadStoppedAt ?? Date.now()) ?? 0,
    finishedAt: Date.now(),
  })
  if (failure !== undefined) report.ok = false
  const files = await writeFiles(report, options.outDir, runtime.redact ?? ((text) => text), (line) => early.log(line))
  for (const line of summaryLines(report, files)) progress.write(`${line}\n`)
  if (options.json) (runtime.stdout ?? process.stdout).write(`${JSON.stringify(report, null, 2)}\n`)
  const exitCode = interrupted ? 130 : report.ok ? 0 : 1
  return { report, files, exitCode }
}

/** The clusters given with `--cluster` (or `--config`): you cause the faults when asked. */
function yourClusters(options: DrillOptions): () => Promise<DrillEnvironment> {
  return async () => {
    if (options.clusters.length < 2)
      throw new Error('the drill needs two clusters or more (--cluster NAME=HOST:PORT, most preferred first)')
    return new YourClustersEnvironment(options.clusters)
  }
}

function viewState(service: DrillService, timeline: DrillTimeline, ledger: RecordLedger, plan: string): ViewState {
  const now = Date.now()
  const status = service.client.status()
  const phase = timeline.currentPhase
  return {
    now,
    phase: phase?.to === undefined ? phase?.name : undefined,
    phaseSince: phase?.from,
    plan,
    active: status.active,
    switching: status.switching,
    clusters: status.clusters.map((c) => ({ name: c.name, health: c.health })),
    consumerClusters: service.consumerClusters(),
    sentPerSecond: timeline.ratePerSecond('sent', now),
    acknowledgedPerSecond: timeline.ratePerSecond('acknowledged', now),
    consumedPerSecond: timeline.ratePerSecond('consumed', now),
    counts: ledger.snapshot(),
    sendsInFlight: service.load.sendsInFlight,
    consumerLag: ledger.unconsumedAcknowledged,
    replication: timeline.latestReplication,
  }
}

/** The last moment `cluster` worked before `before`: a send acknowledged while it was active, or a record consumed from it. */
function lastSignOfLife(service: DrillService, timeline: DrillTimeline, cluster: string, before: number): number | undefined {
  let last = service.lastConsumedFrom(cluster, before)
  for (const send of service.load.sends) {
    if (!send.ok || send.settledAt! >= before || (last !== undefined && send.settledAt! <= last)) continue
    const active = timeline.active.find((s) => s.from <= send.settledAt! && (s.to === undefined || send.settledAt! < s.to))?.cluster
    if (active === cluster) last = send.settledAt
  }
  return last
}

/**
 * Writes the report and the chart, both from a copy of the report whose every string went through
 * `redact` (the JSON stays valid); a chart that cannot be drawn is reported, not fatal.
 */
async function writeFiles(
  report: DrillReport,
  outDir: string,
  redact: (text: string) => string,
  log: (line: string) => void,
): Promise<DrillResult['files']> {
  const folder = resolve(outDir)
  await mkdir(folder, { recursive: true })
  const reportFile = join(folder, REPORT_FILE)
  let chartFile: string | undefined = join(folder, CHART_FILE)
  const scrubbed = (): DrillReport =>
    JSON.parse(JSON.stringify(report, (_key, value: unknown) => (typeof value === 'string' ? redact(value) : value))) as DrillReport
  try {
    await writeFile(chartFile, await renderChart(scrubbed()))
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    log(`could not draw ${CHART_FILE}: ${reason}`)
    report.notes.push(`no chart: ${reason}`)
    chartFile = undefined
  }
  await writeFile(reportFile, `${JSON.stringify(scrubbed(), null, 2)}\n`)
  return { report: reportFile, chart: chartFile }
}
