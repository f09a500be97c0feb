/**
 * A consumer's sessions and where delivery goes: the group's session on each cluster (at most
 * one delivering, the others standbys), which cluster delivery belongs on, the start (bridged
 * to the rest of the group while the session's join is held), following the group, standby
 * upkeep and the replacement of crashed sessions. The moves themselves are in `move.ts`.
 *
 * @module
 */
import type { FailoverContext } from '../../cluster/index.js'
import { asKafkaDRError, SessionFencedError } from '../../errors/index.js'
import { causeChain } from '../../errors/cause-chain.js'
import { errorMessage, logger } from '../../util/log.js'
import { delay } from '../../util/timeout.js'
import type { CopyFinder } from '../copies.js'
import type { DeliveryFilter } from '../delivery/delivery-filter.js'
import type { ConsumerSessionCrashedEvent } from '../events.js'
import type { ValidConsumerOptions } from '../options.js'
import type { Positioner } from '../positioning.js'
import type { ProcessedPositions } from '../positions.js'
import type { ConsumerSession } from '../session/consumer-session.js'
import type { InstrumentationListener } from '../session/types.js'
import { CrashBackoff } from './crash-backoff.js'
import type { FormerInstances } from './former-instances.js'
import { type MoveEvents, Moves } from './move.js'
import { type RunSpec, SessionRegistry } from './session-registry.js'

export type { RunSpec } from './session-registry.js'

const log = logger('consumer')

/**
 * How long a starting session may take to join its group before the consumer delivers, for the
 * time being, where the rest of its group delivers (see {@link Switching.start}), in ms. Above
 * Kafka's default `group.initial.rebalance.delay.ms` (3 s), which holds every first join.
 */
const BRIDGE_AFTER_MS = 4000

/** The events of a set of sessions: its moves', and `consumer:session-crashed`. */
export interface SwitchingEvents extends MoveEvents {
  /** `consumer:session-crashed`. */
  sessionCrashed: (event: ConsumerSessionCrashedEvent) => void
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
  /** Where the sessions' moves and crashes are told (the lane's events). */
  events: SwitchingEvents
  /**
   * With `dualRead: 'direct'`, the origin whose records these sessions read: delivery belongs on
   * that cluster while it is up, and on the active cluster (its replica there) while it is not.
   * Undefined: delivery follows the active cluster.
   */
  home?: string
  /** Reads each record's provenance and skips what the consumer does not deliver (shared by every session). */
  filter?: DeliveryFilter
  /** With `instanceId`: the consumer's identity and the members of its former incarnations (shared by every lane). */
  instances?: FormerInstances
}

/** See the module description. */
export class Switching {
  private readonly sessions: SessionRegistry
  private readonly moves: Moves
  private readonly crashes = new CrashBackoff()
  private readonly groupId: string
  /** The cluster this instance delivers on to be with the rest of its group, instead of the chosen one. */
  private following: string | undefined
  /** Bumped by every run: a timer of an earlier run does nothing. */
  private runs = 0

  constructor(private readonly setup: SwitchingSetup) {
    this.groupId = setup.options.groupId
    const { ctx, options, copies, positioner, positionsOn, listeners, isRunning, filter, events, instances } = setup
    this.sessions = new SessionRegistry({
      ctx,
      options,
      positioner,
      positionsOn,
      listeners,
      isRunning,
      filter,
      instances,
      onPositionFailed: (session, error, attempt) => this.moves.positionFailed(session, error, attempt),
      onGaveUp: (session, error, byApplication) => this.replaceCrashed(session.cluster, session, error, byApplication),
    })
    this.moves = new Moves({
      ctx,
      groupId: this.groupId,
      copies,
      positioner,
      sessions: this.sessions,
      isRunning,
      target: () => this.target,
      events,
    })
  }

  // Where delivery goes, from the narrowest to the widest: the session that delivers; the cluster
  // the policy picks (`chosen`); the group's cluster this instance follows instead (`followed`);
  // and the one delivery moves to (`target`: followed, else chosen).

