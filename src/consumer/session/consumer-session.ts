/**
 * One consumer session: the kafkajs consumer of the group on one cluster, a long-lived member of
 * the group there. A session is either
 *
 * - a **standby**: every partition it is assigned stays paused, so it fetches nothing and calls
 *   no handler, but it keeps the group's membership on its cluster warm (kafkajs still heartbeats
 *   while everything is paused). A switch to its cluster then needs no group join, which a broker
 *   with Kafka's default `group.initial.rebalance.delay.ms` would hold for 3 s; or
 * - **active**: every assignment it receives (at the switch, and at every later rebalance) is
 *   paused, positioned by the consumer's translation (seeks), and only then resumed.
 *
 * Deactivating a session makes it a standby again; stopping it ends it. After either, no handler
 * call comes from it, even when its cluster wakes up from a hang and kafkajs carries on.
 */
import type { Consumer, TopicPartitionOffsetAndMetadata } from 'kafkajs'
import { disconnectQuietly, subscribeWhenKnown } from '../../cluster/index.js'
import { TimeoutError } from '../../errors/index.js'
import { errorMessage, logger } from '../../util/log.js'
import { delay } from '../../util/timeout.js'
import { wrapEachBatch } from '../delivery/each-batch.js'
import { eachMessageOverBatches } from '../delivery/each-message.js'
import type { CopyCatchUp } from '../delivery/copy-catch-up.js'
import type { DeliveringSession } from '../delivery/types.js'
import type { DeliveryFilter } from '../delivery/delivery-filter.js'
import type { PositionReason } from '../positioning.js'
import type { ProcessedPositions } from '../positions.js'
import type { FailoverRunConfig } from '../run-config.js'
import { Assignment, POSITION_RETRY } from './assignment.js'
import { createKafkajsConsumer } from './kafkajs-consumer.js'
import type { InstrumentationListener, SessionSetup } from './types.js'
import { UserPauses } from './user-pauses.js'

const log = logger('consumer')

/**
 * How long a fresh run's join waits for its start offsets, in ms: about what a join without
 * them loses (kafkajs' idle fetch sleep of 500 ms after the resume of a paused assignment).
 */
const START_OFFSETS_WAIT_MS = 500

/** See the module description. */
export class ConsumerSession implements DeliveringSession {
  readonly consumer: Consumer
  readonly cluster: string
  /** The physical topics this session subscribed to. */
  topics: readonly string[] = []
  /** Why the session's assignments are positioned (see {@link setPurpose}). */
  reason: PositionReason = 'start'
  /** Copies that are new to the group on this cluster (positioned at their start without a checkpoint). */
  added: readonly string[] = []
  /** Stopped for good: fenced, disconnecting or disconnected. */
  private stopped = false
  /** kafkajs' run() was called: the consumer joins (or has joined) the group. */
  private running = false
  /** Aborted by {@link stop}: ends the subscription's retries, which would reconnect a stopped consumer. */
  private readonly stopping = new AbortController()
  /** This session's member id in its group, from its last join (kafkajs' `GROUP_JOIN`). */
  memberId: string | undefined
  /** kafkajs gave up this session's consumer (see `SessionOwner.gaveUp`). */
  private gaveUp = false
  /** The application's `restartOnFailure` declined the last restart. */
  private declinedByApplication = false
  /** Delivering records to the handler (active, assignment positioned). */
  private active = false
  /** The latest assignment and where it starts. */
  private readonly assignment: Assignment
  /** Resolves at the first group join. */
  readonly joined: Promise<void>
  /** Whether the session has joined its group at least once. */
  hasJoined = false
  private markJoined!: () => void
  /** What the application paused. */
  private readonly userPauses = new UserPauses()
  /** `autoCommit: false`: checkpoints follow the application's commits, not the processed records. */
  manualCommits = false
  /** Logical topic and origin per physical topic: parsed once, not per record. */
  private readonly sources = new Map<string, { topic: string; originCluster: string }>()
  /** The application's instrumentation listeners attached to this session's consumer, with kafkajs' remover of each. */
  private readonly attached = new Map<InstrumentationListener, () => void>()

  constructor(private readonly setup: SessionSetup) {
    this.cluster = setup.cluster
    this.consumer = createKafkajsConsumer(
      setup.kafka,
      setup.config.kafkajs,
      {
        isStopped: () => this.stopped,
        onRestartDecided: (restart) => {
          this.declinedByApplication = !restart
        },
      },
      setup.identity,
    )
    this.assignment = new Assignment(
      {
        consumer: this.consumer,
        cluster: this.cluster,
        groupId: setup.config.groupId,
        delivers: () => this.active && !this.stopped,
        position: (assigned) => setup.owner.position(this, assigned),
        positionFailed: (error, attempt, retryInMs) => {
          setup.owner.positionFailed(this, error, attempt, retryInMs)
        },
      },
      this.userPauses,
    )
    this.joined = new Promise((resolve) => {
      this.markJoined = resolve
    })
    void this.joined.then(() => {
      this.hasJoined = true
    })
  }

