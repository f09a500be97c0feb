/**
 * The drill's timeline as an SVG picture, drawn with Vega-Lite and rendered in Node by Vega (no
 * browser, no canvas): records a second sent, acknowledged and consumed over time, the outage
 * shaded, the fault and every switch marked, and below it which cluster was active and where each
 * consumer read.
 *
 * vega and vega-lite are optional peer dependencies of the package (about 20 MB that an
 * application never needs): loaded when a picture is drawn, and without them the drill writes its
 * report and says how to get the picture.
 */
import type * as Vega from 'vega'
import type * as VegaLite from 'vega-lite'
import type { DrillReport } from './report.js'

const WIDTH = 900

/** Colours of the clusters, in order of preference. */
const CLUSTER_COLORS = ['#4c78a8', '#f58518', '#54a24b', '#b279a2']

/** A vertical marker: the fault, a switch, the cluster's return. */
interface Marker {
  t: number
  label: string
  kind: 'fault' | 'switch' | 'restore'
}

function markers(report: DrillReport): Marker[] {
  const out: Marker[] = []
  for (const e of report.timeline) {
    const t = e.tMs / 1000
    if (e.type === 'fault') out.push({ t, label: `fault: ${e.detail}`, kind: 'fault' })
    if (e.type === 'failover:start') out.push({ t, label: `switch to ${e.to ?? '?'}`, kind: 'switch' })
    if (e.type === 'restore') out.push({ t, label: e.detail, kind: 'restore' })
    // A failback can complete long after it started (the consumer waits for its group there).
    if (e.type === 'failback') out.push({ t, label: `back on ${e.to ?? '?'}`, kind: 'switch' })
  }
  return out
}

