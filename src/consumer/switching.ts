/**
 * A consumer's sessions and the moves between them: the group's session on each cluster (at most
 * one delivering, the others standbys), which session delivers, and how delivery moves when the
 * active cluster changes or new copies appear.
 *
 * A move stops delivery on the old cluster at once (and stops the session there when that
 * cluster is down), then activates the session on the new one: its partitions are positioned by
 * translation and resumed. Nothing on a move's path waits for the cluster being left. A move
 * that fails is retried with capped back-off for as long as its target stays active.
 *
 * @module
 */
import type { FailoverContext } from '../cluster/index.js'
import { removeGroupMembers } from '../cluster/leave-group.js'
import { asKafkaDRError, FailoverError, NotConnectedError, SessionFencedError, type KafkaDRError } from '../errors.js'
import { backoff } from '../util/backoff.js'
import { causeChain } from '../util/cause-chain.js'
import { errorMessage, logger } from '../util/log.js'
import { delay, withTimeout } from '../util/timeout.js'
import { CLUSTER_CALL_TIMEOUT_MS, type CopyFinder, sameTopics } from './copies.js'
import type { ConsumerMovedEvent, ConsumerMoveFailedEvent, ConsumerSessionCrashedEvent } from './events.js'
import type { ValidConsumerOptions } from './options.js'
import type { Positioner, PositionReason } from './positioning.js'
import type { ProcessedPositions } from './positions.js'
import type { DeliveryFilter } from './delivery/delivery-filter.js'
import { ConsumerSession } from './session/consumer-session.js'
import type { InstrumentationListener } from './session/types.js'
import type { FailoverRunConfig, FailoverSubscribeOptions } from './types.js'

const log = logger('consumer')

/** How often a move waiting for its target to come back looks at the target's health, in ms. */
const HEALTH_POLL_MS = 100

/** Back-off between attempts of a move, in ms. */
const MOVE_RETRY = { initialMs: 250, maxMs: 5000 }
/** How long a move away from a healthy cluster waits for the target's standby to join, in ms. */
const JOIN_WAIT_MS = 60_000
/**
 * How long a starting session may take to join its group before the consumer delivers, for the
 * time being, where the rest of its group delivers (see {@link Switching.start}), in ms. Above
 * Kafka's default `group.initial.rebalance.delay.ms` (3 s), which holds every first join.
 */
const BRIDGE_AFTER_MS = 4000
/** Back-off before replacing a session kafkajs gave up, by the count of crashes in a row, in ms. */
const CRASH_BACKOFF = { initialMs: 1000, maxMs: 30_000 }
/** Crashes further apart than this, in ms, start the back-off afresh. */
const CRASH_MEMORY_MS = 60_000

/** What the sessions are run with: fixed at `run()`. */
export interface RunSpec {
  subscription: FailoverSubscribeOptions
  run: FailoverRunConfig
}

/** What {@link Switching} works with. */
export interface SwitchingSetup {
  ctx: FailoverContext
  options: ValidConsumerOptions
  copies: CopyFinder
  positioner: Positioner
  /** Where a session on `cluster` notes what it processed. */
  positionsOn: (cluster: string) => ProcessedPositions
  /** The application's kafkajs instrumentation listeners, attached to every session. */
  listeners: readonly InstrumentationListener[]
  /** Whether the consumer runs (a stopped or disconnected consumer starts and moves nothing). */
  isRunning: () => boolean
  /** The clusters other instances of the group delivered on lately (from their checkpoints). */
  groupDeliversOn: () => readonly string[]
  /** The `consumer:moved` event. */
  onMoved: (event: ConsumerMovedEvent) => void
  /** The `consumer:move-failed` event. */
  onMoveFailed: (event: ConsumerMoveFailedEvent) => void
  /** The `consumer:session-crashed` event. */
  onSessionCrashed: (event: ConsumerSessionCrashedEvent) => void
  /**
   * With `dualRead: 'direct'`, the origin whose records these sessions read: delivery belongs on
   * that cluster while it is up, and on the active cluster (its replica there) while it is not.
   * Undefined: delivery follows the active cluster.
   */
  home?: string
  /** Reads each record's provenance and skips what the consumer does not deliver (shared by every session). */
  filter?: DeliveryFilter
}