  /** Where the session notes processed records (or manual commits). */
  get positions(): ProcessedPositions {
    return this.setup.positions
  }

  /** Provenance reading, origin filtering and dedupe; undefined when provenance is off. */
  get filter(): DeliveryFilter | undefined {
    return this.setup.filter
  }

  /** See `DeliveringSession.catchUp`. */
  get catchUp(): CopyCatchUp {
    return this.assignment.catchUp
  }

  /** Bumped by every pause of the application's (see `DeliveringSession.pauses`). */
  get pauses(): number {
    return this.userPauses.count
  }

  /** Sets why this session's assignments are positioned, from its next activation on. */
  setPurpose(reason: PositionReason, added: readonly string[] = []): void {
    this.reason = reason
    this.added = added
  }

  /** Whether this session delivers records now (or will once its assignment is positioned). */
  get isActive(): boolean {
    return this.active && !this.stopped && !this.gaveUp
  }

  /** See {@link PositionedSession.isJoining}. */
  get isJoining(): boolean {
    return this.running && this.memberId === undefined
  }

  /** Whether the session was stopped (or kafkajs gave its consumer up): it never delivers again. */
  get isStopped(): boolean {
    return this.stopped || this.gaveUp
  }

  /** Whether the last attempt to position this session's assignment failed (it is being retried). */
  get isFailing(): boolean {
    return this.assignment.failing
  }

  /** Attaches an application's instrumentation listener to this session's consumer, once. */
  attach(entry: InstrumentationListener): void {
    if (this.attached.has(entry)) return
    this.attached.set(entry, this.consumer.on(entry[0], entry[1]))
  }

  /** Detaches a listener {@link attach}ed before; nothing for another. */
  detach(entry: InstrumentationListener): void {
    this.attached.get(entry)?.()
    this.attached.delete(entry)
  }

