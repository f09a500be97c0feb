/**
 * The soak's figures from what its instances reported: records lost and rejected, duplicates per
 * fault, and for each instance the growth of its memory (least-squares slope after the warm-up, in
 * MB per 10 minutes), its open resources and listeners; then the Markdown and the picture.
 */
import type { MemorySample } from './app.js'

/** One fault the soak caused. */
export interface SoakFault {
  kind: string
  /** When it struck and when it ended (ms since epoch). */
  at: number
  endedAt: number
  detail: string
}

/** What every instance and the harness saw, as run-soak.ts collected it. */
export interface SoakObservations {
  startedAt: number
  endedAt: number
  /** From this moment on, memory counts for the slopes (the first 10 minutes warm up). */
  measuredFrom: number
  faults: SoakFault[]
  acked: number
  lost: string[]
  rejected: Array<{ count: number; at: number; message: string }>
  /** When each repeated handling of a record happened (ms since epoch). */
  repeats: number[]
  handled: number
  memory: MemorySample[][]
  warnings: Array<{ instance: number; name: string; message: string }>
  /** Instances that exited before the end, and faults the bed could not cause or end. */
  incidents: string[]
}

/** Memory metrics whose growth is judged. */
export const MEMORY_METRICS = ['heapUsed', 'external', 'arrayBuffers', 'rss'] as const
export type MemoryMetric = (typeof MEMORY_METRICS)[number]

/** The goal: at most this much growth of each metric, in MB per 10 minutes. */
export const GROWTH_GOAL_MB_PER_10_MIN = 1

/** The goal for open handles (sockets, timers): flat, within one per 10 minutes. */
export const RESOURCE_GOAL_PER_10_MIN = 1

const MB = 1024 * 1024
const TEN_MINUTES = 600_000

/** The least-squares slope of `points` (x in ms, y in bytes), in MB per 10 minutes; 0 for fewer than two points. */
export function slopeMbPer10Min(points: ReadonlyArray<{ x: number; y: number }>): number {
  return slopePer10Min(points) / MB
}

/** The least-squares slope of `points` (x in ms), in y per 10 minutes; 0 for fewer than two points. */
export function slopePer10Min(points: ReadonlyArray<{ x: number; y: number }>): number {
  if (points.length < 2) return 0
  const n = points.length
  const meanX = points.reduce((s, p) => s + p.x, 0) / n
  const meanY = points.reduce((s, p) => s + p.y, 0) / n
  let num = 0
  let den = 0
  for (const p of points) {
    num += (p.x - meanX) * (p.y - meanY)
    den += (p.x - meanX) ** 2
  }
  return den === 0 ? 0 : (num / den) * TEN_MINUTES
}

/** Repeats counted against the fault before them: from one fault's start to the next one's. */
export function repeatsPerFault(faults: readonly SoakFault[], repeats: readonly number[]): number[] {
  return faults.map((f, i) => {
    const until = faults[i + 1]?.at ?? Infinity
    return repeats.filter((at) => at >= f.at && at < until).length
  })
}

/** One instance's memory figures. */
export interface InstanceMemory {
  instance: number
  samples: number
  slopes: Record<MemoryMetric, number>
  /** At the first and the last sample after the warm-up. */
  resources: [number, number]
  /** Growth of the open resources, least squares over the samples after the warm-up, per 10 minutes. */
  resourceSlope: number
  /** How each type of resource changed between those samples (types that did not, left out). */
  resourceChanges: Record<string, number>
  listeners: [number, number]
}

/** `last` minus `first`, per type, for the types that changed. */
export function resourceChanges(first: Record<string, number> = {}, last: Record<string, number> = {}): Record<string, number> {
  const changes: Record<string, number> = {}
  for (const type of new Set([...Object.keys(first), ...Object.keys(last)])) {
    const change = (last[type] ?? 0) - (first[type] ?? 0)
    if (change !== 0) changes[type] = change
  }
  return changes
}

export function instanceMemory(memory: readonly MemorySample[][], measuredFrom: number): InstanceMemory[] {
  return memory.map((samples, instance) => {
    const measured = samples.filter((s) => s.at >= measuredFrom)
    const slopes = Object.fromEntries(
      MEMORY_METRICS.map((m) => [m, slopeMbPer10Min(measured.map((s) => ({ x: s.at, y: s[m] })))]),
    ) as Record<MemoryMetric, number>
    const first = measured[0]
    const last = measured.at(-1)
    return {
      instance,
      samples: measured.length,
      slopes,
      resources: [first?.resources ?? 0, last?.resources ?? 0],
      resourceSlope: slopePer10Min(measured.map((s) => ({ x: s.at, y: s.resources }))),
      resourceChanges: resourceChanges(first?.resourceTypes, last?.resourceTypes),
      listeners: [first?.listeners ?? 0, last?.listeners ?? 0],
    }
  })
}