/** See the module description. */
export class Switching {
  /** The group's session on each cluster: at most one active, the others standbys. */
  private readonly sessions = new Map<string, ConsumerSession>()
  /** The session that delivers (or is being positioned to). */
  private delivering: ConsumerSession | undefined
  /** Bumped by every move and by {@link stopAll}: an older move gives up. */
  private generation = 0
  /** The move under way: positioning failures of its session are its failures. */
  private currentMove: { session?: ConsumerSession, fail: (error: unknown, attempt: number) => void } | undefined
  private spec: RunSpec | undefined
  private readonly groupId: string
  /** The cluster this instance delivers on to be with the rest of its group, instead of the active one. */
  private following: string | undefined
  /**
   * Member ids of sessions dropped while their cluster was down, per cluster: that cluster keeps
   * them in the group when it comes back (see `removeGroupMembers`), until they are removed.
   */
  private readonly formerMembers = new Map<string, Set<string>>()
  /** Recent crashes of sessions per cluster, for the back-off before replacing one. */
  private readonly crashes = new Map<string, { count: number, last: number }>()
  /**
   * Clusters where no standby may start yet (a crashed session's back-off, until the time given;
   * `Infinity` when the application declined the restart): a paused standby there would hold
   * partitions of the group that other instances could read meanwhile.
   */
  private readonly standbyHeld = new Map<string, number>()
  /** Removals of former members under way, per cluster: every session start there waits for it. */
  private readonly removals = new Map<string, Promise<void>>()
  /** Bumped by every run: a timer of an earlier run does nothing. */
  private runs = 0

  constructor(private readonly setup: SwitchingSetup) {
    this.groupId = setup.options.groupId
  }

  /** The session that delivers now, if any (it may still be positioning its assignment). */
  get current(): ConsumerSession | undefined {
    return this.delivering
  }

  /**
   * The cluster delivery belongs on: the active cluster, unless this instance follows the rest of
   * its group to another one (see `group-split.ts`).
   */
  get target(): string | undefined {
    return this.following ?? this.chosen
  }

  /** Where delivery belongs when this instance follows nobody: the home cluster while it is up, else the active one. */
  get chosen(): string | undefined {
    const { home, ctx } = this.setup
    return home !== undefined && ctx.healthOf(home) === 'up' ? home : ctx.activeCluster
  }

  /** The cluster this instance follows its group to, if any. */
  get followed(): string | undefined {
    return this.following
  }

  /** Delivers on `cluster`, with the rest of the group, until {@link unfollow} or a switch. */
  follow(cluster: string): Promise<void> {
    this.following = cluster
    return this.moveTo(cluster, 'switch', [], 'group')
  }

  /** Goes back to the active cluster after a {@link follow}. */
  unfollow(): Promise<void> {
    this.following = undefined
    const active = this.chosen
    if (active === undefined) return Promise.resolve()
    // The follow's move is still waiting for its target's join: cancel it, delivery never left.
    if (this.delivering?.cluster === active && this.delivering.isActive) {
      this.generation++
      return Promise.resolve()
    }
    return this.moveTo(active, 'switch', [], 'group')
  }

  /**
   * The active cluster changed, or (with a home cluster) the home cluster's health: delivery goes
   * where it now belongs (see {@link chosen}), whatever this instance followed.
   */
  retarget(): Promise<void> {
    this.following = undefined
    const to = this.chosen
    // Already there: nothing to move.
    if (to === undefined || (this.delivering?.cluster === to && this.delivering.isActive && this.currentMove === undefined)) return Promise.resolve()
    return this.moveTo(to, 'switch')
  }

  /** Every session, standbys included. */
  all(): IterableIterator<ConsumerSession> {
    return this.sessions.values()
  }

  /** What every session of the coming run is started with; set before anything can start one. */
  prepare(spec: RunSpec): void {
    this.spec = spec
    this.runs++
    this.standbyHeld.clear()
  }

