/**
 * A consumer with the kafkajs Consumer API that follows the active cluster: a session (one
 * kafkajs consumer of the group) on every cluster that is up, delivering on the active one and
 * standing by elsewhere, checkpoints of each processed position, and moves between sessions that
 * resume from those checkpoints translated. This module is the façade and the lifecycle;
 * `assembly.ts` wires the parts. How they work together: docs/consumer-design.md.
 */
import type { Consumer } from 'kafkajs'
import { randomBytes } from 'node:crypto'
import { type ActiveChange, type FailoverContext } from '../cluster/index.js'
import { asKafkaDRError, InvalidOptionError, NotConnectedError } from '../errors/index.js'
import { SafeEmitter } from '../util/safe-emitter.js'
import { assembleConsumer } from './assembly.js'
import type { Checkpointing } from './checkpointing.js'
import { offsetsBySession, primaryLane, sessionFor, sessionsDelivering } from './call-routing.js'
import type { DeliveryFilter } from './delivery/delivery-filter.js'
import type { FailoverConsumerEvents } from './events.js'
import type { Lane } from './lane.js'
import { validateConsumerConfig, validateRunConfig, validateSubscription, type ValidConsumerOptions } from './options.js'
import type { ConsumerSession } from './session/consumer-session.js'
import { CONSUMER_EVENTS } from '../cluster/kafkajs-internals.js'
import { addInstrumentationListener } from './session/instrumentation.js'
import type { InstrumentationListener } from './session/types.js'
import type { FailoverConsumerStatus } from './status.js'
import type { FailoverConsumerConfig } from './config.js'
import type { FailoverRunConfig, FailoverSubscribeOptions, FailoverTopicPartitionOffset } from './run-config.js'

/** How often an instance looks for a split of its group, in ms. */
const SPLIT_CHECK_INTERVAL_MS = 1000

