/**
 * A consumer with the kafkajs Consumer API that follows the active cluster. It subscribes to
 * every physical copy of its logical topics there, checkpoints each processed position
 * (cluster, physical topic, partition, next offset, record timestamp) to a compacted topic that
 * the replicator carries to the other clusters, and keeps the group warm everywhere else:
 *
 * - a **standby session** on every other cluster that is up: a member of the group there with
 *   every partition paused (no fetches, no handler calls), so a switch joins no group;
 * - a **checkpoint view** of every cluster: the checkpoint topics followed from `connect()` on,
 *   so a switch reads memory after a catch-up check instead of joining a throw-away group.
 *
 * A switch stops delivery on the old cluster at once (and stops the session there when that
 * cluster is down), then activates the session on the new one: its partitions are positioned by
 * translation (largest lower bound of the translators, the group's own commit there, and this
 * instance's own latest positions) and resumed. Nothing on the switch's path waits for the
 * cluster being left. A move that fails is retried with capped back-off for as long as its
 * target stays active.
 */
import type { Consumer } from 'kafkajs'
import { createRequire } from 'node:module'
import { type ActiveChange, type FailoverContext } from '../cluster/index.js'
import { asKafkaDRError, InvalidOptionError, NotConnectedError, type KafkaDRError } from '../errors.js'
import { errorMessage, logger } from '../util/log.js'
import { SafeEmitter } from '../util/safe-emitter.js'
import { withTimeout } from '../util/timeout.js'
import { expectBoolean, expectObject, expectString } from '../util/validate.js'
import { Checkpointing } from './checkpointing.js'
import { CLUSTER_CALL_TIMEOUT_MS, CopyFinder, sameTopics } from './copies.js'
import type { FailoverConsumerEvents } from './events.js'
import { Positioner, type PositionReason } from './positioning.js'
import { validateConsumerConfig, type ValidConsumerOptions } from './options.js'
import { ConsumerSession, type InstrumentationListener } from './session.js'
import type { FailoverConsumerConfig, FailoverRunConfig, FailoverSubscribeOptions } from './types.js'

const log = logger('consumer')

/**
 * kafkajs' consumer instrumentation event names, as every kafkajs consumer's `events` holds them.
 * kafkajs exports them only from this module of its own (the package has no exports map).
 */
const CONSUMER_EVENTS = (createRequire(import.meta.url)('kafkajs/src/consumer/instrumentationEvents') as { events: Consumer['events'] }).events

/** Upper bound of the back-off between attempts of a move, in ms. */
const MAX_MOVE_RETRY_MS = 5000
/** How long a switch away from a healthy cluster waits for the target's standby to join, in ms. */
const JOIN_WAIT_MS = 60_000

/** See the module description. Create with {@link MultiClusterKafka.consumer}. */
export class FailoverConsumer {
  /** The kafkajs consumer event names (`consumer.events.GROUP_JOIN`, ...). */
  readonly events: Consumer['events']
  /** The consumer group. */
  readonly groupId: string
  /** The validated configuration, defaults applied. */
  private readonly options: ValidConsumerOptions
  private readonly teardownTimeoutMs: number
  private readonly newCopyCheckIntervalMs: number
  private readonly emitter = new SafeEmitter<FailoverConsumerEvents>()
  /** Processed positions, the checkpoint writer and the warm checkpoint views. */
  private readonly checkpoints: Checkpointing
  private readonly positioner: Positioner
  private readonly listeners: InstrumentationListener[] = []
  /** The group's session on each cluster: at most one active, the others standbys. */
  private readonly sessions = new Map<string, ConsumerSession>()
  /** The session that delivers (or is being positioned to). */
  private delivering: ConsumerSession | undefined
  /** Bumped by every move and by stop(): an older move gives up. */
  private moveGeneration = 0
  /** The move under way: positioning failures of its session are its failures. */
  private currentMove: { session?: ConsumerSession, fail: (error: unknown, attempt: number) => void } | undefined
  private readonly copies: CopyFinder
  private maintenanceTimer: ReturnType<typeof setInterval> | undefined
  private subscription: FailoverSubscribeOptions | undefined
  private runConfig: FailoverRunConfig | undefined
  private state: 'new' | 'connected' | 'running' | 'closed' = 'new'
  private readonly unsubscribe: Array<() => void> = []