  /**
   * Starts delivering on `cluster` (the sessions of an earlier run are gone). Resolves once the
   * session has subscribed; it is positioned and resumed at its group join.
   *
   * A cluster that came back after a crash holds every join of the group until the members it
   * remembers time out (kafkajs' `sessionTimeout`, 30 s by default). Meanwhile this instance's
   * standby elsewhere holds partitions of the group paused there, where the rest of the group
   * delivers: a stall of those partitions (a rolling deploy during a failback would stall them
   * all). So when the session has not joined within {@link BRIDGE_AFTER_MS} and other instances
   * deliver on another cluster that is up, where this instance's standby has joined, the consumer
   * follows its group there (as after a split). It moves back to the active cluster once the
   * session has joined, or earlier when the split watch sees no reason to stay (a move away from
   * a healthy cluster waits for the target's join anyway).
   */
  async start(cluster: string): Promise<void> {
    const session = await this.startSession(cluster, await this.setup.copies.physicalTopics(cluster), true, 'start')
    this.delivering = session
    void session.activate().then(() => log('%s delivers on %s', this.groupId, cluster))
    void this.bridgeUntilJoined(session, this.generation)
  }

  /** See {@link start}. */
  private async bridgeUntilJoined(session: ConsumerSession, generation: number): Promise<void> {
    const started = Date.now()
    const pending = (): boolean => generation === this.generation && this.setup.isRunning() && this.delivering === session && !session.hasJoined
    while (pending()) {
      await delay(1000)
      if (!pending() || Date.now() - started < BRIDGE_AFTER_MS) continue
      const where = this.setup.groupDeliversOn().find((c) => c !== session.cluster && this.setup.ctx.healthOf(c) === 'up' && this.sessions.get(c)?.hasJoined)
      if (where === undefined) continue
      log('%s has not joined on %s after %d ms: delivering on %s with the rest of the group meanwhile', this.groupId, session.cluster, Date.now() - started, where)
      void this.follow(where).catch(() => {})
      // Back once the session has joined (a session stopped meanwhile resolves `joined` too: then
      // the split watch decides, as for any follow).
      void session.joined.then(() => {
        if (this.following === where && !session.isStopped) void this.unfollow().catch(() => {})
      })
      return
    }
  }

  /**
   * Moves delivery to `to`. Resolves when the consumer delivers there, or rejects with the first
   * failure (the client reports the switch as failed); attempts go on in the background with
   * capped back-off while `to` stays active, each failure reported by `consumer:move-failed`.
   */
  moveTo(to: string, reason: PositionReason, added: readonly string[] = [], why: ConsumerMovedEvent['reason'] = reason === 'new-copies' ? 'new-copies' : 'switch'): Promise<void> {
    const { ctx } = this.setup
    const generation = ++this.generation
    const started = Date.now()
    const old = this.delivering
    const from = old?.cluster
    const current = (): boolean => generation === this.generation && this.setup.isRunning() && this.target === to
    const oldIsUp = old !== undefined && old.cluster !== to && ctx.healthOf(old.cluster) === 'up'
    const target = this.sessions.get(to)
    // Make before break when the cluster being left is healthy (a failback, an operator's switch):
    // it keeps delivering while the target's standby finishes joining (a cluster that came back
    // waits for the group's dead members to time out first). A dead or hung cluster's session
    // stops at once: nothing here waits for it.
    // The target's checkpoint view is brought up to date meanwhile too (after a cluster's return
    // it is seconds behind), so that the positioning after the break reads memory at once.
    const ready = oldIsUp
      ? (async () => {
          if (target && !target.hasJoined) await this.targetJoined(to, started + JOIN_WAIT_MS, () => generation === this.generation)
          await this.setup.positioner.warm(to)
        })()
      : Promise.resolve()

    return new Promise<void>((resolve, reject) => {
      let settled = false
      const settle = (error?: unknown): void => {
        if (settled) return
        settled = true
        if (error === undefined) resolve()
        else reject(error)
      }
      const fail = (error: unknown, attempt: number): void => {
        const cause = this.moveError(error, to)
        log('moving %s to %s failed (attempt %d): %s', this.groupId, to, attempt, errorMessage(cause))
        this.setup.onMoveFailed({ timestamp: Date.now(), group: this.groupId, to, attempt, error: cause })
        settle(cause)
      }
      const move: { session?: ConsumerSession, fail: typeof fail } = { fail }
      this.currentMove = move
      /** A session this move activated: deactivated again if a newer move supersedes this one before it delivers. */
      let activated: ConsumerSession | undefined
      void (async () => {
        await ready
        if (!current()) return settle()
        if (this.delivering === old) this.delivering = undefined
        old?.deactivate()
        if (old && old.cluster !== to && ctx.healthOf(old.cluster) !== 'up') this.drop(old.cluster, old)
        for (let attempt = 1; current(); attempt++) {
          try {
            // Not on a cluster the probes hold down (every cluster down, or an operator's choice
            // of a dead one): an attempt there only fails, and a session started before the
            // cluster counts as up again would skip the removal of this instance's former members
            // and wait behind them for a session timeout.
            if (ctx.healthOf(to) === 'down') await this.untilNotDown(to, current)
            if (!current()) break
            const topics = await this.setup.copies.physicalTopics(to)
            let session = this.sessions.get(to)
            const via = session && sameTopics(session.topics, topics) ? 'standby' : 'new-session'
            if (!session || via === 'new-session') session = await this.startSession(to, topics, true, reason, added)
            else session.setPurpose(reason, added)
            activated = session
            if (!current()) break
            move.session = session
            this.delivering = session
            await session.activate()
            // kafkajs gave the session up meanwhile: its replacement is the next attempt.
            if (session.isStopped && current()) throw new FailoverError(`the session on '${to}' crashed while it was being positioned`, { cluster: to, group: this.groupId })
            if (!current() || !session.isActive) break
            this.setup.onMoved({ timestamp: Date.now(), group: this.groupId, from, to, reason: why, via, durationMs: Date.now() - started })
            settle()
            return
          } catch (error) {
            if (!current()) break
            fail(error, attempt)
            await delay(backoff(attempt, MOVE_RETRY))
          }
        }
        // Superseded by a newer move, a stop or a disconnect: nothing of this one to report, and
        // nothing of it may deliver beside the session that does now.
        if (activated !== undefined && activated !== this.delivering && activated.isActive) activated.deactivate()
        settle()
      })().finally(() => {
        if (this.currentMove === move) this.currentMove = undefined
      })
    })
  }

