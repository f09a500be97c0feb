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
 *
 * This module is the kafkajs-style façade and the lifecycle; the sessions and the moves between
 * them are in `switching.ts`, the checkpoints in `checkpointing.ts`, the physical copies in
 * `copies.ts`, where a switch starts reading in `positioning.ts`.
 */
import type { Consumer } from 'kafkajs'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { type ActiveChange, type FailoverContext } from '../cluster/index.js'
import { asKafkaDRError, InvalidOptionError, NotConnectedError } from '../errors.js'
import { SafeEmitter } from '../util/safe-emitter.js'
import { Checkpointing } from './checkpointing.js'
import { CopyFinder } from './copies.js'
import type { FailoverConsumerEvents } from './events.js'
import { SplitWatch, type GroupSplit } from './group-split.js'
import { Positioner } from './positioning.js'
import { validateConsumerConfig, validateRunConfig, validateSubscription, type ValidConsumerOptions } from './options.js'
import type { ConsumerSession, InstrumentationListener } from './session.js'
import { Switching } from './switching.js'
import type { FailoverConsumerConfig, FailoverRunConfig, FailoverSubscribeOptions } from './types.js'

/**
 * kafkajs' consumer instrumentation event names, as every kafkajs consumer's `events` holds them.
 * kafkajs exports them only from this module of its own (the package has no exports map).
 */
const CONSUMER_EVENTS = (createRequire(import.meta.url)('kafkajs/src/consumer/instrumentationEvents') as { events: Consumer['events'] }).events

/** How often an instance looks for a split of its group, in ms. */
const SPLIT_CHECK_INTERVAL_MS = 1000