  /** @internal Use `MultiClusterKafka.consumer()`. */
  constructor(private readonly ctx: FailoverContext, config: FailoverConsumerConfig) {
    this.options = validateConsumerConfig(config, { replicationPolicy: ctx.replicationPolicy })
    this.groupId = this.options.groupId
    this.teardownTimeoutMs = this.options.teardownTimeoutMs
    this.newCopyCheckIntervalMs = this.options.newCopyCheckIntervalMs
    this.copies = new CopyFinder(ctx, this.groupId, () => this.subscription?.topics ?? [])
    this.checkpoints = new Checkpointing({
      ctx,
      options: this.options,
      onWritten: (info) => this.emitter.emit('checkpoint:written', info),
      onFailed: (info) => this.emitter.emit('checkpoint:failed', info),
    })
    this.positioner = new Positioner({
      ctx,
      groupId: this.groupId,
      checkpointTopic: this.checkpoints.topic,
      options: this.options,
      view: (cluster) => this.checkpoints.viewOf(cluster),
      ownPositions: () => this.checkpoints.ownPositions(),
      onTranslated: (result) => {
        this.emitter.emit('offsets:translated', result)
        if (result.undecodableCheckpoints > 0) {
          this.emitter.emit('checkpoints:undecodable', { timestamp: Date.now(), group: this.groupId, cluster: result.targetCluster, count: result.undecodableCheckpoints })
        }
      },
    })
    this.events = CONSUMER_EVENTS
  }

  /**
   * Resolves once an active cluster is known and the checkpoint topic exists there.
   *
   * @throws `NoActiveClusterError` when no cluster is active within 30 s; `TimeoutError` or
   * `KafkaClientError` (kafkajs' error as `cause`) when the checkpoint topic cannot be prepared.
   */
  async connect(): Promise<void> {
    if (this.state === 'closed') throw new NotConnectedError('FailoverConsumer (disconnected; create a new one)')
    if (this.state !== 'new') return
    let active: string | undefined
    try {
      active = await this.ctx.waitForActive(30_000)
      await this.checkpoints.prepareCluster(active)
    } catch (error) {
      throw asKafkaDRError(error, `Connecting the consumer of '${this.groupId}'${active === undefined ? '' : ` to '${active}'`} failed`, { group: this.groupId, ...(active === undefined ? {} : { cluster: active }) })
    }
    // The other clusters get the topic too (so MM2 sees it everywhere); a down one is retried when it returns.
    for (const c of this.ctx.clusters) if (c.name !== active) void this.checkpoints.prepareCluster(c.name).catch(() => {})
    // Follow every cluster's checkpoints from now on, so that a switch reads them from memory.
    for (const c of this.ctx.clusters) this.checkpoints.viewOf(c.name)
    this.unsubscribe.push(
      this.ctx.addParticipant({ onSwitch: (change) => this.onSwitch(change) }),
      this.ctx.onClusterUp((cluster) => this.ensureStandby(cluster)),
      this.ctx.onClusterDown((cluster) => this.onClusterDown(cluster)),
    )
    this.state = 'connected'
  }

  /** Subscribes to logical topics: every physical copy of each on the active cluster is read. */
  async subscribe(subscription: FailoverSubscribeOptions): Promise<void> {
    this.assertState('connected', 'subscribe')
    const s = expectObject(subscription, 'subscribe', ['topics', 'fromBeginning'])
    if (!Array.isArray(s.topics) || s.topics.length === 0) throw new InvalidOptionError('subscribe.topics', 'Expected `subscribe.topics` to be a non-empty list of logical topic names (regular expressions are not supported: names map to physical copies)')
    s.topics.forEach((t, i) => expectString(t, `subscribe.topics[${i}]`))
    const topics = [...new Set([...(this.subscription?.topics ?? []), ...(s.topics as string[])])]
    this.subscription = { topics, fromBeginning: expectBoolean(s.fromBeginning, 'subscribe.fromBeginning', false) }
  }