  /** Until the probes no longer hold `cluster` down, or `stillWanted` turns false. */
  private async untilNotDown(cluster: string, stillWanted: () => boolean): Promise<void> {
    while (stillWanted() && this.setup.ctx.healthOf(cluster) === 'down') await delay(HEALTH_POLL_MS)
  }

  /**
   * Until the session on `cluster` has joined its group (a crashed one's replacement included),
   * the deadline passes, or `stillWanted` turns false.
   */
  private async targetJoined(cluster: string, deadline: number, stillWanted: () => boolean): Promise<void> {
    while (Date.now() < deadline && stillWanted()) {
      const session = this.sessions.get(cluster)
      if (session?.hasJoined && !session.isStopped) return
      await (session && !session.isStopped ? withTimeout(session.joined, Math.min(1000, deadline - Date.now()), 'standby join').catch(() => {}) : delay(500))
    }
  }

  /** A cluster went down: its standby session (if any) is stopped; the active one is left to the switch. */
  onClusterDown(cluster: string): void {
    const session = this.sessions.get(cluster)
    if (session && session !== this.delivering) this.drop(cluster, session)
  }

  /**
   * Starts a standby session on `cluster` when the consumer runs and has none there (and no
   * crashed session's back-off holds it). Resolves once it has started or was not started; never
   * rejects.
   */
  ensureStandby(cluster: string): Promise<void> {
    if (!this.setup.isRunning() || this.sessions.has(cluster) || this.setup.ctx.healthOf(cluster) === 'down') return Promise.resolve()
    if ((this.standbyHeld.get(cluster) ?? 0) > Date.now()) return Promise.resolve()
    return this.setup.copies.physicalTopics(cluster)
      .then((topics) => {
        if (!this.setup.isRunning() || this.sessions.has(cluster)) return
        return this.startSession(cluster, topics, false, 'start').then(() => log('%s has a standby on %s', this.groupId, cluster))
      })
      .catch((error: unknown) => log('standby of %s on %s: %s (tried again later)', this.groupId, cluster, errorMessage(error)))
  }