/** The Vega-Lite specification of the picture. */
export function chartSpec(report: DrillReport): VegaLite.TopLevelSpec {
  const clusters = report.environment.clusters as Array<{ name: string }>
  const names = clusters.map((c) => c.name)
  const rates = report.series.flatMap((p) => [
    { t: p.tMs / 1000, series: 'sent', rate: p.sentPerSecond },
    { t: p.tMs / 1000, series: 'acknowledged', rate: p.acknowledgedPerSecond },
    { t: p.tMs / 1000, series: 'consumed', rate: p.consumedPerSecond },
  ])
  const end = Math.max(
    ...report.series.map((p) => p.tMs / 1000),
    ...report.timeline.map((e) => e.tMs / 1000),
    ...[report.activeCluster, ...report.consumerClusters].flatMap((segments) => segments.map((s) => (s.toMs ?? 0) / 1000)),
    1,
  )
  const scale = { domain: [0, end], nice: false, zero: true }
  const lanes = [
    ...report.activeCluster.map((s) => ({
      lane: 'active cluster',
      cluster: s.cluster ?? 'none',
      from: s.fromMs / 1000,
      to: (s.toMs ?? end * 1000) / 1000,
    })),
    ...report.consumerClusters.flatMap((segments, i) =>
      segments.map((s) => ({
        lane: report.consumerClusters.length > 1 ? `consumer ${i} reads` : 'consumer reads',
        cluster: s.cluster ?? 'none',
        from: s.fromMs / 1000,
        to: (s.toMs ?? end * 1000) / 1000,
      })),
    ),
  ]
  const outage =
    report.fault.atMs === null ? [] : [{ from: report.fault.atMs / 1000, to: (report.fault.restoredAtMs ?? end * 1000) / 1000 }]
  const x = { field: 't', type: 'quantitative' as const, title: 'seconds since the service started', scale }
  const used = [...new Set(lanes.map((l) => l.cluster))]
  const laneDomain = [...names.filter((n) => used.includes(n)), ...used.filter((c) => !names.includes(c))]
  // A flow whose side did not answer has no value: a gap in its line, not a zero.
  const flows = report.replicationSeries.flatMap((s) =>
    s.flows.map((f) => ({ t: s.tMs / 1000, flow: f.flow, behind: f.recordsBehind ?? null })),
  )
  const marks = markers(report)
  const title = `kafkajs-dr drill: ${report.fault.action ?? report.fault.kind} — lost ${report.lost}, duplicates ${report.duplicates}`
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- vega-lite's title anchor, taken for String.prototype.anchor
    title: { text: title, anchor: 'start', fontSize: 14 },
    config: { font: 'sans-serif', view: { stroke: null } },
    vconcat: [
      {
        width: WIDTH,
        height: 260,
        layer: [
          {
            data: { values: outage },
            mark: { type: 'rect', color: '#e45756', opacity: 0.08 },
            encoding: { x: { field: 'from', type: 'quantitative', scale }, x2: { field: 'to' } },
          },
          {
            data: { values: rates },
            mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
            encoding: {
              x: { ...x, field: 't' },
              y: { field: 'rate', type: 'quantitative', title: 'records / s' },
              color: {
                field: 'series',
                type: 'nominal',
                title: null,
                scale: { domain: ['sent', 'acknowledged', 'consumed'], range: ['#bab0ac', '#4c78a8', '#54a24b'] },
                legend: { orient: 'top' },
              },
            },
          },
          {
            data: { values: marks },
            mark: { type: 'rule', strokeWidth: 1.5 },
            encoding: {
              x: { field: 't', type: 'quantitative' },
              color: {
                field: 'kind',
                type: 'nominal',
                scale: { domain: ['fault', 'switch', 'restore'], range: ['#e45756', '#72b7b2', '#54a24b'] },
                legend: null,
              },
              strokeDash: {
                field: 'kind',
                type: 'nominal',
                scale: {
                  domain: ['fault', 'switch', 'restore'],
                  range: [
                    [1, 0],
                    [4, 3],
                    [1, 0],
                  ],
                },
                legend: null,
              },
            },
          },
          {
            data: { values: marks.map((m, i) => ({ ...m, row: i % 4 })) },
            mark: { type: 'text', align: 'left', dx: 3, fontSize: 10, baseline: 'top' },
            encoding: {
              x: { field: 't', type: 'quantitative' },
              y: { field: 'row', type: 'quantitative', scale: { domain: [0, 14], reverse: true }, axis: null },
              text: { field: 'label' },
              color: {
                field: 'kind',
                type: 'nominal',
                scale: { domain: ['fault', 'switch', 'restore'], range: ['#e45756', '#3b8c87', '#3a7d3a'] },
                legend: null,
              },
            },
          },
        ],
        resolve: { scale: { y: 'independent', color: 'independent', strokeDash: 'independent' } },
      },
      {
        width: WIDTH,
        height: 22 * (1 + report.consumerClusters.length),
        data: { values: lanes },
        mark: { type: 'rect', height: 16, clip: true },
        encoding: {
          x: { field: 'from', type: 'quantitative', title: null, scale },
          x2: { field: 'to' },
          y: { field: 'lane', type: 'nominal', title: null, sort: null },
          color: {
            field: 'cluster',
            type: 'nominal',
            title: 'cluster',
            scale: {
              domain: laneDomain,
              range: laneDomain.map((c) => (names.includes(c) ? CLUSTER_COLORS[names.indexOf(c) % CLUSTER_COLORS.length]! : '#dddddd')),
            },
            legend: { orient: 'right' },
          },
          tooltip: [{ field: 'cluster' }, { field: 'from' }, { field: 'to' }],
        },
      },
      ...(flows.every((f) => f.behind === null)
        ? []
        : [
            {
              width: WIDTH,
              height: 90,
              title: {
                text: 'replication lag: records on the source not yet in its copy, per flow (a gap: a side did not answer)',
                fontSize: 11,
                anchor: 'start' as const,
              },
              data: { values: flows },
              mark: { type: 'line' as const, interpolate: 'step-after' as const, clip: true, invalid: 'break-paths-show-domains' as const },
              encoding: {
                x: { ...x, title: 'seconds since the service started' },
                y: { field: 'behind', type: 'quantitative' as const, title: 'records' },
                color: { field: 'flow', type: 'nominal' as const, title: 'flow', legend: { orient: 'right' as const } },
              },
            },
          ]),
    ],
    spacing: 12,
    resolve: { scale: { color: 'independent' } },
  }
}

/** Loads a module of the picture's optional peer dependencies. */
export type ChartImporter = (name: 'vega' | 'vega-lite') => Promise<unknown>

/** Renders the report's timeline to an SVG document; rejects, saying what to install, without vega or vega-lite. */
export async function renderChart(report: DrillReport, importer: ChartImporter = (name) => import(name)): Promise<string> {
  let vega: typeof Vega
  let vegaLite: typeof VegaLite
  try {
    ;[vega, vegaLite] = await Promise.all([importer('vega') as Promise<typeof Vega>, importer('vega-lite') as Promise<typeof VegaLite>])
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error
    throw new Error('the picture needs vega and vega-lite, optional peer dependencies of kafkajs-dr: npm install vega vega-lite', {
      cause: error,
    })
  }
  const { spec } = vegaLite.compile(chartSpec(report))
  const view = new vega.View(vega.parse(spec), { renderer: 'none' })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}