  /**
   * Subscribes to `topics` and runs, as a standby or active. Resolves once subscribed; the group
   * join goes on in the background (see {@link joined}).
   */
  async start(
    topics: string[],
    fromBeginning: boolean,
    run: FailoverRunConfig,
    listeners: readonly InstrumentationListener[],
    active: boolean,
  ): Promise<void> {
    const { consumer } = this
    this.topics = topics
    this.active = active
    this.manualCommits = run.autoCommit === false
    for (const entry of listeners) this.attach(entry)
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.memberId = payload.memberId
      this.onJoin(payload.memberAssignment)
      if (!this.stopped) this.setup.owner.joined(this)
    })
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (this.stopped || this.gaveUp) return
      this.setup.owner.clusterError(this, payload.error)
      if (payload.restart !== false) return
      this.gaveUp = true
      this.markJoined() // nobody waits for a join that will not come
      this.setup.owner.gaveUp(this, payload.error, this.declinedByApplication)
    })
    consumer.on(consumer.events.REQUEST_TIMEOUT, ({ payload }) => {
      if (!this.stopped)
        this.setup.owner.clusterError(
          this,
          new TimeoutError(`request ${payload.apiName} to ${payload.broker} timed out`, { cluster: this.cluster }),
        )
    })
    // Started now, awaited just before run() (which sends the JoinGroup): it overlaps the connect and subscribe.
    const beforeJoin = this.setup.beforeJoin?.()
    // A fresh run's start offsets, worked out meanwhile too (see Assignment.joined).
    const startOffsets = active && this.reason === 'start' ? this.assignment.prepareStart(this.setup.owner.startOffsets(this)) : undefined
    await consumer.connect()
    // Stopped meanwhile (a bounded start that timed out, a stop): do not join for nothing, which
    // would cost the whole group a rebalance to join and another to leave.
    if (this.stopped) return
    try {
      await subscribeWhenKnown(consumer, { topics, fromBeginning }, this.stopping.signal)
    } catch (error) {
      if (this.stopped) return
      throw error
    }
    const removeFormerInstance = await beforeJoin
    // Waited for a while only: a join without them is positioned when it comes, as any other.
    if (startOffsets) await Promise.race([startOffsets, delay(START_OFFSETS_WAIT_MS)])
    if (this.stopped) return
    const { eachMessage, eachBatch, ...options } = run
    this.running = true
    // Not awaited: kafkajs' run() resolves only after the first group join, and on a cluster that
    // has just come back that join waits for the group's dead members to time out (kafkajs'
    // `sessionTimeout`, 30 s by default). Bounding it would restart the session, and every restart
    // of every instance is one more rebalance for the whole group. `joined` tells when it is done;
    // kafkajs reports a failed join as a crash (and restarts the consumer itself).
    consumer
      .run(
        eachMessage
          ? {
              ...options,
              eachBatch: eachMessageOverBatches(this, eachMessage, run.autoCommit !== false, run.autoCommitThreshold != null),
              eachBatchAutoResolve: false,
            }
          : {
              ...options,
              eachBatch: wrapEachBatch(
                this,
                eachBatch!,
                run.eachBatchAutoResolve !== false,
                run.autoCommitInterval != null || run.autoCommitThreshold != null,
              ),
            },
      )
      .catch((error: unknown) => {
        log('running %s on %s failed: %s', this.setup.config.groupId, this.cluster, errorMessage(error))
        if (!this.stopped) this.setup.owner.clusterError(this, error)
      })
    removeFormerInstance?.()
    log('session on %s (%s) runs %s', this.cluster, active ? 'active' : 'standby', topics.join(', '))
  }

  /**
   * Makes the session deliver: positions its assignment (after the first join, if it has not
   * joined yet) and resumes it. Resolves once that is done; positioning is retried until it
   * succeeds or the session is deactivated or stopped.
   */
  async activate(): Promise<void> {
    if (this.stopped) return
    if (!this.active) {
      this.active = true
      this.assignment.invalidate()
    }
    await this.joined
    await this.assignment.positionedNow()
  }

  /** Stops delivering and pauses every partition; the session stays a member of the group (standby). */
  deactivate(): void {
    if (!this.active) return
    this.active = false
    this.assignment.invalidate()
    this.assignment.pauseAll()
  }

  /** At every group join: the assignment is held until positioned (see {@link Assignment.joined}). */
  private onJoin(memberAssignment: Record<string, number[]>): void {
    this.assignment.joined(memberAssignment)
    if (this.stopped) {
      // A consumer that kafkajs restarted before the stop reached it: leave the group for good,
      // once kafkajs marks it running (a macrotask later; before that its disconnect does not leave).
      log('stopped session of %s on %s joined again: leaving', this.setup.config.groupId, this.cluster)
      setImmediate(() => void disconnectQuietly(this.consumer, POSITION_RETRY.maxMs))
      return
    }
    this.markJoined()
  }

  /** Pauses topics (partitions) for the application, as kafkajs' `pause`; kept across repositioning. */
  pause(topics: Parameters<Consumer['pause']>[0]): void {
    this.userPauses.pause(topics)
    this.consumer.pause(topics)
  }

  /** Resumes what the application paused, as kafkajs' `resume` (not while the session is a standby). */
  resume(topics: Parameters<Consumer['resume']>[0]): void {
    this.userPauses.resume(topics)
    if (this.isActive) this.consumer.resume(topics)
  }

  /** Whether kafkajs holds the partition paused now (the application's pause or the session's). */
  isPaused(topic: string, partition: number): boolean {
    return this.consumer.paused().some((p) => p.topic === topic && p.partitions.includes(partition))
  }

  /**
   * kafkajs' `commitOffsets`. With manual commits the offsets first become this cluster's
   * positions (each dated by the record before it), so checkpoints are never ahead of the group.
   */
  async commitOffsets(offsets: TopicPartitionOffsetAndMetadata[]): Promise<void> {
    // kafkajs commits nothing (silently) before its first group join, which its own run() awaits
    // and the session's start does not: wait for it here, as a kafkajs application would have.
    if (!this.hasJoined) await this.joined
    if (this.manualCommits) for (const { topic, partition, offset } of offsets ?? []) this.setup.positions.commit(topic, partition, offset)
    await this.consumer.commitOffsets(offsets)
  }

  /**
   * Disconnects, never waiting longer than `timeoutMs`. No handler is called from here on.
   * Resolves with whether the consumer left its group in time (false: its cluster hangs or died
   * meanwhile, and keeps the member until it times out).
   */
  async stop(timeoutMs: number): Promise<boolean> {
    this.stopped = true
    this.stopping.abort()
    this.active = false
    this.assignment.invalidate()
    this.markJoined() // nobody waits for a join that will not come
    return this.setup.owner.teardown(this, this.consumer, timeoutMs)
  }

  /** Logical topic and origin of a physical topic, parsed once. */
  source(physicalTopic: string): { topic: string; originCluster: string } {
    let source = this.sources.get(physicalTopic)
    if (source === undefined) {
      const parsed = this.setup.policy.parse(physicalTopic, this.cluster)
      source = { topic: parsed.logicalTopic, originCluster: parsed.originCluster }
      this.sources.set(physicalTopic, source)
    }
    return source
  }
}