  /**
   * Periodic upkeep, never on a switch's path: standbys where they are missing, and, when
   * `checkCopies`, sessions restarted where new physical copies appeared (a replicator creates
   * `dc2.orders` on dc1 only once dc2 has `orders` data).
   */
  maintain(checkCopies: boolean): void {
    if (!this.setup.isRunning()) return
    for (const c of this.setup.ctx.clusters) void this.ensureStandby(c.name)
    if (!checkCopies) return
    this.setup.copies.checkForNew(this.sessions, (cluster, session, added) => {
      if (!this.setup.isRunning() || this.sessions.get(cluster) !== session) return
      log('new copies on %s for %s: %s', cluster, this.groupId, added.join(', '))
      if (session === this.delivering && this.target === cluster) return this.moveTo(cluster, 'new-copies', added)
      if (session.isActive) return
      this.drop(cluster, session)
      return this.ensureStandby(cluster)
    })
  }

  /**
   * Stops every session at once: none delivers from here on, and each leaves its group within
   * `timeoutMs` (`teardownTimeoutMs` by default) or is left to do so in the background. A move
   * under way gives up.
   */
  async stopAll(timeoutMs = this.setup.options.teardownTimeoutMs): Promise<void> {
    this.generation++
    this.delivering = undefined
    this.following = undefined
    this.spec = undefined
    const sessions = [...this.sessions.values()]
    this.sessions.clear()
    await Promise.all(sessions.map((s) => s.stop(timeoutMs)))
  }

  /** Starts a session on `cluster` (replacing the one there), as the active one or a standby. */
  private async startSession(cluster: string, topics: string[], active: boolean, reason: PositionReason, added: readonly string[] = []): Promise<ConsumerSession> {
    const { ctx, options, positioner } = this.setup
    const spec = this.spec
    if (!spec) throw new NotConnectedError('FailoverConsumer (not running)')
    // The members this instance had there before the cluster went down go first, or the new
    // session's join would be held until they time out.
    await this.removeFormerMembers(cluster)
    const session = new ConsumerSession({
      cluster,
      kafka: ctx.connection(cluster).kafka,
      config: options,
      policy: ctx.replicationPolicy,
      positions: this.setup.positionsOn(cluster),
      position: (s, assigned) => positioner.positions(s.cluster, s.topics, assigned, s.reason, s.added),
      onPositionFailed: (error, attempt) => {
        if (this.currentMove?.session === session) this.currentMove.fail(error, attempt)
        else this.setup.onMoveFailed({ timestamp: Date.now(), group: this.groupId, to: cluster, attempt, error: this.moveError(error, cluster) })
      },
      onClusterError: (error) => ctx.reportError(cluster, error),
      onGaveUp: (error, byApplication) => this.replaceCrashed(cluster, session, error, byApplication),
      teardown: (client, timeoutMs) => ctx.connection(cluster).teardown(client, timeoutMs),
      filter: this.setup.filter,
    })
    session.setPurpose(reason, added)
    const previous = this.sessions.get(cluster)
    this.sessions.set(cluster, session)
    if (previous) this.drop(cluster, previous)
    try {
      await withTimeout(session.start(topics, spec.subscription.fromBeginning ?? false, spec.run, this.setup.listeners, active), CLUSTER_CALL_TIMEOUT_MS, `starting the session of '${this.groupId}' on '${cluster}'`, { cluster, group: this.groupId })
    } catch (error) {
      this.drop(cluster, session)
      throw error
    }
    // stop() or disconnect() may have run while this session was starting: it must not outlive them.
    if (!this.setup.isRunning()) this.drop(cluster, session)
    return session
  }

