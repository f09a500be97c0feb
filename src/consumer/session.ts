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
import kafkajs from 'kafkajs'
import type { Batch, Consumer, EachBatchPayload, Kafka, KafkaMessage, Offsets, TopicOffsets, TopicPartitionOffsetAndMetadata } from 'kafkajs'
import { disconnectQuietly, subscribeWhenKnown } from '../cluster/index.js'
import { SessionFencedError, TimeoutError } from '../errors.js'
import type { ReplicationPolicy } from '../topology/replication-policy.js'
import { errorMessage, logger } from '../util/log.js'
import { partitionKey } from '../util/partition-key.js'
import { subscriptionAssigner } from './subscription-assigner.js'
import { backoff } from '../util/backoff.js'
import { delay } from '../util/timeout.js'
import type { PositionReason } from './positioning.js'
import type { DeliveryFilter, RecordProvenance } from './delivery-filter.js'
import { markDelivered, markProcessed, type ProcessedPositions } from './positions.js'
import type { ValidConsumerOptions } from './options.js'
import type { FailoverRunConfig } from './types.js'

const log = logger('consumer')

/**
 * How often, at most, the record loop asks kafkajs for a heartbeat or an interval commit, in ms.
 * kafkajs sends either only when its own interval (3 s and more by default) is due, so asking
 * every 50 ms instead of after every record delays them by no more than that.
 */
const HOUSEKEEPING_MS = 50

type KafkajsEachBatch = NonNullable<Parameters<Consumer['run']>[0]>['eachBatch']

/** A kafkajs instrumentation listener registered by the user, re-attached to every session. */
export type InstrumentationListener = [event: Parameters<Consumer['on']>[0], listener: (event: unknown) => void]

/** A partition of a physical topic. */
export interface TopicPartition {
  topic: string
  partition: number
}

/** What a session needs besides the cluster. */
export interface SessionSetup {
  cluster: string
  kafka: Kafka
  config: ValidConsumerOptions
  policy: ReplicationPolicy
  /** Where processed records are noted, for checkpoints and translation. */
  positions: ProcessedPositions
  /**
   * Where an active session's partitions start: offsets by {@link partitionKey}; a partition
   * without an entry resumes where kafkajs would (the group's commit, or `fromBeginning`).
   */
  position: (session: ConsumerSession, assigned: readonly TopicPartition[]) => Promise<ReadonlyMap<string, string>>
  /** Positioning an assignment failed; it is tried again after `retryInMs`. */
  onPositionFailed: (error: unknown, attempt: number, retryInMs: number) => void
  /** An error kafkajs reported on this session's cluster (a crash, a request timeout). */
  onClusterError: (error: unknown) => void
  /**
   * kafkajs crashed this session's consumer and will not restart it: a non-retriable error (a
   * `TypeError` thrown by a handler among them), or the application's `retry.restartOnFailure`
   * said no (`byApplication`). The session delivers nothing from here on.
   */
  onGaveUp: (error: unknown, byApplication: boolean) => void
  /** Disconnects the kafkajs consumer, bounded (see `ClusterConnection.teardown`); resolves with whether it finished in time. */
  teardown: (client: Consumer, timeoutMs: number) => Promise<boolean>
  /**
   * Reads each record's provenance (its origin) and skips the records the consumer does not
   * deliver (see `DeliveryFilter`); shared by every session. Undefined when provenance is off.
   */
  filter?: DeliveryFilter
  /** Records of one batch were dropped as copies of records delivered already. */
  onDeduplicated?: (topic: string, partition: number, count: number) => void
}

/** Back-off between attempts to position an assignment, in ms. */
const POSITION_RETRY = { initialMs: 250, maxMs: 5000 }