  /**
   * Starts consuming on the active cluster, and a standby session on every other cluster that is
   * up. Resolves once the active session has subscribed (unlike kafkajs' `run()`, before the group
   * join, which may wait for the group's dead members to time out on a cluster that came back); its
   * partitions are positioned at the join: at the group's checkpoints translated onto the
   * cluster where they are newer than the group's commit there, else where kafkajs would start.
   * A failed `run()` leaves the consumer able to `run()` again.
   *
   * Checkpoints follow what kafkajs commits for the group, never more: with `autoCommit` (the
   * default) the position after each processed record (each resolved offset with `eachBatch`);
   * with `autoCommit: false` only the application's own commits (`commitOffsets()`, and in
   * `eachBatch` `commitOffsetsIfNecessary(offsets)`). A checkpoint is the next offset and the
   * timestamp of the record before it; a commit of records this instance was never delivered
   * leaves the checkpoint where it was. See {@link FailoverRunConfig.autoCommit}.
   */
  async run(config: FailoverRunConfig = {}): Promise<void> {
    this.assertState('connected', 'run')
    if (!this.subscription) throw new InvalidOptionError('subscribe', 'Call subscribe() before run()')
    if (!config.eachMessage === !config.eachBatch) throw new InvalidOptionError('run', 'Expected `run` to have exactly one of `eachMessage` or `eachBatch`')
    this.runConfig = config
    this.state = 'running'
    try {
      const active = await this.ctx.waitForActive(30_000)
      await this.checkpoints.prepareCluster(active)
      const session = await this.startSession(active, await this.physicalTopics(active), true, 'start')
      this.delivering = session
      void session.activate().then(() => log('%s delivers on %s', this.groupId, active))
    } catch (error) {
      await this.stopSessions()
      if (this.state === 'running') this.state = 'connected'
      throw asKafkaDRError(error, `Running the consumer of '${this.groupId}' failed`, { group: this.groupId })
    }
    for (const c of this.ctx.clusters) this.ensureStandby(c.name)
    const maintenanceMs = this.newCopyCheckIntervalMs > 0 ? this.newCopyCheckIntervalMs : 5000
    this.maintenanceTimer = setInterval(() => this.maintain(), maintenanceMs).unref()
  }

  /** Stops consuming on every cluster (the group's members leave); `run()` may be called again. */
  async stop(): Promise<void> {
    if (this.state !== 'running') return
    this.state = 'connected'
    clearInterval(this.maintenanceTimer)
    await this.stopSessions()
  }

  /** Stops consuming (the group leaves every cluster) and closes everything. */
  async disconnect(): Promise<void> {
    if (this.state === 'closed') return
    this.state = 'closed'
    clearInterval(this.maintenanceTimer)
    for (const remove of this.unsubscribe.splice(0)) remove()
    await this.stopSessions()
    await this.checkpoints.close(this.teardownTimeoutMs)
  }

  /**
   * Commits offsets on the active cluster (physical topics, as in the payload's `physicalTopic`).
   * With `autoCommit: false` these commits are what gets checkpointed.
   */
  commitOffsets(...args: Parameters<Consumer['commitOffsets']>): ReturnType<Consumer['commitOffsets']> {
    const session = this.current()
    return session.commitOffsets(...args).catch((error: unknown) => { throw asKafkaDRError(error, `Committing offsets of '${this.groupId}' on '${session.cluster}' failed`, { group: this.groupId, cluster: session.cluster }) })
  }

  /** Seeks a partition of a physical topic on the active cluster. */
  seek(...args: Parameters<Consumer['seek']>): void {
    const session = this.current()
    this.wrapSync(session, 'Seeking', () => session.consumer.seek(...args))
  }

  /** Pauses physical topics (partitions) on the active cluster. Pauses do not survive a switch. */
  pause(...args: Parameters<Consumer['pause']>): void {
    const session = this.current()
    this.wrapSync(session, 'Pausing', () => session.pause(...args))
  }

  /** Resumes paused physical topics (partitions) on the active cluster. */
  resume(...args: Parameters<Consumer['resume']>): void {
    const session = this.current()
    this.wrapSync(session, 'Resuming', () => session.resume(...args))
  }

  /** Describes the group on the active cluster. */
  describeGroup(): ReturnType<Consumer['describeGroup']> {
    const session = this.current()
    return session.consumer.describeGroup().catch((error: unknown) => { throw asKafkaDRError(error, `Describing the group '${this.groupId}' on '${session.cluster}' failed`, { group: this.groupId, cluster: session.cluster }) })
  }

  /**
   * The cluster the consumer runs on now: undefined while it is not running, or while its move to
   * the active cluster is failing (and being retried).
   */
  get cluster(): string | undefined {
    const session = this.delivering
    return session?.isActive && !session.isFailing ? session.cluster : undefined
  }

  /**
   * Listens to a kafkajs-dr event (`checkpoint:written`, `offsets:translated`, `consumer:moved`,
   * ...) or a kafkajs instrumentation event (`consumer.group_join`, ...; attached to the session
   * on every cluster, standbys included). Returns the remover.
   */
  on<E extends keyof FailoverConsumerEvents>(event: E, listener: FailoverConsumerEvents[E]): () => void
  on(event: Parameters<Consumer['on']>[0], listener: (event: unknown) => void): () => void
  on(event: string, listener: (event: any) => void): () => void {
    if (event.includes(':')) {
      this.emitter.on(event as keyof FailoverConsumerEvents, listener)
      return () => { this.emitter.off(event as keyof FailoverConsumerEvents, listener) }
    }
    const entry: InstrumentationListener = [event as InstrumentationListener[0], listener]
    this.listeners.push(entry)
    const removers = [...this.sessions.values()].map((s) => s.consumer.on(entry[0], listener))
    return () => {
      this.listeners.splice(this.listeners.indexOf(entry), 1)
      for (const remove of removers) remove()
    }
  }