/** The soak's verdict: each unmet goal in words (empty: passed). */
export function soakFailures(o: SoakObservations): string[] {
  const failed: string[] = []
  if (o.lost.length > 0) failed.push(`${o.lost.length} acknowledged records never handled (e.g. ${o.lost.slice(0, 3).join(', ')})`)
  const rejected = o.rejected.reduce((n, r) => n + r.count, 0)
  // No fault of the rotation takes both clusters down: every rejection is a failure.
  if (rejected > 0) failed.push(`${rejected} records rejected (first: ${o.rejected[0]!.message})`)
  for (const m of instanceMemory(o.memory, o.measuredFrom)) {
    for (const metric of MEMORY_METRICS) {
      if (m.slopes[metric] > GROWTH_GOAL_MB_PER_10_MIN)
        failed.push(`instance ${m.instance}: ${metric} grew ${m.slopes[metric].toFixed(2)} MB per 10 min`)
    }
    // Sockets and timers come and go with each fault: a trend over the run is what leaks.
    if (m.resourceSlope > RESOURCE_GOAL_PER_10_MIN)
      failed.push(
        `instance ${m.instance}: open handles grew ${m.resourceSlope.toFixed(1)} per 10 min (${m.resources.join(' -> ')}${describeChanges(m.resourceChanges)})`,
      )
    if (m.listeners[1] > m.listeners[0]) failed.push(`instance ${m.instance}: listeners ${m.listeners[0]} -> ${m.listeners[1]}`)
  }
  failed.push(...o.incidents)
  if (o.warnings.length > 0) failed.push(`${o.warnings.length} process warnings (first: ${o.warnings[0]!.name}: ${o.warnings[0]!.message})`)
  return failed
}

/** The soak's section of docs/chaos.md. */
export function soakMarkdown(o: SoakObservations, settings: string, chartFile: string): string {
  const minutes = (o.endedAt - o.startedAt) / 60_000
  const perFault = repeatsPerFault(o.faults, o.repeats)
  const failures = soakFailures(o)
  const lines = [
    `Soak of ${minutes.toFixed(0)} minutes, ${new Date(o.startedAt).toISOString().slice(0, 10)}: ${settings}.`,
    '',
    `- Records acknowledged ${o.acked.toLocaleString('en')}, handled ${o.handled.toLocaleString('en')}, **lost ${o.lost.length}**, rejected ${o.rejected.reduce((n, r) => n + r.count, 0)}, repeated handlings ${o.repeats.length}.`,
    `- Verdict: ${failures.length === 0 ? 'every goal met' : failures.join('; ')}.`,
    '',
    '| # | at (min) | fault | duplicates until the next fault |',
    '|---|---|---|---|',
    ...o.faults.map((f, i) => `| ${i + 1} | ${((f.at - o.startedAt) / 60_000).toFixed(1)} | ${f.detail} | ${perFault[i]} |`),
    '',
    `Memory growth after the first ${((o.measuredFrom - o.startedAt) / 60_000).toFixed(0)} minutes (least-squares slope over samples after a full GC, MB per 10 minutes; goal ≤ ${GROWTH_GOAL_MB_PER_10_MIN}), open handles and client listeners at the first and the last of those samples:`,
    '',
    '| instance | samples | heap | external | ArrayBuffers | RSS | handles | listeners |',
    '|---|---|---|---|---|---|---|---|',
    ...instanceMemory(o.memory, o.measuredFrom).map(
      (m) =>
        `| ${m.instance} | ${m.samples} | ${MEMORY_METRICS.map((k) => m.slopes[k].toFixed(2)).join(' | ')} | ${m.resources.join(' -> ')}${describeChanges(m.resourceChanges)} | ${m.listeners.join(' -> ')} |`,
    ),
    '',
    `![Memory of each instance over the soak](${chartFile})`,
  ]
  return `${lines.join('\n')}\n`
}

/** A line chart of each instance's heap and RSS over the soak, faults marked, as SVG. */
export function memoryChart(o: SoakObservations): string {
  const width = 900
  const height = 360
  const left = 60
  const right = 20
  const top = 20
  const bottom = 40
  const series = o.memory.flatMap((samples, i) =>
    (['heapUsed', 'rss'] as const).map((metric) => ({
      label: `${i} ${metric === 'rss' ? 'RSS' : 'heap'}`,
      metric,
      points: samples.map((s) => ({ x: s.at, y: s[metric] / MB })),
    })),
  )
  const maxY = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.y))) * 1.1
  const span = Math.max(1, o.endedAt - o.startedAt)
  const px = (t: number): number => left + ((t - o.startedAt) / span) * (width - left - right)
  const py = (mb: number): number => top + (1 - mb / maxY) * (height - top - bottom)
  const colours = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f']
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...o.faults.map(
      (f) =>
        `<rect x="${px(f.at).toFixed(1)}" y="${top}" width="${Math.max(1, px(f.endedAt) - px(f.at)).toFixed(1)}" height="${height - top - bottom}" fill="#eee"><title>${escapeXml(f.detail)}</title></rect>`,
    ),
    `<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="black"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}" stroke="black"/>`,
    ...[0, 0.25, 0.5, 0.75, 1].map(
      (f) => `<text x="${left - 6}" y="${py(maxY * f) + 4}" text-anchor="end">${(maxY * f).toFixed(0)} MB</text>`,
    ),
    ...Array.from({ length: 7 }, (_, i) => o.startedAt + (span * i) / 6).map(
      (t) => `<text x="${px(t)}" y="${height - bottom + 16}" text-anchor="middle">${((t - o.startedAt) / 60_000).toFixed(0)} min</text>`,
    ),
    ...series.map(
      (s, i) =>
        `<polyline fill="none" stroke="${colours[i % colours.length]}" stroke-width="1.5"${s.metric === 'heapUsed' ? ' stroke-dasharray="4 3"' : ''} points="${s.points.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ')}"/>`,
    ),
    ...series.map(
      (s, i) =>
        `<text x="${width - right - 90}" y="${top + 12 + i * 13}" fill="${colours[i % colours.length]}">instance ${escapeXml(s.label)}</text>`,
    ),
    '</svg>',
  ]
  return `${parts.join('\n')}\n`
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** ` (TCPSocketWrap +2, Timeout -1)`, or nothing when no type changed. */
function describeChanges(changes: Record<string, number>): string {
  const parts = Object.entries(changes).map(([type, n]) => `${type} ${n > 0 ? '+' : ''}${n}`)
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`
}
