/** The summary table printed at the end of a drill, from its report. */
import type { DrillReport } from './report.js'

function ms(value: number | null | undefined): string {
  if (value === null || value === undefined) return 'did not happen'
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value.toLocaleString('en-US')} ms`
}

function n(value: number): string {
  return value.toLocaleString('en-US')
}

function byPhase(counts: Record<string, number>): string {
  const parts = Object.entries(counts)
    .filter(([, count]) => count > 0)
    .map(([phase, count]) => `${phase} ${n(count)}`)
  return parts.length === 0 ? '' : `; by phase: ${parts.join(', ')}`
}

/** The summary as lines of text: a two-column table, then the verdict and the files. */
export function summaryLines(report: DrillReport, files: { report: string; chart: string | undefined }): string[] {
  const { fault, figures, records, replication } = report
  const f = fault.cluster
  const s = fault.survivor
  const from = fault.timing === 'observed' ? 'fault (last sign of life)' : 'fault'
  const failingOver = fault.kind !== 'replication-stop'
  const rows: Array<[string, string]> = []
  if (failingOver) {
    rows.push(
      [`${from} -> ${f} seen down (cluster:down)`, ms(figures.detectMs)],
      [`${from} -> switch to ${s} started (failover:start)`, ms(figures.switchStartMs)],
      [`${from} -> switch to ${s} complete (failover:complete)`, ms(figures.switchCompleteMs)],
      [`${from} -> first send acknowledged on ${s}`, ms(figures.firstAcknowledgedOnSurvivorMs)],
      [`${from} -> first record consumed on ${s}`, ms(figures.firstConsumedOnSurvivorMs)],
    )
  } else {
    const switches = report.timeline.filter((e) => e.type === 'failover:start').length
    rows.push(['switches of the active cluster (none expected)', n(switches)])
  }
  rows.push(
    ['longest time without an acknowledged send', ms(figures.longestWithoutAcknowledgementMs)],
    ['longest time without a record consumed', ms(figures.longestWithoutConsumptionMs)],
    [`bringing ${failingOver ? f : 'replication'} back took`, ms(figures.failback.restoreMs)],
  )
  if (failingOver) {
    rows.push(
      [`${f} back -> seen up (cluster:up)`, ms(figures.failback.clusterUpMs)],
      [`${f} back -> failback started (failback delay ${ms(report.settings.failbackDelayMs)})`, ms(figures.failback.switchStartMs)],
      [`${f} back -> failback complete`, ms(figures.failback.completeMs)],
      [`${f} back -> first send acknowledged on ${f}`, ms(figures.failback.firstAcknowledgedMs)],
      [`${f} back -> first record consumed on ${f}`, ms(figures.failback.firstConsumedMs)],
    )
  }
  const risk = replication.dataAtRiskRecords === null ? 'unknown' : `${n(replication.dataAtRiskRecords)} records`
  const heartbeat = replication.heartbeatAgeAtFaultMs === null ? '' : `, newest heartbeat ${ms(replication.heartbeatAgeAtFaultMs)} old`
  const peaks = Object.entries(replication.maxRecordsBehind)
    .map(([flow, most]) => `${flow} ${n(most)}`)
    .join(', ')
  rows.push(
    [`replication lag ${f}->${s} at the fault (data at risk)`, `${risk}${heartbeat}`],
    ...(replication.reportedByLibraryMs === null
      ? []
      : [[`data at risk reported by kafkajs-dr at the switch`, `${ms(replication.reportedByLibraryMs)} of writes`] as [string, string]]),
    ['most records behind, per flow', peaks === '' ? 'unknown' : peaks],
    [`${failingOver ? f : 'replication'} back -> replication caught up (0 behind)`, ms(replication.caughtUpMs)],
    ['records produced / acknowledged / rejected', `${n(records.produced)} / ${n(records.acknowledged)} / ${n(records.rejected)}`],
    ['records consumed (distinct)', n(records.consumed)],
    [
      report.interrupted ? 'acknowledged, not consumed when interrupted' : 'LOST (acknowledged, never consumed)',
      `${n(report.lost)}${report.lost === 0 ? '' : `  e.g. records ${records.lostSample.slice(0, 10).join(', ')}`}`,
    ],
    [
      'duplicates (deliveries beyond the first)',
      `${n(report.duplicates)} (${n(records.duplicateRecords)} records)${byPhase(records.duplicatesByPhase)}`,
    ],
    [
      'record wait, send -> consumed: median / p99 / max',
      figures.recordWait === null
        ? '-'
        : `${ms(figures.recordWait.median)} / ${ms(figures.recordWait.p99)} / ${ms(figures.recordWait.max)}`,
    ],
  )
  if (records.consumedUnacknowledged > 0) rows.push(['consumed although their send was rejected', n(records.consumedUnacknowledged)])
  const width = Math.max(...rows.map(([k]) => k.length))
  const valueWidth = Math.max(...rows.map(([, v]) => v.length))
  const line = (k: string, v: string): string => `| ${k.padEnd(width)} | ${v.padEnd(valueWidth)} |`
  return [
    '',
    `Drill summary: ${fault.action ?? fault.kind} (${String(report.environment.kind)}), ${report.settings.rate} records/s of ${report.settings.recordBytes} bytes`,
    line('measure', 'value'),
    `|${'-'.repeat(width + 2)}|${'-'.repeat(valueWidth + 2)}|`,
    ...rows.map(([k, v]) => line(k, v)),
    ...report.notes.map((note) => `note: ${note}`),
    `${report.ok ? 'PASS' : report.interrupted ? 'INTERRUPTED' : 'FAIL'}: ${report.verdict}`,
    `report: ${files.report}${files.chart === undefined ? '' : `   timeline: ${files.chart}`}`,
  ]
}
