/**
 * A long-lived reader that follows a few small topics on one cluster (checkpoint topics, the
 * control topic) from their start and keeps on reading as records arrive.
 *
 * Why not read them when needed: a read costs connections and requests, and a switch that read
 * its checkpoints then would wait for them. A tail reads in the background, and a switch only
 * asks whether it has caught up with the high watermarks of the moment: one admin request.
 *
 * It reads without a consumer group ({@link PartitionReader}), so it follows at once (a group
 * join on a broker with Kafka's default `group.initial.rebalance.delay.ms` waits 3 s). A client
 * object without kafkajs' internals is read through a throw-away group instead, which restarts
 * and reads everything again from the start whenever a topic appears: handlers may see records
 * again, so keep state by key and offset (see {@link TopicTail} callers).
 *
 * Topics that do not exist yet (a replica copy that the replicator creates later) are looked for
 * every `topicCheckIntervalMs`.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import type { Admin, Consumer, Kafka, KafkaMessage } from 'kafkajs'
import { NotConnectedError, TimeoutError } from '../errors/index.js'
import { errorMessage, logger } from '../util/log.js'
import { partitionKey } from '../util/partition-key.js'
import { delay, withTimeout } from '../util/timeout.js'
import { disconnectQuietly } from './cluster-connection.js'
import { clusterFactoryOf } from './kafkajs-internals.js'
import { PartitionReader } from './partition-reader.js'
import { subscribeWhenKnown } from './new-topics.js'

const log = logger('cluster')

/** What a {@link TopicTail} needs. */
export interface TopicTailOptions {
  /** Cluster name, for logs and errors. */
  cluster: string
  /** The cluster's kafkajs client. */
  kafka: Kafka
  /** The cluster's shared, connected admin (listing topics, watermarks). */
  admin: () => Promise<Admin>
  /** Called for every record read, in offset order within a partition. Must not throw. */
  onRecord: (topic: string, partition: number, message: KafkaMessage) => void
  /** Label for logs, e.g. `checkpoints`. */
  what: string
  /**
   * How often topics that do not exist yet are looked for, in ms.
   *
   * @default 5000
   */
  topicCheckIntervalMs?: number
  /**
   * Bound on each admin request and on a consumer's disconnect, in ms.
   *
   * @default 5000
   */
  requestTimeoutMs?: number
}

/** Follows topics on one cluster; see the module description. */
export class TopicTail {
  private readonly wanted = new Set<string>()
  private subscribed: string[] = []
  /** Reads without a group; undefined for a client object without kafkajs' internals (see {@link consumer}). */
  private readonly reader: PartitionReader | undefined
  /** The throw-away group's consumer, without a {@link reader}. */
  private consumer: Consumer | undefined
  /** Next offset to read per partition, as far as this tail has read (across restarts). */
  private readonly nextOffsets = new Map<string, bigint>()
  private timer: ReturnType<typeof setInterval> | undefined
  private refreshing: Promise<void> | undefined
  private closed = false
  private readonly requestTimeoutMs: number
  /** Callers of caughtUp waiting for the tail to read further (or to close). */
  private readonly progressWaiters = new Set<() => void>()