  /** The session that delivers now, if any (it may still be positioning its assignment). */
  get delivering(): ConsumerSession | undefined {
    return this.sessions.delivering
  }

  /** Where delivery belongs when this instance follows nobody: the home cluster while it is up, else the active one. */
  get chosen(): string | undefined {
    const { home, ctx } = this.setup
    return home !== undefined && ctx.healthOf(home) === 'up' ? home : ctx.activeCluster
  }

  /** The cluster this instance follows the rest of its group to (see `group-split.ts`), if any. */
  get followed(): string | undefined {
    return this.following
  }

  /** The cluster delivery belongs on: {@link followed}, else {@link chosen}. */
  get target(): string | undefined {
    return this.following ?? this.chosen
  }

  /** Delivers on `cluster`, with the rest of the group, until {@link unfollow} or a switch. */
  follow(cluster: string): Promise<void> {
    this.following = cluster
    return this.moves.moveTo(cluster, 'switch', [], 'group')
  }

  /** Goes back to the active cluster after a {@link follow}. */
  unfollow(): Promise<void> {
    this.following = undefined
    const active = this.chosen
    if (active === undefined) return Promise.resolve()
    // The follow's move is still waiting for its target's join: cancel it, delivery never left.
    const delivering = this.sessions.delivering
    if (delivering?.cluster === active && delivering.isActive) {
      this.moves.cancel()
      return Promise.resolve()
    }
    return this.moves.moveTo(active, 'switch', [], 'group')
  }

  /**
   * The active cluster changed, or (with a home cluster) the home cluster's health: delivery goes
   * where it now belongs (see {@link chosen}), whatever this instance followed.
   */
  retarget(): Promise<void> {
    this.following = undefined
    const to = this.chosen
    const delivering = this.sessions.delivering
    // Already there: nothing to move.
    if (to === undefined || (delivering?.cluster === to && delivering.isActive && !this.moves.moving)) return Promise.resolve()
    return this.moves.moveTo(to, 'switch')
  }

  /** Every session, standbys included. */
  all(): IterableIterator<ConsumerSession> {
    return this.sessions.byCluster.values()
  }

  /** What every session of the coming run is started with; set before anything can start one. */
  prepare(spec: RunSpec): void {
    this.sessions.prepare(spec)
    this.runs++
    this.crashes.releaseAll()
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
    const session = await this.sessions.start(cluster, await this.setup.copies.physicalTopics(cluster), true, 'start')
    this.sessions.delivering = session
    void session.activate().then(() => log('%s delivers on %s', this.groupId, cluster))
    void this.bridgeUntilJoined(session, this.moves.generation)
  }

  /** See {@link start}. */
  private async bridgeUntilJoined(session: ConsumerSession, generation: number): Promise<void> {
    const started = Date.now()
    const pending = (): boolean =>
      generation === this.moves.generation && this.setup.isRunning() && this.sessions.delivering === session && !session.hasJoined
    while (pending()) {
      await delay(1000)
      if (!pending() || Date.now() - started < BRIDGE_AFTER_MS) continue
      const where = this.setup
        .groupDeliversOn()
        .find((c) => c !== session.cluster && this.setup.ctx.healthOf(c) === 'up' && this.sessions.get(c)?.hasJoined)
      if (where === undefined) continue
      log(
        '%s has not joined on %s after %d ms: delivering on %s with the rest of the group meanwhile',
        this.groupId,
        session.cluster,
        Date.now() - started,
        where,
      )
      void this.follow(where).catch(() => {})
      // Back once the session has joined (a session stopped meanwhile resolves `joined` too: then
      // the split watch decides, as for any follow).
      void session.joined.then(() => {
        if (this.following === where && !session.isStopped) void this.unfollow().catch(() => {})
      })
      return
    }
  }

  /** A cluster went down: its standby session (if any) is stopped; the active one is left to the switch. */
  onClusterDown(cluster: string): void {
    const session = this.sessions.get(cluster)
    if (session && session !== this.sessions.delivering) this.sessions.drop(cluster, session)
  }

