/**
 * What the user watches while the drill runs. In a terminal: a block of plain ANSI lines redrawn
 * four times a second (active cluster, each cluster's health, rates, lags, the newest events).
 * Anywhere else (a pipe, CI, `--plain`, `--json`): timestamped lines, one per event and a status
 * line every two seconds, which read well in a log.
 */
import type { LedgerCounts } from './ledger.js'
import type { ReplicationSample, TimelineEvent } from './timeline.js'

/** Everything one frame shows. */
export interface ViewState {
  now: number
  phase: string | undefined
  /** When the phase began, ms since epoch. */
  phaseSince: number | undefined
  /** What the drill does, e.g. "kill -9 dc1 after 10 s of load". */
  plan: string
  active: string | undefined
  switching: boolean
  clusters: Array<{ name: string; health: string }>
  /** Where each consumer instance reads. */
  consumerClusters: Array<string | undefined>
  sentPerSecond: number
  acknowledgedPerSecond: number
  consumedPerSecond: number
  counts: LedgerCounts
  sendsInFlight: number
  /** Acknowledged records not consumed yet. */
  consumerLag: number
  replication: ReplicationSample | undefined
}

/** How the view writes: redrawn block (`live`) or timestamped lines (`lines`). */
export type ViewMode = 'live' | 'lines'

const REFRESH_MS = 250
const STATUS_EVERY_MS = 2000
const RECENT_EVENTS = 10

const color =
  (code: number) =>
  (text: string): string =>
    process.env.NO_COLOR ? text : `\x1b[${code}m${text}\x1b[0m`
const red = color(31)
const green = color(32)
const yellow = color(33)
const bold = color(1)
const dim = color(2)

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

function since(startedAt: number, at: number): string {
  return `+${((at - startedAt) / 1000).toFixed(3).padStart(7)}s`
}

function clock(at: number): string {
  return new Date(at).toISOString().slice(11, 23)
}

/** One flow's lag in words: "dc1->dc2 12 records behind, heartbeat 0.9 s old". */
export function describeFlow(flow: ReplicationSample['flows'][number]): string {
  const records = flow.recordsBehind === undefined ? 'records behind: ?' : `${flow.recordsBehind.toLocaleString('en-US')} records behind`
  const heartbeat = flow.heartbeatAgeMs === undefined ? 'heartbeat: ?' : `heartbeat ${seconds(flow.heartbeatAgeMs)} old`
  return `${flow.flow} ${records}, ${heartbeat}`
}

function eventColor(event: TimelineEvent): (text: string) => string {
  if (
    event.type === 'fault' ||
    event.type === 'cluster:down' ||
    event.type === 'failover:failed' ||
    event.type === 'send:rejected' ||
    event.type === 'consumer:move-failed' ||
    event.type === 'consumer:session-crashed'
  )
    return red
  if (event.type === 'failover:complete' || event.type === 'failback' || event.type === 'cluster:up' || event.type === 'restore')
    return green
  if (event.type === 'failover:start' || event.type === 'consumer:moved' || event.type === 'supervisor') return yellow
  return (text) => text
}

/** The live view (or its plain-lines form). */
export class LiveView {
  private readonly recent: TimelineEvent[] = []
  private height = 0
  private timer: NodeJS.Timeout | undefined
  private lastStatusAt = 0
  private state: (() => ViewState) | undefined

  constructor(
    private readonly out: NodeJS.WriteStream | NodeJS.WritableStream,
    readonly mode: ViewMode,
    private readonly startedAt: number,
  ) {}

  /** Starts drawing frames from `state`. */
  start(state: () => ViewState): void {
    this.state = state
    this.timer = setInterval(() => this.tick(), REFRESH_MS)
    this.timer.unref()
    this.tick()
  }

