/**
 * Switches of the active cluster, one at a time: a request made while a switch runs waits for it,
 * and only the newest request then runs.
 */
import type { ActiveChange } from '../cluster/index.js'
import { FailoverError } from '../errors/index.js'
import type { ReplicationLagMonitor } from '../replication/lag-monitor.js'
import { errorMessage, logger } from '../util/log.js'
import type { SafeEmitter } from '../util/safe-emitter.js'
import type { ClientContext } from './context.js'
import type { MultiClusterEvents } from './events.js'
import type { SwitchInfo, SwitchKind } from './types.js'

const log = logger('client')

/** What a switch needs of its client: one narrow view instead of the client itself. */
export interface SwitchHost {
  readonly context: ClientContext
  readonly lagMonitor: ReplicationLagMonitor | undefined
  readonly switchTimeoutMs: number
  /** Where `failover:*` events go (the client's emitter). */
  readonly events: Pick<SafeEmitter<MultiClusterEvents>, 'emit'>
}

/** A switch asked for and not begun yet, with whoever waits for its outcome (the participants that moved). */
interface PendingSwitch {
  to: string
  kind: SwitchKind
  reason: string
  waiters: Array<{ resolve: (moved: readonly string[]) => void; reject: (error: unknown) => void }>
}

/** Queues and carries out switches of the active cluster, serially. */
export class SwitchQueue {
  private gen = 0
  private last: SwitchInfo | undefined
  private running: Promise<void> | undefined
  private pending: PendingSwitch | undefined
  /** Per cluster, when a probe last found it healthy: the end of what a switch away from it can lose. */
  private readonly lastHealthyAt = new Map<string, number>()

  constructor(private readonly host: SwitchHost) {}

  /** Increases with every change of the active cluster. */
  get generation(): number {
    return this.gen
  }

  /** The last switch begun (the initial choice is none). */
  get lastSwitch(): SwitchInfo | undefined {
    return this.last
  }

  /** Whether a switch is running. */
  get switching(): boolean {
    return this.running !== undefined
  }

  /** Notes that a probe found `cluster` healthy at `timestamp`. */
  healthyAt(cluster: string, timestamp: number): void {
    this.lastHealthyAt.set(cluster, timestamp)
  }

  /**
   * Queues a switch; a switch in progress finishes first, then the newest request runs. Resolves
   * with the participants that moved; rejects with the switch's {@link FailoverError}, or with one
   * saying so when a request for another cluster replaced this one before it began.
   */
  request(to: string, kind: SwitchKind, reason: string): Promise<readonly string[]> {
    const previous = this.pending
    const waiters = previous?.to === to ? previous.waiters : []
    if (previous !== undefined && previous.to !== to) {
      const error = new FailoverError(`Switch to '${previous.to}' not made: replaced by a switch to '${to}' before it began`, {
        cluster: previous.to,
      })
      for (const w of previous.waiters) w.reject(error)
    }
    const outcome = new Promise<readonly string[]>((resolve, reject) => waiters.push({ resolve, reject }))
    this.pending = { to, kind, reason, waiters }
    this.running ??= this.runPending().finally(() => {
      this.running = undefined
    })
    return outcome
  }

  /** Runs the pending switch, then any asked for meanwhile, until none is left. */
  private async runPending(): Promise<void> {
    while (this.pending) {
      const next = this.pending
      this.pending = undefined
      if (next.to === this.host.context.activeCluster) {
        for (const w of next.waiters) w.resolve([])
        continue
      }
      try {
        const moved = await this.switchTo(next.to, next.kind, next.reason)
        for (const w of next.waiters) w.resolve(moved)
      } catch (error) {
        for (const w of next.waiters) w.reject(error)
      }
    }
  }

  /**
   * How far `to`'s replica of `from` was behind when `from` was last seen healthy, from the flow's
   * newest check (the fresh one a switch starts, once it is done). Undefined when the flow is not
   * watched or was never read.
   */
  private dataAtRisk(from: string, to: string): number | undefined {
    const newest = this.host.lagMonitor?.flow(from, to)?.newestHeartbeat
    if (newest === undefined) return undefined
    const end = this.lastHealthyAt.get(from) ?? Date.now()
    return Math.max(0, end - newest)
  }

  /** Makes `to` active; resolves with the participants that moved, rejects with a {@link FailoverError} naming those that did not. */
  private async switchTo(to: string, kind: SwitchKind, reason: string): Promise<readonly string[]> {
    const from = this.host.context.activeCluster
    const info: SwitchInfo = { timestamp: Date.now(), from, to, kind, reason }
    const initial = from === undefined
    if (!initial) {
      this.last = info
      log('switch %s -> %s (%s): %s', from, to, kind, reason)
      this.host.events.emit('failover:start', info)
    }
    // The flow into the target checked afresh while producers and consumers move. Never waited
    // for: the next switch must not queue behind a read of a cluster that may be slow to answer;
    // if it is not done by the end of the switch, the flow's last sample gives the data at risk.
    if (!initial) void this.host.lagMonitor?.check(from, to).catch(() => undefined)
    this.gen++
    const change: ActiveChange = { from, to }
    const outcomes = await this.host.context.activate(change, this.host.switchTimeoutMs)
    const moved = outcomes.filter((o) => o.result.status === 'fulfilled').map((o) => o.participant)
    const failed = outcomes.flatMap((o) =>
      o.result.status === 'rejected' ? [{ participant: o.participant, error: o.result.reason as unknown }] : [],
    )
    if (initial && failed.length === 0) return moved
    if (failed.length > 0) {
      const detail = failed.map((f) => `${f.participant}: ${errorMessage(f.error)}`).join('; ')
      const error = new FailoverError(`Switch ${from ?? '(none)'} -> ${to}: ${failed.length} participant(s) failed: ${detail}`, {
        cluster: to,
        cause: failed[0]!.error,
        participants: failed,
      })
      log('%s', error.message)
      this.host.events.emit('failover:failed', { ...info, error })
      throw error
    }
    const durationMs = Date.now() - info.timestamp
    const complete = { ...info, durationMs, replicationLagMs: from === undefined ? undefined : this.dataAtRisk(from, to) }
    this.host.events.emit('failover:complete', complete)
    if (kind === 'failback') this.host.events.emit('failback', complete)
    return moved
  }
}