  /**
   * Starts a standby session on `cluster` when the consumer runs and has none there (and no
   * crashed session's back-off holds it). Resolves once it has started or was not started; never
   * rejects.
   */
  ensureStandby(cluster: string): Promise<void> {
    if (!this.setup.isRunning() || this.sessions.get(cluster) !== undefined || this.setup.ctx.healthOf(cluster) === 'down')
      return Promise.resolve()
    if (this.crashes.holds(cluster)) return Promise.resolve()
    return this.setup.copies
      .physicalTopics(cluster)
      .then((topics) => {
        if (!this.setup.isRunning() || this.sessions.get(cluster) !== undefined) return
        return this.sessions.start(cluster, topics, false, 'start').then(() => log('%s has a standby on %s', this.groupId, cluster))
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
    this.setup.copies.checkForNew(this.sessions.byCluster, (cluster, session, added) => {
      if (!this.setup.isRunning() || this.sessions.get(cluster) !== session) return
      log('new copies on %s for %s: %s', cluster, this.groupId, added.join(', '))
      if (session === this.sessions.delivering && this.target === cluster) return this.moves.moveTo(cluster, 'new-copies', added)
      if (session.isActive) return
      this.sessions.drop(cluster, session)
      return this.ensureStandby(cluster)
    })
  }

  /**
   * Stops every session at once: none delivers from here on, and each leaves its group within
   * `timeoutMs` (`teardownTimeoutMs` by default) or is left to do so in the background. A move
   * under way gives up.
   */
  async stopAll(timeoutMs = this.setup.options.teardownTimeoutMs): Promise<void> {
    this.moves.cancel()
    this.following = undefined
    await this.sessions.stopAll(timeoutMs)
  }

  /**
   * kafkajs gave up a session's consumer. Left alone, its partitions would stall for good (a
   * delivering session) or a switch would find a dead standby, so it is replaced after a back-off
   * (see {@link CrashBackoff}); a delivering one by a move onto the same cluster, resuming from
   * the group's commit and checkpoints. Not when the application's `retry.restartOnFailure`
   * declined the restart: that session stays stopped.
   */
  private replaceCrashed(cluster: string, session: ConsumerSession, error: unknown, byApplication: boolean): void {
    if (this.sessions.get(cluster) !== session || !this.setup.isRunning()) return
    const wasDelivering = session === this.sessions.delivering
    this.sessions.drop(cluster, session)
    const run = this.runs
    const replace = (): void => {
      this.crashes.release(cluster)
      if (!this.setup.isRunning() || run !== this.runs) return
      // A delivering session comes back by a move (a standby started there meanwhile is taken over).
      if (wasDelivering && this.sessions.delivering === undefined && this.target === cluster)
        void this.moves.moveTo(cluster, 'start', [], 'restart').catch(() => {})
      else void this.ensureStandby(cluster)
    }
    // A fenced eachBatch handler (the session was deactivated mid-batch) ends kafkajs' consumer
    // too: that is no crash, and the session is replaced at once.
    if (!wasDelivering && causeChain(error).some((e) => e instanceof SessionFencedError)) return replace()
    const now = Date.now()
    const restartInMs = this.crashes.crashed(cluster, byApplication, now)
    log(
      'the session of %s on %s crashed (%s); %s',
      this.groupId,
      cluster,
      errorMessage(error),
      restartInMs === undefined ? 'the application declined a restart' : `replaced in ${restartInMs} ms`,
    )
    this.setup.events.sessionCrashed({
      timestamp: now,
      group: this.groupId,
      cluster,
      delivering: wasDelivering,
      restartInMs,
      error: asKafkaDRError(error, `The consumer of '${this.groupId}' on '${cluster}' crashed`, { group: this.groupId, cluster }),
    })
    if (restartInMs !== undefined) void delay(restartInMs).then(replace)
  }
}