  // ---- switching ----------------------------------------------------------------------------

  private onSwitch(change: ActiveChange): Promise<void> {
    if (this.state !== 'running' || change.from === undefined) return Promise.resolve()
    return this.moveTo(change.to, 'switch')
  }

  /**
   * Moves delivery to `to`. Resolves when the consumer delivers there, or rejects with the first
   * failure (the client reports the switch as failed); attempts go on in the background with
   * capped back-off while `to` stays active, each failure reported by `consumer:move-failed`.
   */
  private moveTo(to: string, reason: PositionReason, added: readonly string[] = []): Promise<void> {
    const generation = ++this.moveGeneration
    const started = Date.now()
    const old = this.delivering
    const from = old?.cluster
    const current = (): boolean => generation === this.moveGeneration && this.state === 'running' && this.ctx.activeCluster === to
    const oldIsUp = old !== undefined && old.cluster !== to && this.ctx.healthOf(old.cluster) === 'up'
    const target = this.sessions.get(to)
    // Make before break when the cluster being left is healthy (a failback, an operator's switch):
    // it keeps delivering while the target's standby finishes joining (a cluster that came back
    // waits for the group's dead members to time out first). A dead or hung cluster's session
    // stops at once: nothing here waits for it.
    const ready = oldIsUp && target && !target.hasJoined ? withTimeout(target.joined, JOIN_WAIT_MS, 'standby join').catch(() => {}) : Promise.resolve()

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
        this.emitter.emit('consumer:move-failed', { timestamp: Date.now(), group: this.groupId, to, attempt, error: cause })
        settle(cause)
      }
      const move: { session?: ConsumerSession, fail: typeof fail } = { fail }
      this.currentMove = move
      void (async () => {
        await ready
        if (!current()) return settle()
        if (this.delivering === old) this.delivering = undefined
        old?.deactivate()
        if (old && old.cluster !== to && this.ctx.healthOf(old.cluster) !== 'up') this.dropSession(old.cluster, old)
        for (let attempt = 1; current(); attempt++) {
          try {
            const topics = await this.physicalTopics(to)
            let session = this.sessions.get(to)
            const via = session && sameTopics(session.topics, topics) ? 'standby' : 'new-session'
            if (!session || via === 'new-session') session = await this.startSession(to, topics, true, reason, added)
            else session.setPurpose(reason, added)
            if (!current()) break
            move.session = session
            this.delivering = session
            await session.activate()
            if (!current() || !session.isActive) break
            this.emitter.emit('consumer:moved', { timestamp: Date.now(), group: this.groupId, from, to, reason: reason === 'new-copies' ? 'new-copies' : 'switch', via, durationMs: Date.now() - started })
            settle()
            return
          } catch (error) {
            if (!current()) break
            fail(error, attempt)
            await new Promise((r) => setTimeout(r, Math.min(MAX_MOVE_RETRY_MS, 250 * 2 ** Math.min(attempt - 1, 5))).unref())
          }
        }
        // Superseded by a newer move, a stop or a disconnect: nothing of this one to report.
        settle()
      })().finally(() => {
        if (this.currentMove === move) this.currentMove = undefined
      })
    })
  }

  /** A cluster went down: its standby session (if any) is stopped; the active one is left to the switch. */
  private onClusterDown(cluster: string): void {
    const session = this.sessions.get(cluster)
    if (session && session !== this.delivering) this.dropSession(cluster, session)
  }

  /** Starts a standby session on `cluster` when the consumer runs and has none there. */
  private ensureStandby(cluster: string): void {
    if (this.state !== 'running' || this.sessions.has(cluster) || this.ctx.healthOf(cluster) === 'down') return
    void this.physicalTopics(cluster)
      .then((topics) => {
        if (this.state !== 'running' || this.sessions.has(cluster)) return
        return this.startSession(cluster, topics, false, 'start').then(() => log('%s has a standby on %s', this.groupId, cluster))
      })
      .catch((error: unknown) => log('standby of %s on %s: %s (tried again later)', this.groupId, cluster, errorMessage(error)))
  }

  /**
   * Periodic upkeep, never on a switch's path: standbys where they are missing, and sessions
   * restarted where new physical copies appeared (a replicator creates `dc2.orders` on dc1 only
   * once dc2 has `orders` data). A check that hangs on a sick cluster only delays the next check
   * of that cluster.
   */
  private maintain(): void {
    if (this.state !== 'running') return
    for (const c of this.ctx.clusters) this.ensureStandby(c.name)
    if (this.newCopyCheckIntervalMs === 0) return
    this.copies.checkForNew(this.sessions, (cluster, session, added) => {
      if (this.state !== 'running' || this.sessions.get(cluster) !== session) return
      log('new copies on %s for %s: %s', cluster, this.groupId, added.join(', '))
      if (session === this.delivering && this.ctx.activeCluster === cluster) return this.moveTo(cluster, 'new-copies', added)
      if (session.isActive) return
      this.dropSession(cluster, session)
      this.ensureStandby(cluster)
    })
  }

  /** Starts a session on `cluster` (replacing the one there), as the active one or a standby. */
  private async startSession(cluster: string, topics: string[], active: boolean, reason: PositionReason, added: readonly string[] = []): Promise<ConsumerSession> {
    const session = new ConsumerSession({
      cluster,
      kafka: this.ctx.connection(cluster).kafka,
      config: this.options,
      policy: this.ctx.replicationPolicy,
      positions: this.checkpoints.positionsOn(cluster),
      position: (s, assigned) => this.positioner.positions(s.cluster, s.topics, assigned, s.reason, s.added),
      onPositionFailed: (error, attempt) => {
        if (this.currentMove?.session === session) this.currentMove.fail(error, attempt)
        else this.emitter.emit('consumer:move-failed', { timestamp: Date.now(), group: this.groupId, to: cluster, attempt, error: this.moveError(error, cluster) })
      },
      onClusterError: (error) => this.ctx.reportError(cluster, error),
    })
    session.setPurpose(reason, added)
    const previous = this.sessions.get(cluster)
    this.sessions.set(cluster, session)
    if (previous) this.dropSession(cluster, previous)
    try {
      await withTimeout(session.start(topics, this.subscription!.fromBeginning ?? false, this.runConfig!, this.listeners, active), CLUSTER_CALL_TIMEOUT_MS, `starting the session of '${this.groupId}' on '${cluster}'`, { cluster, group: this.groupId })
    } catch (error) {
      this.dropSession(cluster, session)
      throw error
    }
    // stop() or disconnect() may have run while this session was starting: it must not outlive them.
    if (this.state !== 'running') this.dropSession(cluster, session)
    return session
  }

  /** Stops a session in the background (bounded) and forgets it. */
  private dropSession(cluster: string, session: ConsumerSession): void {
    if (this.sessions.get(cluster) === session) this.sessions.delete(cluster)
    if (this.delivering === session) this.delivering = undefined
    void session.stop(this.teardownTimeoutMs)
  }

  /** Stops every session at once, each bounded by `teardownTimeoutMs`. */
  private async stopSessions(): Promise<void> {
    this.moveGeneration++
    this.delivering = undefined
    const sessions = [...this.sessions.values()]
    this.sessions.clear()
    await Promise.all(sessions.map((s) => s.stop(this.teardownTimeoutMs)))
  }

  /** The physical copies of the subscribed logical topics on `cluster` (see {@link CopyFinder.physicalTopics}). */
  private physicalTopics(cluster: string): Promise<string[]> {
    return this.copies.physicalTopics(cluster)
  }

  /** A move's failure as the `consumer:move-failed` payload carries it. */
  private moveError(error: unknown, to: string): KafkaDRError {
    return asKafkaDRError(error, `Moving the consumer of '${this.groupId}' to '${to}' failed`, { group: this.groupId, cluster: to })
  }

  /** Runs a synchronous kafkajs call on `session`, its error wrapped. */
  private wrapSync(session: ConsumerSession, what: string, call: () => void): void {
    try {
      call()
    } catch (error) {
      throw asKafkaDRError(error, `${what} '${this.groupId}' on '${session.cluster}' failed`, { group: this.groupId, cluster: session.cluster })
    }
  }

  private current(): ConsumerSession {
    const session = this.delivering
    if (!session?.isActive) throw new NotConnectedError('FailoverConsumer (not running on any cluster right now)')
    return session
  }

  private assertState(expected: 'connected', what: string): void {
    if (this.state !== expected) throw new NotConnectedError(`FailoverConsumer (${what} needs a connected, not yet running consumer; state is ${this.state})`)
  }
}