export class ConsumerSession {
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
  /** This session's member id in its group, from its last join (kafkajs' `GROUP_JOIN`). */
  memberId: string | undefined
  /** kafkajs gave up this session's consumer (see {@link SessionSetup.onGaveUp}). */
  private gaveUp = false
  /** The application's `restartOnFailure` declined the last restart. */
  private declinedByApplication = false
  /** Delivering records to the handler (active, assignment positioned). */
  private active = false
  /** Bumped by every group join and every (de)activation: a positioning of an older one is dropped. */
  private generation = 0
  /** The partitions of the latest assignment. */
  private assigned: TopicPartition[] = []
  /** Resolves at the first group join. */
  readonly joined: Promise<void>
  /** Whether the session has joined its group at least once. */
  hasJoined = false
  private markJoined!: () => void
  /** The last positioning attempt failed. */
  private failing = false
  /** Resolves once the current activation's partitions have been positioned and resumed. */
  private positioned: Promise<void> | undefined
  /** Partitions (or whole topics: `partitions` undefined) the application paused. */
  private readonly userPaused = new Map<string, Set<number> | undefined>()
  /** `autoCommit: false`: checkpoints follow the application's commits, not the processed records. */
  private manualCommits = false
  /** Bumped by every pause, so that the record loop looks up pauses only when one happened. */
  private pauses = 0
  /** Logical topic and origin per physical topic: parsed once, not per record. */
  private readonly sources = new Map<string, { topic: string, originCluster: string }>()
  /** The application's instrumentation listeners attached to this session's consumer, with kafkajs' remover of each. */
  private readonly attached = new Map<InstrumentationListener, () => void>()