  constructor(private readonly options: TopicTailOptions) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000
    const createCluster = clusterFactoryOf(options.kafka)
    this.reader =
      createCluster &&
      new PartitionReader({
        cluster: options.cluster,
        what: options.what,
        createCluster,
        // Idle most of the time: a long poll returns as soon as a record arrives anyway.
        maxWaitTimeMs: 1000,
        onRecord: options.onRecord,
        onProgress: (topic, partition, next) => this.progressed(topic, partition, next),
      })
  }

  /** Adds topics to follow (existing or not yet); starts following them soon. */
  want(topics: readonly string[]): void {
    let added = false
    for (const topic of topics) {
      if (!this.wanted.has(topic)) {
        this.wanted.add(topic)
        added = true
      }
    }
    if (this.closed) return
    // Looks for wanted topics that do not exist yet (or a consumer that kafkajs gave up on); once
    // every wanted topic is followed, a check costs nothing.
    this.timer ??= setInterval(() => {
      if (!this.following || this.subscribed.length < this.wanted.size) void this.refresh().catch(() => {})
    }, this.options.topicCheckIntervalMs ?? 5000).unref()
    if (added) void this.refresh().catch(() => {})
  }

  /**
   * Resolves once every record that the wanted topics held when it was called has been handed to
   * `onRecord` (topics that do not exist count as read). Used by a switch before it reads the
   * state the records built: costs one metadata and one offsets request when already caught up.
   *
   * @throws {@link TimeoutError} after `timeoutMs`; {@link NotConnectedError} when the tail is
   * closed meanwhile; kafkajs errors when the cluster does not answer
   */
  async caughtUp(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    await withTimeout(this.refresh(), timeoutMs, `following ${this.options.what} on '${this.options.cluster}'`, {
      cluster: this.options.cluster,
    })
    const admin = await this.options.admin()
    const ends = new Map<string, bigint>()
    await withTimeout(
      Promise.all(
        this.subscribed.map(async (topic) => {
          for (const p of await admin.fetchTopicOffsets(topic)) {
            // An empty partition (or one emptied by retention) has nothing to wait for.
            if (BigInt(p.high) > BigInt(p.low)) ends.set(partitionKey(topic, p.partition), BigInt(p.high))
          }
        }),
      ),
      Math.max(1, deadline - Date.now()),
      `watermarks of ${this.options.what} on '${this.options.cluster}'`,
      { cluster: this.options.cluster },
    )
    const behind = (): string[] => [...ends].filter(([key, high]) => (this.nextOffsets.get(key) ?? 0n) < high).map(([key]) => key)
    while (behind().length > 0) {
      if (this.closed) throw new NotConnectedError(`The ${this.options.what} tail on '${this.options.cluster}' (closed while catching up)`)
      if (Date.now() >= deadline)
        throw new TimeoutError(
          `following ${this.options.what} on '${this.options.cluster}' did not catch up within ${timeoutMs} ms; behind: ${behind().join(', ')}`,
          { cluster: this.options.cluster },
        )
      await this.progress(deadline - Date.now())
    }
  }

  /** Resolves when the tail reads further or closes, or after `ms`: woken, not polled. */
  private async progress(ms: number): Promise<void> {
    const woken = new AbortController()
    const wake = (): void => woken.abort()
    this.progressWaiters.add(wake)
    // An abort is the wake-up (read further, or closed), not a failure.
    await delay(ms, woken.signal).catch(() => {})
    this.progressWaiters.delete(wake)
  }

  private wakeWaiters(): void {
    for (const done of [...this.progressWaiters]) done()
  }

  /** Stops following; the consumer's disconnect is bounded by `timeoutMs` (default `requestTimeoutMs`). */
  async close(timeoutMs = this.requestTimeoutMs): Promise<void> {
    this.closed = true
    clearInterval(this.timer)
    this.wakeWaiters()
    const consumer = this.consumer
    this.consumer = undefined
    await Promise.all([this.reader?.close(timeoutMs), consumer && disconnectQuietly(consumer, timeoutMs)])
  }

  /** Subscribes to every wanted topic that exists (restarting when that set grew). One at a time. */
  private refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined
    })
    return this.refreshing
  }

  private async doRefresh(): Promise<void> {
    if (this.closed || this.wanted.size === 0) return
    const admin = await this.options.admin()
    const existing = new Set(
      await withTimeout(admin.listTopics(), this.requestTimeoutMs, `listing topics of '${this.options.cluster}'`, {
        cluster: this.options.cluster,
      }),
    )
    const present = [...this.wanted].filter((t) => existing.has(t)).sort()
    if (this.following && present.join('\0') === this.subscribed.join('\0')) return
    if (this.closed) return
    await this.restart(present)
  }

  /** Whether the tail reads its subscribed topics (a group consumer that kafkajs gave up on does not). */
  private get following(): boolean {
    return this.reader !== undefined || this.consumer !== undefined
  }

  /** A partition's next offset to read moved on: waiters of {@link caughtUp} look again. */
  private progressed(topic: string, partition: number, next: bigint): void {
    const key = partitionKey(topic, partition)
    if (next <= (this.nextOffsets.get(key) ?? 0n)) return
    this.nextOffsets.set(key, next)
    this.wakeWaiters()
  }

  private async restart(topics: string[]): Promise<void> {
    if (this.reader) {
      this.subscribed = topics
      if (topics.length === 0) return
      this.reader.follow(topics)
      log('%s tail on %s follows %s', this.options.what, this.options.cluster, topics.join(', '))
      return
    }
    const old = this.consumer
    this.consumer = undefined
    this.subscribed = topics
    if (old) void disconnectQuietly(old, this.requestTimeoutMs)
    if (topics.length === 0) return
    const consumer = this.options.kafka.consumer({
      // A group of its own that never commits: the broker forgets it once the tail leaves, and a
      // replicator finds no offsets to copy.
      groupId: `kafkajs-dr-tail-${randomBytes(8).toString('hex')}`,
      // Idle most of the time: a long poll returns as soon as a record arrives anyway.
      maxWaitTimeInMs: 1000,
      sessionTimeout: 10_000,
      heartbeatInterval: 3000,
      allowAutoTopicCreation: false,
    })
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      // Also fires for batches of only control records, which eachBatch never sees (kafkajs #1256).
      if (this.consumer === consumer) this.progressed(payload.topic, payload.partition, BigInt(payload.lastOffset) + 1n)
    })
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      log(
        '%s tail on %s crashed (%s): %s',
        this.options.what,
        this.options.cluster,
        payload.restart ? 'kafkajs restarts it' : 'restarting at the next check',
        errorMessage(payload.error),
      )
      // kafkajs does not restart after a non-retriable error: the next check starts a new tail.
      if (!payload.restart && this.consumer === consumer) this.consumer = undefined
    })
    this.consumer = consumer
    try {
      await consumer.connect()
      await subscribeWhenKnown(consumer, { topics, fromBeginning: true })
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          if (this.consumer !== consumer) return
          for (const message of batch.messages) this.options.onRecord(batch.topic, batch.partition, message)
        },
      })
      log('%s tail on %s follows %s', this.options.what, this.options.cluster, topics.join(', '))
    } catch (error) {
      if (this.consumer === consumer) this.consumer = undefined
      void disconnectQuietly(consumer, this.requestTimeoutMs)
      throw error
    }
  }
}