/** A snapshot of a {@link FailoverConsumer}, from {@link FailoverConsumer.status}. */
export interface FailoverConsumerStatus {
  /** Consumer group. */
  group: string
  /** This instance's id, as its checkpoints name their writer. */
  instance: string
  /** `new` before `connect()`, `connected`, `running` after `run()`, `closed` after `disconnect()`. */
  state: 'new' | 'connected' | 'running' | 'closed'
  /** The cluster the consumer delivers from now (see {@link FailoverConsumer.cluster}). */
  cluster: string | undefined
  /**
   * The cluster this instance delivers on (or is moving to) to be with the rest of its group,
   * instead of the active cluster: after a split (see `GroupSplitOptions`), or at a start whose
   * group join is held (see `consumer:moved` with `reason: 'group'`); undefined otherwise.
   */
  followingGroupTo: string | undefined
  /** The group's split across clusters as this instance sees it, if any. */
  split: GroupSplit | undefined
}

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
  /** The sessions on every cluster and the moves between them. */
  private readonly switching: Switching
  private maintenanceTimer: ReturnType<typeof setInterval> | undefined
  /** This instance's id in its checkpoints: how the group's instances tell one another apart. */
  private readonly instance = randomBytes(6).toString('base64url')
  private readonly splitWatch: SplitWatch
  private splitTimer: ReturnType<typeof setInterval> | undefined
  private subscription: FailoverSubscribeOptions | undefined
  private state: 'new' | 'connected' | 'running' | 'closed' = 'new'
  private closing: Promise<void> | undefined
  private readonly unsubscribe: Array<() => void> = []

  /** @internal Use `MultiClusterKafka.consumer()`. */
  constructor(private readonly ctx: FailoverContext, config: FailoverConsumerConfig) {
    this.options = validateConsumerConfig(config, { replicationPolicy: ctx.replicationPolicy })
    this.groupId = this.options.groupId
    this.teardownTimeoutMs = this.options.teardownTimeoutMs
    this.newCopyCheckIntervalMs = this.options.newCopyCheckIntervalMs
    this.checkpoints = new Checkpointing({
      ctx,
      options: this.options,
      onWritten: (info) => this.emitter.emit('checkpoint:written', info),
      onFailed: (info) => this.emitter.emit('checkpoint:failed', info),
      writer: () => {
        const deliveringOn = this.cluster
        const chose = this.ctx.activeCluster
        return deliveringOn === undefined || chose === undefined ? undefined : { instance: this.instance, deliveringOn, chose }
      },
      deliveringTo: () => [this.switching.target, this.switching.current?.cluster],
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
    this.switching = new Switching({
      ctx,
      options: this.options,
      copies: new CopyFinder(ctx, this.groupId, () => this.subscription?.topics ?? []),
      positioner: this.positioner,
      positionsOn: (cluster) => this.checkpoints.positionsOn(cluster),
      listeners: this.listeners,
      isRunning: () => this.state === 'running',
      groupDeliversOn: () => this.splitWatch.othersDeliverOn,
      onMoved: (event) => this.emitter.emit('consumer:moved', event),
      onMoveFailed: (event) => this.emitter.emit('consumer:move-failed', event),
      onSessionCrashed: (event) => this.emitter.emit('consumer:session-crashed', event),
    })
    this.splitWatch = this.createSplitWatch()
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
    if (this.closing) throw new NotConnectedError('FailoverConsumer (disconnected while connecting)')
    // The other clusters get the topic too (so MM2 sees it everywhere); a down one is retried when it returns.
    for (const c of this.ctx.clusters) if (c.name !== active) void this.checkpoints.prepareCluster(c.name).catch(() => {})
    // Follow every cluster's checkpoints from now on, so that a switch reads them from memory.
    for (const c of this.ctx.clusters) this.checkpoints.viewOf(c.name)
    this.unsubscribe.push(
      this.ctx.addParticipant({ onSwitch: (change) => this.onSwitch(change) }),
      this.ctx.onClusterUp((cluster) => this.switching.ensureStandby(cluster)),
      this.ctx.onClusterDown((cluster) => this.switching.onClusterDown(cluster)),
    )
    this.state = 'connected'
  }

  /** Subscribes to logical topics: every physical copy of each on the active cluster is read. */
  async subscribe(subscription: FailoverSubscribeOptions): Promise<void> {
    this.assertState('connected', 'subscribe')
    this.subscription = validateSubscription(subscription, this.subscription)
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
    validateRunConfig(config)
    this.state = 'running'
    this.switching.prepare({ subscription: this.subscription, run: config })
    try {
      const active = await this.ctx.waitForActive(30_000)
      await this.checkpoints.prepareCluster(active)
      await this.switching.start(active)
    } catch (error) {
      await this.switching.stopAll()
      if (this.state === 'running') this.state = 'connected'
      throw asKafkaDRError(error, `Running the consumer of '${this.groupId}' failed`, { group: this.groupId })
    }
    // stop() or disconnect() during the start: its session is already gone (see Switching).
    if (this.state !== 'running') throw new NotConnectedError(`FailoverConsumer (${this.state === 'closed' ? 'disconnected' : 'stopped'} while starting to run)`)
    for (const c of this.ctx.clusters) this.switching.ensureStandby(c.name)
    const checkCopies = this.newCopyCheckIntervalMs > 0
    this.maintenanceTimer = setInterval(() => this.switching.maintain(checkCopies), checkCopies ? this.newCopyCheckIntervalMs : 5000).unref()
    this.splitTimer = setInterval(() => this.checkSplit(), SPLIT_CHECK_INTERVAL_MS).unref()
  }

  /** Stops consuming on every cluster (the group's members leave); `run()` may be called again. */
  async stop(): Promise<void> {
    if (this.state !== 'running') return
    this.state = 'connected'
    this.stopTimers()
    await this.switching.stopAll()
  }

  /**
   * Stops consuming and closes everything, within `teardownTimeoutMs` in all whatever state the
   * clusters are in: delivery stops at once on every cluster, then the group's members leave,
   * the last positions are checkpointed and the clients close, all at the same time, each given
   * up (and left to finish in the background) at the bound. `consumer:disconnected` tells how it
   * went. A second call, or one made while connecting, resolves with the first.
   */
  disconnect(): Promise<void> {
    this.closing ??= this.close()
    return this.closing
  }

  private async close(): Promise<void> {
    const started = Date.now()
    this.state = 'closed'
    this.stopTimers()
    for (const remove of this.unsubscribe.splice(0)) remove()
    // stopAll() fences every session synchronously, before the checkpoints collect the last positions.
    const [, finalCheckpoint] = await Promise.all([
      this.switching.stopAll(this.teardownTimeoutMs),
      this.checkpoints.close(this.teardownTimeoutMs),
    ])
    this.emitter.emit('consumer:disconnected', { timestamp: Date.now(), group: this.groupId, durationMs: Date.now() - started, finalCheckpoint })
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
    const session = this.switching.current
    return session?.isActive && !session.isFailing ? session.cluster : undefined
  }

  /** What the consumer is doing: where it delivers, and whether its group is split across clusters. */
  status(): FailoverConsumerStatus {
    return { group: this.groupId, instance: this.instance, state: this.state, cluster: this.cluster, followingGroupTo: this.switching.followed, split: this.splitWatch.current }
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
    const removers = [...this.switching.all()].map((s) => s.consumer.on(entry[0], listener))
    return () => {
      this.listeners.splice(this.listeners.indexOf(entry), 1)
      for (const remove of removers) remove()
    }
  }

  /** At a switch of the active cluster, delivery moves there (once the consumer runs). */
  private onSwitch(change: ActiveChange): Promise<void> {
    if (this.state !== 'running' || change.from === undefined) return Promise.resolve()
    this.splitWatch.forgetFollow()
    return this.switching.onActiveChange(change.to)
  }

  private createSplitWatch(): SplitWatch {
    const { groupSplit, checkpoint } = this.options
    // Cluster priority, then name: the same order on every instance (`local` differs between them).
    const order = [...this.ctx.clusters].sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name)).map((c) => c.name)
    return new SplitWatch({
      instance: this.instance,
      yieldAfterMs: groupSplit.yield ? groupSplit.yieldAfterMs : undefined,
      // A writer with steady traffic writes every checkpoint interval; a few missed ones are not a departure.
      freshMs: Math.max(5000, 5 * checkpoint.intervalMs),
      rank: (cluster) => order.indexOf(cluster),
      isUp: (cluster) => this.ctx.healthOf(cluster) === 'up',
      onSplit: (split) => this.emitter.emit('consumer:split', { timestamp: split.since, group: this.groupId, ...split }),
      onSplitEnded: (split, now, cluster) => this.emitter.emit('consumer:split-ended', { timestamp: now, group: this.groupId, since: split.since, durationMs: now - split.since, cluster }),
    })
  }

  /** Looks for a split of the group (see `group-split.ts`) and follows the group or comes back when the watch says so. */
  private checkSplit(): void {
    if (this.state !== 'running') return
    const now = Date.now()
    const since = now - 60_000
    const writers = this.ctx.clusters.flatMap((c) => this.checkpoints.viewOf(c.name).writersSince(this.groupId, since))
    // A session that has not joined its group delivers nothing yet: it is not a side of a split.
    const session = this.switching.current
    const delivering = session?.hasJoined ? this.cluster : undefined
    const decision = this.splitWatch.tick({ now, delivering, chosen: this.ctx.activeCluster, following: this.switching.followed, writers })
    if (decision === undefined) return
    // A failed move is reported by consumer:move-failed and retried by the move itself.
    if ('follow' in decision) void this.switching.follow(decision.follow).catch(() => {})
    else void this.switching.unfollow().catch(() => {})
  }

  private stopTimers(): void {
    clearInterval(this.maintenanceTimer)
    clearInterval(this.splitTimer)
    this.splitWatch.clear(Date.now())
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
    const session = this.switching.current
    if (!session?.isActive) throw new NotConnectedError('FailoverConsumer (not running on any cluster right now)')
    return session
  }

  private assertState(expected: 'connected', what: string): void {
    if (this.state !== expected) throw new NotConnectedError(`FailoverConsumer (${what} needs a connected, not yet running consumer; state is ${this.state})`)
  }
}

