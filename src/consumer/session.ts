/**
 * One consumer session: the kafkajs consumer of the group on one cluster. A session is used
 * once. Fencing it guarantees that no handler call comes from it afterwards, even when its
 * cluster wakes up from a hang and kafkajs carries on delivering.
 */
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Offsets, TopicOffsets, TopicPartitionOffsetAndMetadata } from 'kafkajs'
import { disconnectQuietly } from '../cluster/index.js'
import { KafkaDRError } from '../errors.js'
import type { ReplicationPolicy } from '../topology/replication-policy.js'
import { logger } from '../util/log.js'
import { partitionKey } from '../util/partition-key.js'
import { markDelivered, markProcessed, type ProcessedPositions } from './positions.js'
import type { FailoverConsumerConfig, FailoverRunConfig } from './types.js'

const log = logger('consumer')

/**
 * How often, at most, the record loop asks kafkajs for a heartbeat or an interval commit, in ms.
 * kafkajs sends either only when its own interval (3 s and more by default) is due, so asking
 * every 50 ms instead of after every record delays them by no more than that.
 */
const HOUSEKEEPING_MS = 50

type KafkajsEachBatch = NonNullable<Parameters<Consumer['run']>[0]>['eachBatch']

/** Thrown into kafkajs by a fenced session, so that it neither processes nor commits further records. */
class FencedError extends KafkaDRError {
  constructor(cluster: string) {
    super('ERR_FAILOVER_FAILED', `consumer session on '${cluster}' was fenced by a switch`, { cluster, retriable: false })
  }
}

/** A kafkajs instrumentation listener registered by the user, re-attached to every session. */
export type InstrumentationListener = [event: Parameters<Consumer['on']>[0], listener: (event: unknown) => void]

/** What a session needs besides the cluster. */
export interface SessionSetup {
  cluster: string
  kafka: Kafka
  config: FailoverConsumerConfig
  policy: ReplicationPolicy
  /** Where processed records are noted, for checkpoints and translation. */
  positions: ProcessedPositions
}

export class ConsumerSession {
  readonly consumer: Consumer
  readonly cluster: string
  private fenced = false
  /** `autoCommit: false`: checkpoints follow the application's commits, not the processed records. */
  private manualCommits = false
  /** Bumped by every pause, so that the record loop looks up pauses only when one happened. */
  private pauses = 0
  /** Logical topic and origin per physical topic: parsed once, not per record. */
  private readonly sources = new Map<string, { topic: string, originCluster: string }>()

  constructor(private readonly setup: SessionSetup) {
    const { checkpoint: _c, translators: _t, onMissingCheckpoint: _m, timestampSafetyMarginMs: _s, teardownTimeoutMs: _d, newCopyCheckIntervalMs: _n, ...kafkajsConfig } = setup.config
    this.cluster = setup.cluster
    // kafkajs' own retry (or the user's) stays: for a consumer it also decides how often a
    // failing handler is retried before the consumer restarts, and discovery, not the consumer,
    // notices a dead cluster.
    this.consumer = setup.kafka.consumer(kafkajsConfig)
  }

  /**
   * Subscribes to `topics` and runs. `seekOnJoin` positions partitions the first time they are
   * assigned (used when the group already has members on this cluster, so an admin commit was
   * impossible).
   */
  async start(topics: string[], fromBeginning: boolean, run: FailoverRunConfig, listeners: readonly InstrumentationListener[], seekOnJoin?: Map<string, string>): Promise<void> {
    const { consumer } = this
    this.manualCommits = run.autoCommit === false
    for (const [event, listener] of listeners) consumer.on(event, listener)
    if (seekOnJoin && seekOnJoin.size > 0) {
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
          for (const partition of partitions) {
            const key = partitionKey(topic, partition)
            const offset = seekOnJoin.get(key)
            if (offset === undefined) continue
            seekOnJoin.delete(key)
            log('seek %s/%s[%d] to %s', this.cluster, topic, partition, offset)
            consumer.seek({ topic, partition, offset })
          }
        }
      })
    }
    await consumer.connect()
    await consumer.subscribe({ topics, fromBeginning })
    const { eachMessage, eachBatch, ...options } = run
    await consumer.run(eachMessage
      ? { ...options, eachBatch: this.eachMessageOverBatches(eachMessage, run.autoCommit !== false, run.autoCommitThreshold != null), eachBatchAutoResolve: false }
      : { ...options, eachBatch: this.wrapEachBatch(eachBatch!, run.eachBatchAutoResolve !== false, run.autoCommitInterval != null || run.autoCommitThreshold != null) })
    log('session on %s runs %s', this.cluster, topics.join(', '))
  }

  /** From now on no handler is called from this session. */
  fence(): void {
    this.fenced = true
  }

  /** Pauses topics (partitions) of this session's consumer, as kafkajs' `pause`. */
  pause(topics: Parameters<Consumer['pause']>[0]): void {
    this.pauses++
    this.consumer.pause(topics)
  }

  /**
   * kafkajs' `commitOffsets`. With manual commits the offsets first become this cluster's
   * positions (each dated by the record before it), so checkpoints are never ahead of the group.
   */
  async commitOffsets(offsets: TopicPartitionOffsetAndMetadata[]): Promise<void> {
    if (this.manualCommits) for (const { topic, partition, offset } of offsets ?? []) this.setup.positions.commit(topic, partition, offset)
    await this.consumer.commitOffsets(offsets)
  }

  /** Disconnects, never waiting longer than `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    this.fence()
    await disconnectQuietly(this.consumer, timeoutMs)
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
        this.pauses++
        return payload.pause()
      }
      let housekeepingAt = Date.now() + HOUSEKEEPING_MS
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break
        if (this.fenced) throw new FencedError(cluster)
        // Manual commits: noted before the handler, which may commit this very record's next offset.
        if (!autoCommit) markDelivered(slot, message, Date.now())
        await handler({ topic, partition, message, heartbeat, pause, physicalTopic, cluster, originCluster })
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
    }
  }

  private isPaused(topic: string, partition: number): boolean {
    return this.consumer.paused().some((p) => p.topic === topic && p.partitions.includes(partition))
  }

  private wrapEachBatch(handler: NonNullable<FailoverRunConfig['eachBatch']>, autoResolve: boolean, commitsWhenDue: boolean): NonNullable<Parameters<Consumer['run']>[0]>['eachBatch'] {
    return async (payload) => {
      if (this.fenced) throw new FencedError(this.cluster)
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
      await handler({
        ...payload,
        resolveOffset: (offset: string) => {
          if (this.fenced) throw new FencedError(this.cluster)
          payload.resolveOffset(offset)
          if (!manual) record(offset)
        },
        commitOffsetsIfNecessary: manual ? (offsets?: Offsets) => this.commitIfNecessary(payload, offsets, commitsWhenDue) : payload.commitOffsetsIfNecessary,
        logicalTopic: topic,
        physicalTopic: batch.topic,
        cluster: this.cluster,
        originCluster,
      })
      const last = batch.messages.at(-1)
      if (autoResolve && last && !this.fenced && !manual) markProcessed(slot, last, Date.now())
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

/** Index of the message with `offset`, searched from `from` onwards first, then from the start; -1 if absent. */
function indexOfOffset(messages: readonly KafkaMessage[], offset: string, from: number): number {
  for (let i = from; i < messages.length; i++) if (messages[i]!.offset === offset) return i
  for (let i = 0; i < from && i < messages.length; i++) if (messages[i]!.offset === offset) return i
  return -1
}