  /** Stops drawing; the last frame stays on screen. */
  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
    if (this.mode === 'live' && this.state !== undefined) this.redraw()
    this.height = 0
    this.state = undefined
  }

  /** An event happened. */
  event(event: TimelineEvent): void {
    if (this.mode === 'lines') {
      this.write(`${clock(event.at)} ${since(this.startedAt, event.at)}  ${event.type.padEnd(24)} ${event.detail}`)
      return
    }
    this.recent.push(event)
    if (this.recent.length > RECENT_EVENTS) this.recent.shift()
    if (this.timer !== undefined) this.redraw()
  }

  /** A message for the user, printed above the live block. */
  log(line: string): void {
    if (this.mode === 'lines') {
      this.write(`${clock(Date.now())} ${line}`)
      return
    }
    this.clearBlock()
    this.out.write(`${line}\n`)
    if (this.timer !== undefined) this.redraw()
  }

  private tick(): void {
    if (this.state === undefined) return
    if (this.mode === 'live') {
      this.redraw()
      return
    }
    const now = Date.now()
    if (now - this.lastStatusAt < STATUS_EVERY_MS) return
    this.lastStatusAt = now
    this.write(`${clock(now)} ${since(this.startedAt, now)}  ${'status'.padEnd(24)} ${this.statusLine(this.state())}`)
  }

  private statusLine(s: ViewState): string {
    const flows = s.replication?.flows.map(describeFlow).join('; ') ?? 'replication: not sampled yet'
    return (
      `${s.phase ?? '-'} | active ${s.active ?? '-'}${s.switching ? ' (switching)' : ''} | ${s.clusters.map((c) => `${c.name} ${c.health}`).join(', ')} | ` +
      `sent ${s.sentPerSecond}/s acked ${s.acknowledgedPerSecond}/s consumed ${s.consumedPerSecond}/s | consumer lag ${s.consumerLag} | ` +
      `acked ${s.counts.acknowledged} consumed ${s.counts.consumed} dup ${s.counts.duplicates} | ${flows}`
    )
  }

  private frame(s: ViewState): string[] {
    const health = (h: string): string => (h === 'up' ? green(h) : h === 'down' ? red(h) : yellow(h))
    const phase = s.phase === undefined ? '' : `${s.phase} ${dim(s.phaseSince === undefined ? '' : `(${seconds(s.now - s.phaseSince)})`)}`
    const lines = [
      `${bold('kafkajs-dr drill')}  ${s.plan}  ${dim(`elapsed ${seconds(s.now - this.startedAt)}`)}`,
      `phase   ${phase}`,
      `active  ${bold(s.active ?? '-')}${s.switching ? yellow(' (switching)') : ''}   clusters: ${s.clusters.map((c) => `${c.name} ${health(c.health)}`).join('  ')}   consumers on: ${s.consumerClusters.map((c) => c ?? '-').join(', ')}`,
      `send    ${String(s.sentPerSecond).padStart(6)} rec/s sent  ${String(s.acknowledgedPerSecond).padStart(6)} rec/s acknowledged   in flight ${s.sendsInFlight} sends   acknowledged ${s.counts.acknowledged.toLocaleString('en-US')}  rejected ${s.counts.rejected}`,
      `consume ${String(s.consumedPerSecond).padStart(6)} rec/s   consumer lag ${s.consumerLag.toLocaleString('en-US')} (acknowledged, not consumed yet)   consumed ${s.counts.consumed.toLocaleString('en-US')}  duplicates ${s.counts.duplicates}`,
      ...(s.replication?.flows.map((f) => `repl    ${describeFlow(f)}`) ?? ['repl    not sampled yet']),
      dim('events'),
      ...this.recent.map((e) => `  ${dim(since(this.startedAt, e.at))}  ${eventColor(e)(e.type.padEnd(24))} ${e.detail}`),
    ]
    return lines
  }

  private redraw(): void {
    if (this.state === undefined) return
    const width = (this.out as NodeJS.WriteStream).columns ?? 120
    // A wrapped line would throw off the cursor arithmetic: cut every line to the width.
    const lines = this.frame(this.state()).map((line) => cut(line, width - 1))
    this.clearBlock()
    this.out.write(`${lines.join('\n')}\n`)
    this.height = lines.length
  }

  private clearBlock(): void {
    if (this.height > 0) this.out.write(`\x1b[${this.height}F\x1b[J`)
    this.height = 0
  }

  private write(line: string): void {
    this.out.write(`${line}\n`)
  }
}

/** Cuts a line with ANSI colours to `width` visible characters. */
function cut(line: string, width: number): string {
  let visible = 0
  let out = ''
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\x1b') {
      const end = line.indexOf('m', i)
      out += line.slice(i, end + 1)
      i = end
      continue
    }
    if (visible >= width) continue
    out += line[i]!
    visible++
  }
  return out
}