/**
 * See the module description. Create with {@link MultiClusterKafka.consumer}.
 *
 * @group Consumer
 */
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
  private readonly listeners: InstrumentationListener[] = []
  /** One lane (its sessions and the moves between them) per origin read directly, or one for all. */
  private readonly lanes: Lane[]
  /** Provenance reading, origin filtering and dedupe, shared by every session; undefined with provenance off. */
  private readonly filter: DeliveryFilter | undefined
  private maintenanceTimer: ReturnType<typeof setInterval> | undefined
  /** This instance's id in its checkpoints: how the group's instances tell one another apart. */
  private readonly instance = randomBytes(6).toString('base64url')
  private splitTimer: ReturnType<typeof setInterval> | undefined
  private subscription: FailoverSubscribeOptions | undefined
  private state: 'new' | 'connected' | 'running' | 'closed' = 'new'
  private closing: Promise<void> | undefined
  private readonly unsubscribe: Array<() => void> = []

  /** @internal Use `MultiClusterKafka.consumer()`. */
  constructor(
    private readonly ctx: FailoverContext,
    config: FailoverConsumerConfig,
  ) {
    this.options = validateConsumerConfig(config, {
      replicationPolicy: ctx.replicationPolicy,
      clusters: ctx.clusters.map((c) => c.name),
      provenance: ctx.provenanceHeader !== undefined,
    })
    this.groupId = this.options.groupId
    this.teardownTimeoutMs = this.options.teardownTimeoutMs
    this.newCopyCheckIntervalMs = this.options.newCopyCheckIntervalMs
    const parts = assembleConsumer({
      ctx,
      options: this.options,
      emitter: this.emitter,
      instance: this.instance,
      listeners: this.listeners,
      logicalTopics: () => this.subscription?.topics ?? [],
      isRunning: () => this.state === 'running',
    })
    this.filter = parts.filter
    this.checkpoints = parts.checkpoints
    this.lanes = parts.lanes
    this.events = CONSUMER_EVENTS
  }

  /**
   * Resolves once an active cluster is known and the checkpoint topic exists there.
   *
   * @throws `NoActiveClusterError` when no cluster is active within the client's `connectTimeoutMs`; `TimeoutError` or
   * `KafkaClientError` (kafkajs' error as `cause`) when the checkpoint topic cannot be prepared.
   */
  async connect(): Promise<void> {
    if (this.state === 'closed') throw new NotConnectedError('FailoverConsumer (disconnected; create a new one)')
    if (this.state !== 'new') return
    let active: string | undefined
    try {
      active = await this.ctx.waitForActive(this.ctx.connectTimeoutMs)
      await this.checkpoints.prepareCluster(active)
    } catch (error) {
      throw asKafkaDRError(error, `Connecting the consumer of '${this.groupId}'${active === undefined ? '' : ` to '${active}'`} failed`, {
        group: this.groupId,
        ...(active === undefined ? {} : { cluster: active }),
      })
    }
    if (this.closing) throw new NotConnectedError('FailoverConsumer (disconnected while connecting)')
    // The other clusters get the topic too (so MM2 sees it everywhere); a down one is retried when it returns.
    for (const c of this.ctx.clusters) if (c.name !== active) void this.checkpoints.prepareCluster(c.name).catch(() => {})
    // Follow every cluster's checkpoints from now on, so that a switch reads them from memory.
    for (const c of this.ctx.clusters) this.checkpoints.viewOf(c.name)
    this.unsubscribe.push(
      this.ctx.addParticipant({ name: `consumer '${this.groupId}'`, onSwitch: (change) => this.onSwitch(change) }),
      this.ctx.onClusterUp((cluster) => {
        for (const lane of this.lanes) lane.onClusterUp(cluster)
      }),
      this.ctx.onClusterDown((cluster) => {
        for (const lane of this.lanes) lane.onClusterDown(cluster)
      }),
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
   * A failed `run()` leaves the consumer able to `run()` again. With `dualRead: 'direct'` every
   * origin starts on its own cluster when that cluster is up, on the active cluster otherwise.
   * Checkpoints follow what kafkajs commits for the group, never more: see
   * {@link FailoverRunConfig.autoCommit}.
   */
  async run(config: FailoverRunConfig = {}): Promise<void> {
    this.assertState('connected', 'run')
    if (!this.subscription) throw new InvalidOptionError('subscribe', 'Call subscribe() before run()')
    validateRunConfig(config)
    this.state = 'running'
    for (const lane of this.lanes) lane.prepare({ subscription: this.subscription, run: config })
    try {
      const active = await this.ctx.waitForActive(this.ctx.connectTimeoutMs)
      await this.checkpoints.prepareCluster(active)
      await Promise.all(this.lanes.map((lane) => lane.start(active)))
    } catch (error) {
      await Promise.all(this.lanes.map((lane) => lane.switching.stopAll()))
      if (this.state === 'running') this.state = 'connected'
      throw asKafkaDRError(error, `Running the consumer of '${this.groupId}' failed`, { group: this.groupId })
    }
    // stop() or disconnect() during the start: its session is already gone (see Switching).
    if (this.state !== 'running')
      throw new NotConnectedError(`FailoverConsumer (${this.state === 'closed' ? 'disconnected' : 'stopped'} while starting to run)`)
    for (const lane of this.lanes) for (const c of this.ctx.clusters) void lane.switching.ensureStandby(c.name)
    const checkCopies = this.newCopyCheckIntervalMs > 0
    this.maintenanceTimer = setInterval(
      () => {
        for (const lane of this.lanes) lane.switching.maintain(checkCopies)
      },
      checkCopies ? this.newCopyCheckIntervalMs : 5000,
    ).unref()
    this.splitTimer = setInterval(() => this.checkSplit(), SPLIT_CHECK_INTERVAL_MS).unref()
  }

  /** Stops consuming on every cluster (the group's members leave); `run()` may be called again. */
  async stop(): Promise<void> {
    if (this.state !== 'running') return
    this.state = 'connected'
    this.stopTimers()
    await Promise.all(this.lanes.map((lane) => lane.switching.stopAll()))
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
      Promise.all(this.lanes.map((lane) => lane.switching.stopAll(this.teardownTimeoutMs))),
      this.checkpoints.close(this.teardownTimeoutMs),
    ])
    this.emitter.emit('consumer:disconnected', {
      timestamp: Date.now(),
      group: this.groupId,
      durationMs: Date.now() - started,
      finalCheckpoint,
    })
  }

  /**
   * Commits offsets of physical topics (as in the payload's `physicalTopic`) to the group on the
   * cluster that delivers them. With `autoCommit: false` these commits are what gets
   * checkpointed. With `dualRead: 'direct'` a physical topic may be read on two clusters at once
   * (`orders` on dc1 and on dc2): give each offset the payload's `cluster` then.
   *
   * @throws `NotConnectedError` when nothing delivers the topic; `InvalidOptionError` when the
   * cluster is needed and missing.
   */
  async commitOffsets(offsets: FailoverTopicPartitionOffset[]): Promise<void> {
    await Promise.all(
      [...offsetsBySession(this.lanes, offsets)].map(([session, list]) =>
        session.commitOffsets(list).catch((error: unknown) => {
          throw asKafkaDRError(error, `Committing offsets of '${this.groupId}' on '${session.cluster}' failed`, {
            group: this.groupId,
            cluster: session.cluster,
          })
        }),
      ),
    )
  }

  /** Seeks a partition of a physical topic where it is delivered (give `cluster` when it is read on two; see {@link FailoverConsumer.commitOffsets}). */
  seek(offset: Parameters<Consumer['seek']>[0] & { cluster?: string }): void {
    const { cluster, ...target } = offset
    const session = sessionFor(this.lanes, target.topic, cluster)
    this.wrapSync(session, 'Seeking', () => session.consumer.seek(target))
  }

  /** Pauses physical topics (partitions) on every cluster that delivers them. Pauses do not survive a switch. */
  pause(...args: Parameters<Consumer['pause']>): void {
    for (const [session, topics] of sessionsDelivering(this.lanes, args[0])) this.wrapSync(session, 'Pausing', () => session.pause(topics))
  }

  /** Resumes paused physical topics (partitions) on every cluster that delivers them. */
  resume(...args: Parameters<Consumer['resume']>): void {
    for (const [session, topics] of sessionsDelivering(this.lanes, args[0]))
      this.wrapSync(session, 'Resuming', () => session.resume(topics))
  }

  /** Describes the group on the cluster the consumer delivers from (see {@link FailoverConsumer.cluster}). */
  describeGroup(): ReturnType<Consumer['describeGroup']> {
    const session = this.primary().switching.delivering
    if (!session?.isActive) return Promise.reject(new NotConnectedError('FailoverConsumer (not running on any cluster right now)'))
    return session.consumer.describeGroup().catch((error: unknown) => {
      throw asKafkaDRError(error, `Describing the group '${this.groupId}' on '${session.cluster}' failed`, {
        group: this.groupId,
        cluster: session.cluster,
      })
    })
  }

  /**
   * The cluster the consumer runs on now: undefined while it is not running, or while its move to
   * the active cluster is failing (and being retried). With `dualRead: 'direct'`, where the
   * records of the active cluster's origin are read (`status().reading` tells every origin's).
   */
  get cluster(): string | undefined {
    return this.primary().cluster
  }

  /** What the consumer is doing: where it delivers, and whether its group is split across clusters. */
  status(): FailoverConsumerStatus {
    const primary = this.primary().status()
    return {
      group: this.groupId,
      instance: this.instance,
      instanceId: this.options.instanceId,
      state: this.state,
      cluster: primary.cluster,
      followingGroupTo: primary.followingGroupTo,
      split: primary.split,
      reading: this.lanes.map((lane) => lane.status()),
      dedupe: this.filter?.status(),
    }
  }

  /**
   * Listens to a kafkajs-dr event (`checkpoint:written`, `offsets:translated`, `consumer:moved`,
   * ...) or a kafkajs instrumentation event (`consumer.group_join`, ...; attached to the session
   * on every cluster, standbys included). Returns the remover.
   */
  on<E extends keyof FailoverConsumerEvents>(event: E, listener: FailoverConsumerEvents[E]): () => void
  on(event: Parameters<Consumer['on']>[0], listener: (event: unknown) => void): () => void
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the overloads above type it for callers
  on(event: string, listener: (event: any) => void): () => void {
    if (event.includes(':')) {
      this.emitter.on(event as keyof FailoverConsumerEvents, listener)
      return () => {
        this.emitter.off(event as keyof FailoverConsumerEvents, listener)
      }
    }
    return addInstrumentationListener(
      this.listeners,
      () => this.lanes.flatMap((lane) => [...lane.switching.all()]),
      event as InstrumentationListener[0],
      listener,
    )
  }

  /** At a switch of the active cluster, delivery moves there (once the consumer runs). */
  private async onSwitch(change: ActiveChange): Promise<void> {
    if (this.state !== 'running' || change.from === undefined) return
    await Promise.all(this.lanes.map((lane) => lane.onActiveChange()))
  }

  /** Looks for a split of each lane across the group (see `group-split.ts`). */
  private checkSplit(): void {
    if (this.state !== 'running') return
    const now = Date.now()
    for (const lane of this.lanes) lane.checkSplit(now)
  }

  private stopTimers(): void {
    clearInterval(this.maintenanceTimer)
    clearInterval(this.splitTimer)
    const now = Date.now()
    for (const lane of this.lanes) lane.clearSplit(now)
  }

  /** See `primaryLane`. */
  private primary(): Lane {
    return primaryLane(this.lanes, this.ctx.activeCluster)
  }

  /** Runs a synchronous kafkajs call on `session`, its error wrapped. */
  private wrapSync(session: ConsumerSession, what: string, call: () => void): void {
    try {
      call()
    } catch (error) {
      throw asKafkaDRError(error, `${what} '${this.groupId}' on '${session.cluster}' failed`, {
        group: this.groupId,
        cluster: session.cluster,
      })
    }
  }

  private assertState(expected: 'connected', what: string): void {
    if (this.state !== expected)
      throw new NotConnectedError(`FailoverConsumer (${what} needs a connected, not yet running consumer; state is ${this.state})`)
  }
}