  /**
   * kafkajs gave up a session's consumer. Left alone, its partitions would stall for good (a
   * delivering session) or a switch would find a dead standby, so it is replaced after a back-off
   * (1 s, doubling while crashes repeat, up to 30 s); a delivering one by
   * a move onto the same cluster, resuming from the group's commit and checkpoints. Not when the
   * application's `retry.restartOnFailure` declined the restart: that session stays stopped.
   */
  private replaceCrashed(cluster: string, session: ConsumerSession, error: unknown, byApplication: boolean): void {
    if (this.sessions.get(cluster) !== session || !this.setup.isRunning()) return
    const wasDelivering = session === this.delivering
    this.drop(cluster, session)
    const run = this.runs
    const replace = (): void => {
      this.standbyHeld.delete(cluster)
      if (!this.setup.isRunning() || run !== this.runs) return
      // A delivering session comes back by a move (a standby started there meanwhile is taken over).
      if (wasDelivering && this.delivering === undefined && this.target === cluster) void this.moveTo(cluster, 'start', [], 'restart').catch(() => {})
      else void this.ensureStandby(cluster)
    }
    // A fenced eachBatch handler (the session was deactivated mid-batch) ends kafkajs' consumer
    // too: that is no crash, and the session is replaced at once.
    if (!wasDelivering && causeChain(error).some((e) => e instanceof SessionFencedError)) return replace()
    const now = Date.now()
    const previous = this.crashes.get(cluster)
    const count = previous && now - previous.last < CRASH_MEMORY_MS ? previous.count + 1 : 1
    this.crashes.set(cluster, { count, last: now })
    const restartInMs = byApplication ? undefined : backoff(count, CRASH_BACKOFF)
    this.standbyHeld.set(cluster, restartInMs === undefined ? Infinity : now + restartInMs)
    log('the session of %s on %s crashed (%s); %s', this.groupId, cluster, errorMessage(error), restartInMs === undefined ? 'the application declined a restart' : `replaced in ${restartInMs} ms`)
    this.setup.onSessionCrashed({
      timestamp: now, group: this.groupId, cluster, delivering: wasDelivering, restartInMs,
      error: asKafkaDRError(error, `The consumer of '${this.groupId}' on '${cluster}' crashed`, { group: this.groupId, cluster }),
    })
    if (restartInMs !== undefined) setTimeout(replace, restartInMs).unref()
  }

  /**
   * See {@link formerMembers}: removed before any session starts on `cluster` (one removal at a
   * time per cluster); those the cluster could not remove in time are tried again next time.
   */
  private removeFormerMembers(cluster: string): Promise<void> {
    const under = this.removals.get(cluster)
    if (under) return under
    const former = this.formerMembers.get(cluster)
    if (!former || former.size === 0 || this.setup.ctx.healthOf(cluster) !== 'up') return Promise.resolve()
    const memberIds = [...former]
    const removal = removeGroupMembers(this.setup.ctx.connection(cluster).kafka, this.groupId, memberIds, CLUSTER_CALL_TIMEOUT_MS)
      .then(({ gone, failed }) => {
        for (const id of gone) former.delete(id)
        log('removed %d of %d former members of %s on %s%s', gone.length, memberIds.length, this.groupId, cluster, failed.length > 0 ? ` (${failed.length} kept for next time)` : '')
      })
      .finally(() => this.removals.delete(cluster))
    this.removals.set(cluster, removal)
    return removal
  }

  /** Stops a session in the background (bounded) and forgets it. */
  private drop(cluster: string, session: ConsumerSession): void {
    // Its cluster is down: the member stays there, dead, when the cluster comes back.
    if (this.setup.ctx.healthOf(cluster) !== 'up') this.noteFormerMember(cluster, session.memberId)
    if (this.sessions.get(cluster) === session) this.sessions.delete(cluster)
    if (this.delivering === session) this.delivering = undefined
    // A member that could not leave in time (its cluster hung or died during the stop: a restart
    // for new copies just before a fault) stays in the group there too.
    void session.stop(this.setup.options.teardownTimeoutMs).then((left) => { if (!left) this.noteFormerMember(cluster, session.memberId) })
  }

  /** See {@link formerMembers}. */
  private noteFormerMember(cluster: string, memberId: string | undefined): void {
    if (memberId === undefined) return
    const former = this.formerMembers.get(cluster) ?? new Set<string>()
    this.formerMembers.set(cluster, former.add(memberId))
  }

  /** A move's failure as the `consumer:move-failed` payload carries it. */
  private moveError(error: unknown, to: string): KafkaDRError {
    return asKafkaDRError(error, `Moving the consumer of '${this.groupId}' to '${to}' failed`, { group: this.groupId, cluster: to })
  }
}
