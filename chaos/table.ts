/** The chaos run as a terminal table and as the Markdown page docs/chaos.md. */
import type { ChaosRun } from './results.js'

const HEAD = [
  '#',
  'scenario',
  'produced',
  'acked',
  'rejected',
  'consumed',
  'lost',
  'duplicates',
  'switches',
  'recover',
  'unreplicated at fault',
  'result',
] as const

function rows(run: ChaosRun): string[][] {
  const n = (v: number | null): string => (v === null ? '-' : v.toLocaleString('en-US'))
  const ms = (v: number | null): string => (v === null ? '-' : v < 10_000 ? `${v} ms` : `${(v / 1000).toFixed(1)} s`)
  return run.results.map((r) => [
    String(r.id),
    r.title,
    n(r.produced),
    n(r.acknowledged),
    n(r.rejected),
    n(r.consumed),
    n(r.lost),
    n(r.duplicates),
    n(r.switches),
    ms(r.recoverMs),
    n(r.unreplicatedAtFault),
    r.passed ? 'PASS' : `FAIL: ${r.failures.join('; ')}`,
  ])
}

/** The table, one line per scenario, for a terminal. */
export function chaosTable(run: ChaosRun): string[] {
  const body = rows(run)
  const widths = HEAD.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)))
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  return [
    '',
    `Chaos run (${run.form}), Kafka ${run.kafkaVersion}, broker group settings '${run.brokerGroupSettings}', started ${run.startedAt}`,
    line(HEAD),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...body.map(line),
    run.passed ? 'PASS: every scenario met its expectations' : `FAIL: ${run.results.filter((r) => !r.passed).length} scenario(s) failed`,
  ]
}

/** A scenario's settings as `name value` pairs, or the drill's defaults when it changed none. */
function settingsText(settings: ChaosRun['results'][number]['settings']): string {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- the chaos settings are numbers, strings and booleans
  const pairs = Object.entries(settings).map(([k, v]) => `${k} ${String(v)}`)
  return pairs.join(', ') || "the drill's defaults"
}

/** The page docs/chaos.md: the table with its date and settings. */
export function chaosMarkdown(run: ChaosRun): string {
  const body = rows(run)
  const settings = run.results.map((r) => `- ${r.id} (${r.fault}): ${settingsText(r.settings)}; ran ${(r.durationMs / 1000).toFixed(0)} s`)
  return [
    '# Chaos run',
    '',
    `\`npm run chaos${run.form === 'quick' ? ' -- --quick' : ''}\` on ${run.startedAt.slice(0, 10)} (${run.startedAt}): the local bed, Apache Kafka ${run.kafkaVersion} ` +
      `(one KRaft broker per cluster, broker group settings '${run.brokerGroupSettings}'), MirrorMaker 2 both ways, on a 2-core machine.`,
    '',
    'Each scenario is a drill: an example service produces 200 records a second through kafkajs-dr and a consumer group reads them, while the fault happens; ' +
      '"lost" counts acknowledged records never consumed, "recover" is the time from the fault to the first record consumed on the surviving cluster ' +
      '(for the flaps: the longest time without a record consumed), "unreplicated at fault" the records only the failed cluster held when it failed. ' +
      'Scenario 5 (an application killed during a failover) is the integration test `test/integration/app-crash.test.ts`, and 9 (discovery under ' +
      '1,000 randomized fault schedules) the property tests in `test/unit/discovery/discovery.property.test.ts`; both run with `npm test`.',
    '',
    `| ${HEAD.join(' | ')} |`,
    `|${HEAD.map(() => '---').join('|')}|`,
    ...body.map((row) => `| ${row.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`),
    '',
    "Settings per scenario (on top of the drill's defaults: 200 records/s of 256 bytes, 6 partitions, one consumer, the library's default health checks):",
    '',
    ...settings,
    '',
  ].join('\n')
}