  constructor(private readonly setup: SessionSetup) {
    const kafkajsConfig = setup.config.kafkajs
    this.cluster = setup.cluster
    // kafkajs' own retry (or the user's) stays: for a consumer it also decides how often a
    // failing handler is retried before the consumer restarts, and discovery, not the consumer,
    // notices a dead cluster.
    // A standby polls its paused assignment at this pace, and its first fetch after activation
    // waits for the poll in progress: keep it short. 500 ms is the Java client's default
    // (fetch.max.wait.ms); kafkajs' own is 5 s. A value the application set is kept.
    this.consumer = setup.kafka.consumer({
      maxWaitTimeInMs: 500,
      // Members of one group may subscribe to different topics (see subscription-assigner.ts);
      // kafkajs' round robin stays as the fallback protocol for members that offer only it.
      partitionAssigners: [subscriptionAssigner, kafkajs.PartitionAssigners.roundRobin],
      ...kafkajsConfig,
      // kafkajs' own default retry, or the application's, except that a stopped session is never
      // restarted: a disconnect that timed out on a dead cluster must not leave a consumer that
      // rejoins the group (holding partitions it never reads) when the cluster returns.
      retry: {
        retries: 5,
        ...kafkajsConfig.retry,
        restartOnFailure: async (error: Error) => {
          if (this.stopped) return false
          const restart = await kafkajsConfig.retry?.restartOnFailure?.(error) ?? true
          this.declinedByApplication = !restart
          return restart
        },
      },
    })
    this.joined = new Promise((resolve) => { this.markJoined = resolve })
    void this.joined.then(() => { this.hasJoined = true })
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

  /** Whether the session was stopped (or kafkajs gave its consumer up): it never delivers again. */
  get isStopped(): boolean {
    return this.stopped || this.gaveUp
  }

  /** Whether the last attempt to position this session's assignment failed (it is being retried). */
  get isFailing(): boolean {
    return this.failing
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
  async start(topics: string[], fromBeginning: boolean, run: FailoverRunConfig, listeners: readonly InstrumentationListener[], active: boolean): Promise<void> {
    const { consumer } = this
    this.topics = topics
    this.active = active
    this.manualCommits = run.autoCommit === false
    for (const entry of listeners) this.attach(entry)
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.memberId = payload.memberId
      this.onJoin(payload.memberAssignment)
    })
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (this.stopped || this.gaveUp) return
      this.setup.onClusterError(payload.error)
      if (payload.restart !== false) return
      this.gaveUp = true
      this.markJoined() // nobody waits for a join that will not come
      this.setup.onGaveUp(payload.error, this.declinedByApplication)
    })
    consumer.on(consumer.events.REQUEST_TIMEOUT, ({ payload }) => { if (!this.stopped) this.setup.onClusterError(new TimeoutError(`request ${payload.apiName} to ${payload.broker} timed out`, { cluster: this.cluster })) })
    await consumer.connect()
    // Stopped meanwhile (a bounded start that timed out, a stop): do not join for nothing, which
    // would cost the whole group a rebalance to join and another to leave.
    if (this.stopped) return
    await subscribeWhenKnown(consumer, { topics, fromBeginning })
    if (this.stopped) return
    const { eachMessage, eachBatch, ...options } = run
    // Not awaited: kafkajs' run() resolves only after the first group join, and on a cluster that
    // has just come back that join waits for the group's dead members to time out (kafkajs'
    // `sessionTimeout`, 30 s by default). Bounding it would restart the session, and every restart
    // of every instance is one more rebalance for the whole group. `joined` tells when it is done;
    // kafkajs reports a failed join as a crash (and restarts the consumer itself).
    consumer.run(eachMessage
      ? { ...options, eachBatch: this.eachMessageOverBatches(eachMessage, run.autoCommit !== false, run.autoCommitThreshold != null), eachBatchAutoResolve: false }
      : { ...options, eachBatch: this.wrapEachBatch(eachBatch!, run.eachBatchAutoResolve !== false, run.autoCommitInterval != null || run.autoCommitThreshold != null) })
      .catch((error: unknown) => {
        log('running %s on %s failed: %s', this.setup.config.groupId, this.cluster, errorMessage(error))
        if (!this.stopped) this.setup.onClusterError(error)
      })
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
      this.generation++
      this.positioned = undefined
    }
    await this.joined
    this.positioned ??= this.positionAssignment(this.generation)
    await this.positioned
  }

  /** Stops delivering and pauses every partition; the session stays a member of the group (standby). */
  deactivate(): void {
    if (!this.active) return
    this.active = false
    this.generation++
    this.positioned = undefined
    this.pauseAssigned()
  }

  /** At every group join: hold the whole assignment until it is positioned (if active). */
  private onJoin(memberAssignment: Record<string, number[]>): void {
    this.assigned = Object.entries(memberAssignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })))
    // Paused here, synchronously, before kafkajs fetches for the new assignment.
    this.pauseAssigned()
    if (this.stopped) {
      // A consumer that kafkajs restarted before the stop reached it: leave the group for good.
      log('stopped session of %s on %s joined again: leaving', this.setup.config.groupId, this.cluster)
      void disconnectQuietly(this.consumer, POSITION_RETRY.maxMs)
      return
    }
    this.generation++
    this.positioned = undefined
    this.markJoined()
    if (this.active && !this.stopped) this.positioned = this.positionAssignment(this.generation)
  }

  private pauseAssigned(): void {
    if (this.assigned.length === 0) return
    try {
      this.consumer.pause(groupByTopic(this.assigned))
    } catch (error) {
      log('pausing %s on %s: %s', this.setup.config.groupId, this.cluster, errorMessage(error))
    }
  }

  /** Positions the assignment of `generation`, seeks, resumes; retried with capped back-off. */
  private async positionAssignment(generation: number): Promise<void> {
    const current = (): boolean => generation === this.generation && this.active && !this.stopped
    for (let attempt = 1; current(); attempt++) {
      const assigned = this.assigned
      if (assigned.length === 0) return
      try {
        const offsets = await this.setup.position(this, assigned)
        if (!current()) return
        for (const { topic, partition } of assigned) {
          const offset = offsets.get(partitionKey(topic, partition))
          if (offset === undefined) continue
          log('seek %s/%s[%d] to %s', this.cluster, topic, partition, offset)
          this.consumer.seek({ topic, partition, offset })
        }
        const resumable = assigned.filter(({ topic, partition }) => !this.isUserPaused(topic, partition))
        if (resumable.length > 0) this.consumer.resume(groupByTopic(resumable))
        this.failing = false
        return
      } catch (error) {
        if (!current()) return
        this.failing = true
        const retryInMs = backoff(attempt, POSITION_RETRY)
        this.setup.onPositionFailed(error, attempt, retryInMs)
        await delay(retryInMs)
      }
    }
  }

  /** Pauses topics (partitions) for the application, as kafkajs' `pause`; kept across repositioning. */
  pause(topics: Parameters<Consumer['pause']>[0]): void {
    this.pauses++
    for (const { topic, partitions } of topics) {
      if (partitions === undefined) this.userPaused.set(topic, undefined)
      else if (!this.userPaused.has(topic) || this.userPaused.get(topic) !== undefined) {
        const held = this.userPaused.get(topic) ?? new Set<number>()
        for (const p of partitions) held.add(p)
        this.userPaused.set(topic, held)
      }
    }
    this.consumer.pause(topics)
  }

  /** Resumes what the application paused, as kafkajs' `resume` (not while the session is a standby). */
  resume(topics: Parameters<Consumer['resume']>[0]): void {
    for (const { topic, partitions } of topics) {
      const held = this.userPaused.get(topic)
      if (partitions === undefined || held === undefined) this.userPaused.delete(topic)
      else for (const p of partitions) held.delete(p)
    }
    if (this.isActive) this.consumer.resume(topics)
  }

  private isUserPaused(topic: string, partition: number): boolean {
    if (!this.userPaused.has(topic)) return false
    const held = this.userPaused.get(topic)
    return held === undefined || held.has(partition)
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
    this.active = false
    this.generation++
    this.markJoined() // nobody waits for a join that will not come
    return this.setup.teardown(this.consumer, timeoutMs)
  }

  private source(physicalTopic: string): { topic: string, originCluster: string } {
    let source = this.sources.get(physicalTopic)
    if (source === undefined) {
      const parsed = this.setup.policy.parse(physicalTopic, this.cluster)
      source = { topic: parsed.logicalTopic, originCluster: parsed.originCluster }
      this.sources.set(physicalTopic, source)
    }
    return source
  }

  /**
   * The user's `eachMessage`, run over kafkajs' `eachBatch` with the steps kafkajs' own
   * `eachMessage` loop takes per record: stop at a stop, a seek or a pause of the partition; on
   * success resolve the offset, heartbeat and commit when due; on a throw, kafkajs commits what
   * was resolved and retries from there. Why not wrap kafkajs' `eachMessage`: that costs a second
   * payload object, a second promise and a map lookup per record, which measured at about a
   * fifth of a raw kafkajs consumer's per-record time.
   */
  private eachMessageOverBatches(handler: NonNullable<FailoverRunConfig['eachMessage']>, autoCommit: boolean, commitByCount: boolean): KafkajsEachBatch {
    return async (payload: EachBatchPayload) => {
      const { batch, heartbeat, resolveOffset, isRunning, isStale, commitOffsetsIfNecessary } = payload
      const { topic, originCluster } = this.source(batch.topic)
      const { partition, topic: physicalTopic } = batch
      const { cluster } = this
      const slot = this.setup.positions.slot(physicalTopic, partition)
      let pausesSeen = this.pauses
      const pause = (): (() => void) => {
        this.pause([{ topic: physicalTopic, partitions: [partition] }])
        return () => this.resume([{ topic: physicalTopic, partitions: [partition] }])
      }
      const { filter } = this.setup
      let housekeepingAt = Date.now() + HOUSEKEEPING_MS
      let duplicates = 0
      for (const message of batch.messages) {
        // A deactivated or stopped session ends the batch quietly: its partitions are paused (or
        // the consumer is leaving), so nothing is fetched again; an error would restart kafkajs.
        if (!isRunning() || isStale() || !this.isActive) break
        // Manual commits: noted before the handler, which may commit this very record's next offset.
        if (!autoCommit) markDelivered(slot, message, Date.now())
        const record = filter?.read(message.headers, originCluster)
        const skip = record === undefined ? undefined : filter!.skips(record)
        if (skip === 'duplicate') duplicates++
        // A skipped record counts as processed: its offset is resolved and checkpointed.
        if (skip === undefined) {
          try {
            await handler({ topic, partition, message, heartbeat, pause, physicalTopic, cluster, originCluster: record?.origin ?? originCluster })
          } catch (error) {
            if (record !== undefined) filter!.released(record)
            throw error
          }
          if (record !== undefined) filter!.delivered(record)
        }
        const now = Date.now()
        if (autoCommit) markProcessed(slot, message, now)
        resolveOffset(message.offset)
        if (now >= housekeepingAt) {
          housekeepingAt = now + HOUSEKEEPING_MS
          await heartbeat()
          if (autoCommit && !commitByCount) await commitOffsetsIfNecessary()
        }
        // A commit threshold counts records: check it after every one, as kafkajs does.
        if (autoCommit && commitByCount) await commitOffsetsIfNecessary()
        if (this.pauses !== pausesSeen) {
          if (this.isPaused(physicalTopic, partition)) break
          pausesSeen = this.pauses // another partition's pause: look again only after the next one
        }
      }
      if (duplicates > 0) this.setup.onDeduplicated?.(physicalTopic, partition, duplicates)
    }
  }

  private isPaused(topic: string, partition: number): boolean {
    return this.consumer.paused().some((p) => p.topic === topic && p.partitions.includes(partition))
  }

  private wrapEachBatch(handler: NonNullable<FailoverRunConfig['eachBatch']>, autoResolve: boolean, commitsWhenDue: boolean): NonNullable<Parameters<Consumer['run']>[0]>['eachBatch'] {
    return async (payload) => {
      if (!this.isActive) return
      const { batch } = payload
      const { topic, originCluster } = this.source(batch.topic)
      const slot = this.setup.positions.slot(batch.topic, batch.partition)
      const manual = this.manualCommits
      if (manual) {
        // Manual commits are dated by the records delivered: the handler may commit any of these.
        const now = Date.now()
        for (const message of batch.messages) markDelivered(slot, message, now)
      }
      // Handlers resolve offsets in increasing order: search from the last one found onwards, so
      // resolving every record of a batch stays linear in the batch size. (Compacted topics have
      // gaps in their offsets: search, do not index.)
      let cursor = 0
      const record = (offset: string): void => {
        const index = indexOfOffset(batch.messages, offset, cursor)
        if (index < 0) return
        cursor = index
        markProcessed(slot, batch.messages[index]!, Date.now())
      }
      const handedOver = this.filterBatch(batch, originCluster)
      try {
        await handler({
          ...payload,
          batch: handedOver?.batch ?? batch,
          // A handler still in its batch when the session stops delivering learns it here (and from
          // isRunning): what it resolves from then on is neither committed nor checkpointed.
          isRunning: () => payload.isRunning() && this.isActive,
          resolveOffset: (offset: string) => {
            // Thrown into kafkajs by a fenced session, so that it neither processes nor commits further records.
            if (!this.isActive) throw new SessionFencedError(this.cluster)
            payload.resolveOffset(offset)
            if (!manual) record(offset)
            handedOver?.resolvedUpTo(offset)
          },
          commitOffsetsIfNecessary: manual ? (offsets?: Offsets) => this.commitIfNecessary(payload, offsets, commitsWhenDue) : payload.commitOffsetsIfNecessary,
          logicalTopic: topic,
          physicalTopic: batch.topic,
          cluster: this.cluster,
          originCluster,
        })
        const last = batch.messages.at(-1)
        if (autoResolve && last && this.isActive && !manual) markProcessed(slot, last, Date.now())
        if (autoResolve && last && this.isActive) handedOver?.resolvedUpTo(last.offset)
      } finally {
        handedOver?.releaseUnresolved()
      }
    }
  }

  /**
   * The batch as the handler sees it when provenance is read: without the records the filter
   * skips (an object over kafkajs' batch, so that `lastOffset()` still covers the skipped ones).
   * A handed-over record counts as delivered once its offset is resolved; those not resolved when
   * the handler is done are released (kafkajs fetches them again). Undefined when nothing is
   * filtered.
   */
  private filterBatch(batch: Batch, topicOrigin: string): { batch: Batch, resolvedUpTo: (offset: string) => void, releaseUnresolved: () => void } | undefined {
    const { filter } = this.setup
    if (filter === undefined || !filter.filters) return undefined
    const messages: KafkaMessage[] = []
    const records: RecordProvenance[] = []
    let duplicates = 0
    for (const message of batch.messages) {
      const record = filter.read(message.headers, topicOrigin)
      const skip = filter.skips(record)
      if (skip === 'duplicate') duplicates++
      if (skip !== undefined) continue
      messages.push(message)
      records.push(record)
    }
    if (duplicates > 0) this.setup.onDeduplicated?.(batch.topic, batch.partition, duplicates)
    let filtered = batch
    if (messages.length !== batch.messages.length) {
      filtered = Object.create(batch) as Batch
      Object.defineProperty(filtered, 'messages', { value: messages })
    }
    let delivered = 0
    return {
      batch: filtered,
      resolvedUpTo: (offset) => {
        const upTo = BigInt(offset)
        while (delivered < records.length && BigInt(messages[delivered]!.offset) <= upTo) filter.delivered(records[delivered++]!)
      },
      releaseUnresolved: () => {
        for (let i = delivered; i < records.length; i++) filter.released(records[i]!)
      },
    }
  }

  /**
   * The eachBatch payload's `commitOffsetsIfNecessary` with manual commits, noting what kafkajs
   * commits: the given offsets, at once; without them the resolved offsets, but only when
   * `autoCommitInterval` or `autoCommitThreshold` is set and due (kafkajs checks those here, not
   * `autoCommit`), otherwise nothing.
   */
  private async commitIfNecessary(payload: EachBatchPayload, offsets: Offsets | undefined, commitsWhenDue: boolean): Promise<void> {
    if (offsets) {
      // An object without `topics` makes kafkajs commit the resolved offsets.
      this.noteCommits(offsets.topics ?? payload.uncommittedOffsets().topics)
      return payload.commitOffsetsIfNecessary(offsets)
    }
    if (!commitsWhenDue) return payload.commitOffsetsIfNecessary()
    // Only kafkajs knows whether its interval or threshold was due: it committed what is no longer uncommitted.
    const before = payload.uncommittedOffsets().topics
    await payload.commitOffsetsIfNecessary()
    const after = new Set(payload.uncommittedOffsets().topics.flatMap(({ topic, partitions }) => partitions.map((p) => partitionKey(topic, p.partition))))
    this.noteCommits(before.map(({ topic, partitions }) => ({ topic, partitions: partitions.filter((p) => !after.has(partitionKey(topic, p.partition))) })))
  }

  /** Manual commits: what the application commits becomes the partitions' positions. */
  private noteCommits(topics: readonly TopicOffsets[]): void {
    for (const { topic, partitions } of topics) {
      for (const { partition, offset } of partitions) this.setup.positions.commit(topic, partition, offset)
    }
  }
}

function groupByTopic(partitions: readonly TopicPartition[]): Array<{ topic: string, partitions: number[] }> {
  const byTopic = new Map<string, number[]>()
  for (const { topic, partition } of partitions) {
    const list = byTopic.get(topic)
    if (list) list.push(partition)
    else byTopic.set(topic, [partition])
  }
  return [...byTopic].map(([topic, list]) => ({ topic, partitions: list }))
}

/** Index of the message with `offset`, searched from `from` onwards first, then from the start; -1 if absent. */
function indexOfOffset(messages: readonly KafkaMessage[], offset: string, from: number): number {
  for (let i = from; i < messages.length; i++) if (messages[i]!.offset === offset) return i
  for (let i = 0; i < from && i < messages.length; i++) if (messages[i]!.offset === offset) return i
  return -1
}
