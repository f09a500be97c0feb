/**
 * Runs chaos scenarios one after another on one local bed (started once, if it is not up, and
 * stopped at the end only if this run started it), each a drill with its report kept in its own
 * folder, and sums them up in a table.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { DEFAULT_OPTIONS, type DrillOptions } from '../src/drill/options.js'
import type { DrillReport } from '../src/drill/report.js'
import { runDrillWithBed } from '../drill/run-drill.js'
import { KafkaBed } from '../test/bed/bed.js'
import { SCENARIOS, switchCount, type ChaosScenario } from './scenarios.js'
import type { ChaosResult, ChaosRun } from './results.js'
import { keepSoakSection } from '../soak/section.js'
import { chaosMarkdown, chaosTable } from './table.js'

/** What `npm run chaos` was asked for. */
export interface ChaosOptions {
  /** The quick form of each scenario (CI) instead of the full one. */
  quick: boolean
  /** Scenario ids to run; empty: all. */
  only: number[]
  /** Folder for each drill's files and chaos-report.json. */
  outDir: string
  /** Also write the table as a Markdown page here (docs/chaos.md). */
  markdown: string | undefined
}

/**
 * Runs the scenarios; `log` gets progress lines. `bed`: a handle to use instead of a new one (the
 * test suite's), never stopped here unless this run started it.
 */
export async function runChaos(
  options: ChaosOptions,
  log: (line: string) => void,
  signal: AbortSignal,
  bed = new KafkaBed(),
): Promise<ChaosRun> {
  const scenarios = SCENARIOS.filter((s) => options.only.length === 0 || options.only.includes(s.id))
  if (!bed.canInjectFaults)
    throw new Error('npm run chaos injects faults on the local bed: unset KAFKAJS_DR_DC1_BROKERS / KAFKAJS_DR_DC2_BROKERS')
  const startedBed = !bed.isUp()
  const startedAt = new Date()
  const results: ChaosResult[] = []
  const out = resolve(options.outDir)
  try {
    if (startedBed) log('[chaos] starting the local bed')
    await bed.up()
    for (const scenario of scenarios) {
      signal.throwIfAborted()
      log(`[chaos] scenario ${scenario.id}: ${scenario.title} (${options.quick ? 'quick' : 'full'})`)
      results.push(await runScenario(scenario, options, bed, join(out, `${scenario.id}-${scenario.fault}`), log, signal))
      const r = results.at(-1)!
      log(`[chaos] scenario ${scenario.id}: ${r.passed ? 'PASS' : `FAIL: ${r.failures.join('; ')}`}`)
      // The next scenario starts from a whole bed with replication caught up.
      await bed.up()
    }
  } finally {
    if (startedBed) {
      log('[chaos] stopping the local bed')
      await bed.down()
    }
  }
  const run: ChaosRun = {
    startedAt: startedAt.toISOString(),
    form: options.quick ? 'quick' : 'full',
    kafkaVersion: bed.kafkaVersion,
    brokerGroupSettings: bed.brokerProfile,
    results,
    passed: results.every((r) => r.passed),
  }
  await mkdir(out, { recursive: true })
  await writeFile(join(out, 'chaos-report.json'), `${JSON.stringify(run, null, 2)}\n`)
  if (options.markdown !== undefined)
    await writeFile(options.markdown, keepSoakSection(await readFile(options.markdown, 'utf8').catch(() => ''), chaosMarkdown(run)))
  for (const line of chaosTable(run)) log(line)
  return run
}

async function runScenario(
  scenario: ChaosScenario,
  options: ChaosOptions,
  bed: KafkaBed,
  outDir: string,
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<ChaosResult> {
  const settings = { ...(options.quick ? scenario.quick : scenario.full) }
  const drillOptions: DrillOptions = {
    ...DEFAULT_OPTIONS,
    ...settings,
    fault: scenario.fault,
    clusters: [],
    plain: true,
    json: false,
    keepBed: true,
    outDir,
  }
  const started = Date.now()
  const progress = new LinePrefixer(`  [${scenario.id}] `, log)
  const { report, files } = await runDrillWithBed(drillOptions, {
    progress: progress as unknown as NodeJS.WritableStream,
    isTTY: false,
    bed,
    signal,
  })
  const failures = scenario.expect(report)
  return {
    id: scenario.id,
    title: scenario.title,
    fault: scenario.fault,
    passed: failures.length === 0,
    failures,
    produced: report.records.produced,
    acknowledged: report.records.acknowledged,
    rejected: report.records.rejected,
    consumed: report.records.consumed,
    lost: report.lost,
    duplicates: report.duplicates,
    switches: switchCount(report),
    recoverMs: recoverMs(report),
    unreplicatedAtFault: report.replication.dataAtRiskRecords,
    durationMs: Date.now() - started,
    settings,
    files,
  }
}

/**
 * Fault -> first record consumed on the survivor; when both clusters were down, from the moment
 * the first was started again; for flaps, the longest time without a record consumed.
 */
function recoverMs(report: DrillReport): number | null {
  if (report.fault.kind === 'standby-restart') return null
  if (report.fault.kind === 'flap') return report.figures.longestWithoutConsumptionMs
  if (report.fault.kind === 'all-down') {
    const { atMs, restoreStartedAtMs } = report.fault
    const first = report.figures.firstConsumedOnSurvivorMs
    return first === null || atMs === null || restoreStartedAtMs === null ? null : first - (restoreStartedAtMs - atMs)
  }
  return report.figures.firstConsumedOnSurvivorMs
}

/** The drill's progress lines, each prefixed with its scenario, as a writable for `runDrillWithBed`. */
class LinePrefixer {
  private pending = ''
  constructor(
    private readonly prefix: string,
    private readonly log: (line: string) => void,
  ) {}
  write(chunk: string | Uint8Array): boolean {
    this.pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
    const lines = this.pending.split('\n')
    this.pending = lines.pop()!
    for (const line of lines) this.log(`${this.prefix}${line}`)
    return true
  }
}
