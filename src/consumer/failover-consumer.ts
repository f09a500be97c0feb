/**
 * A consumer with the kafkajs Consumer API that follows the active cluster. It subscribes to
 * every physical copy of its logical topics there, checkpoints each processed position
 * (cluster, physical topic, partition, next offset, record timestamp) to a compacted topic that
 * the replicator carries to the other clusters, and on a switch moves the group: fence and stop
 * on the old cluster, translate every partition's position onto the new one (newest checkpoint,
 * largest lower bound of the translators), commit it there before the group starts (or seek
 * after joining when other members are already there), then run.
 */
import type { Admin, Consumer, Producer } from 'kafkajs'
import pRetry, { AbortError } from 'p-retry'
import { disconnectQuietly, FAILOVER_RETRY, type ActiveChange, type FailoverContext } from '../cluster/index.js'
import { GroupNotEmptyError, InvalidOptionError, KafkaDRError, NotConnectedError } from '../errors.js'
import { DEFAULT_CHECKPOINT_TOPIC } from '../offsets/checkpoint-codec.js'
import { ensureCheckpointTopic } from '../offsets/checkpoint-topic.js'
import { CheckpointWriter } from '../offsets/checkpoint-writer.js'
import type { CheckpointTarget } from '../offsets/checkpoint-writer-types.js'
import { commitTranslatedOffsets } from '../offsets/commit-offsets.js'
import { translateOffsets } from '../offsets/translate.js'
import type { TranslationResult } from '../offsets/translation-types.js'
import { errorMessage, logger } from '../util/log.js'
import { partitionKey } from '../util/partition-key.js'
import { SafeEmitter } from '../util/safe-emitter.js'
import { withTimeout } from '../util/timeout.js'
import { expectBoolean, expectInt, expectObject, expectString } from '../util/validate.js'
import type { FailoverConsumerEvents } from './events.js'
import { ProcessedPositions } from './positions.js'
import { ConsumerSession, type InstrumentationListener } from './session.js'
import type { FailoverConsumerConfig, FailoverRunConfig, FailoverSubscribeOptions } from './types.js'

const log = logger('consumer')

/** See the module description. Create with {@link MultiClusterKafka.consumer}. */
export class FailoverConsumer {
  /** The kafkajs consumer event names (`consumer.events.GROUP_JOIN`, ...). */
  readonly events: Consumer['events']
  /** The consumer group. */
  readonly groupId: string
  private readonly checkpointTopic: string
  private readonly writeToAllClusters: boolean
  private readonly teardownTimeoutMs: number
  private readonly newCopyCheckIntervalMs: number
  private newCopyTimer: ReturnType<typeof setInterval> | undefined
  private checkingNewCopies = false
  /** A restart for new copies failed and left no session: the next check tries again. */
  private restartPending = false
  /** The physical topics of the last session that started. */
  private lastTopics: readonly string[] = []
  private readonly emitter = new SafeEmitter<FailoverConsumerEvents>()
  private readonly writer: CheckpointWriter
  private readonly checkpointProducers = new Map<string, { producer: Producer, connected: boolean, connecting?: Promise<void> }>()
  /** This instance's last processed record per cluster, topic and partition: fresher than any replica. */
  private readonly positions = new Map<string, ProcessedPositions>()
  private readonly listeners: InstrumentationListener[] = []
  private session: ConsumerSession | undefined
  private subscription: FailoverSubscribeOptions | undefined
  private runConfig: FailoverRunConfig | undefined
  private state: 'new' | 'connected' | 'running' | 'closed' = 'new'
  private moving: Promise<void> = Promise.resolve()
  private unregister: (() => void) | undefined

  /** @internal Use `MultiClusterKafka.consumer()`. */
  constructor(private readonly ctx: FailoverContext, private readonly config: FailoverConsumerConfig) {
    expectObject(config, 'consumer')
    this.groupId = expectString(config.groupId, 'consumer.groupId')
    const checkpoint = config.checkpoint === undefined ? {} : expectObject(config.checkpoint, 'consumer.checkpoint', ['topic', 'intervalMs', 'writeToAllClusters'])
    this.checkpointTopic = expectString(checkpoint.topic, 'consumer.checkpoint.topic', DEFAULT_CHECKPOINT_TOPIC)
    this.writeToAllClusters = expectBoolean(checkpoint.writeToAllClusters, 'consumer.checkpoint.writeToAllClusters', false)
    this.teardownTimeoutMs = expectInt(config.teardownTimeoutMs, 'consumer.teardownTimeoutMs', 3000, { min: 1 })
    this.newCopyCheckIntervalMs = expectInt(config.newCopyCheckIntervalMs, 'consumer.newCopyCheckIntervalMs', 5000, { min: 0 })
    this.writer = new CheckpointWriter({
      group: this.groupId,
      topic: this.checkpointTopic,
      intervalMs: expectInt(checkpoint.intervalMs, 'consumer.checkpoint.intervalMs', 1000, { min: 10 }),
      targets: () => this.checkpointTargets(),
      collect: () => [...this.positions.values()].flatMap((p) => p.drain()),
      onWritten: (info) => this.emitter.emit('checkpoint:written', info),
      onError: (info) => this.emitter.emit('checkpoint:failed', info),
    })
    this.events = ctx.clusters[0]!.kafka.consumer({ groupId: this.groupId }).events
  }

  /** Resolves once an active cluster is known and the checkpoint topic exists there. */
  async connect(): Promise<void> {
    if (this.state === 'closed') throw new NotConnectedError('FailoverConsumer (disconnected; create a new one)')
    if (this.state !== 'new') return
    const active = await this.ctx.waitForActive(30_000)
    await this.prepareCluster(active)
    // The other clusters get the topic too (so MM2 sees it everywhere); a down one is retried when it returns.
    for (const c of this.ctx.clusters) if (c.name !== active) void this.prepareCluster(c.name).catch(() => {})
    this.unregister = this.ctx.addParticipant({ onSwitch: (change) => this.onSwitch(change) })
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
   * Starts consuming on the active cluster, each partition at the larger of the group's commit
   * there and the translation of its newest checkpoint.
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
    const active = await this.ctx.waitForActive(30_000)
    this.moving = this.positionAndStart(active, 'start').then(() => {})
    await this.moving
    if (this.newCopyCheckIntervalMs > 0) this.newCopyTimer = setInterval(() => this.checkForNewCopies(), this.newCopyCheckIntervalMs).unref()
  }

  /** Stops consuming (the group leaves the active cluster) and closes everything. */
  async disconnect(): Promise<void> {
    if (this.state === 'closed') return
    this.state = 'closed'
    clearInterval(this.newCopyTimer)
    this.unregister?.()
    const session = this.session
    this.session = undefined
    await session?.stop(this.teardownTimeoutMs)
    await this.writer.close()
    await Promise.all([...this.checkpointProducers.values()].map((p) => disconnectQuietly(p.producer, this.teardownTimeoutMs)))
  }

  /** Stops the current session's fetching (kafkajs `stop()`); `run()` is not restarted. */
  async stop(): Promise<void> {
    await this.current().stop()
  }

  /**
   * Commits offsets on the active cluster (physical topics, as in the payload's `physicalTopic`).
   * With `autoCommit: false` these commits are what gets checkpointed.
   */
  commitOffsets(...args: Parameters<Consumer['commitOffsets']>): ReturnType<Consumer['commitOffsets']> {
    return this.currentSession().commitOffsets(...args)
  }

  /** Seeks a partition of a physical topic on the active cluster. */
  seek(...args: Parameters<Consumer['seek']>): void {
    this.current().seek(...args)
  }

  /** Pauses physical topics (partitions) on the active cluster. Pauses do not survive a switch. */
  pause(...args: Parameters<Consumer['pause']>): void {
    this.currentSession().pause(...args)
  }

  /** Resumes paused physical topics (partitions) on the active cluster. */
  resume(...args: Parameters<Consumer['resume']>): void {
    this.current().resume(...args)
  }

  /** Describes the group on the active cluster. */
  describeGroup(): ReturnType<Consumer['describeGroup']> {
    return this.current().describeGroup()
  }

  /** The cluster the consumer runs on now. */
  get cluster(): string | undefined {
    return this.session?.cluster
  }

  /**
   * Listens to a kafkajs-dr event (`checkpoint:written`, `offsets:translated`, `consumer:moved`,
   * ...) or a kafkajs instrumentation event (`consumer.group_join`, ...; re-attached on every
   * cluster). Returns the remover.
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
    const remove = this.session?.consumer.on(entry[0], listener)
    return () => {
      this.listeners.splice(this.listeners.indexOf(entry), 1)
      remove?.()
    }
  }

  // ---- switching ----------------------------------------------------------------------------

  private onSwitch(change: ActiveChange): Promise<void> {
    if (this.state !== 'running' || change.from === undefined) return Promise.resolve()
    this.moving = this.moving.catch(() => {}).then(() => this.moveTo(change.to))
    return this.moving
  }

  /**
   * Restarts the session on its cluster when physical copies of the subscribed topics appeared
   * there since it started. Runs in line with switches, and never twice at once.
   */
  private checkForNewCopies(): void {
    if (this.checkingNewCopies || this.state !== 'running') return
    this.checkingNewCopies = true
    this.moving = this.moving.catch(() => {}).then(async () => {
      const cluster = this.ctx.activeCluster
      const session = this.session
      if (this.state !== 'running' || cluster === undefined) return
      // With a session elsewhere a switch is under way (and lists the copies itself); without one
      // the consumer waits for a switch, unless a restart of ours failed.
      if (session ? session.cluster !== cluster : !this.restartPending) return
      const added = (await this.physicalTopics(cluster)).filter((t) => !this.lastTopics.includes(t))
      if (session && added.length === 0) return
      log('new copies on %s for %s: %s', cluster, this.groupId, added.join(', ') || '(none: restarting)')
      await this.moveTo(cluster, 'new-copies', added)
    }).catch((error: unknown) => {
      this.restartPending = this.session === undefined
      log('checking %s for new copies failed: %s', this.groupId, errorMessage(error))
    }).finally(() => {
      this.checkingNewCopies = false
    })
  }

  private async moveTo(to: string, reason: 'switch' | 'new-copies' = 'switch', added: readonly string[] = []): Promise<void> {
    const started = Date.now()
    const from = this.session?.cluster
    const old = this.session
    this.session = undefined
    if (old) {
      // Fenced now (stop() fences before anything else); torn down in the background: a hung
      // cluster's disconnect must not delay the move.
      void old.stop(this.teardownTimeoutMs)
    }
    await pRetry(async () => {
      if (this.state !== 'running') throw new AbortError('consumer disconnected')
      if (this.ctx.activeCluster !== to) throw new AbortError(`active cluster moved on to ${this.ctx.activeCluster}`)
      const positionedBy = await this.positionAndStart(to, reason, added)
      this.emitter.emit('consumer:moved', { timestamp: Date.now(), group: this.groupId, from, to, reason, positionedBy, durationMs: Date.now() - started })
    }, {
      retries: 5,
      minTimeout: 500,
      maxTimeout: 5000,
      unref: true,
      onFailedAttempt: ({ error }) => {
        log('moving %s to %s failed: %s', this.groupId, to, errorMessage(error))
        this.emitter.emit('consumer:move-failed', { timestamp: Date.now(), group: this.groupId, to, error })
      },
      shouldRetry: ({ error }) => !(error instanceof KafkaDRError) || error.retriable,
    })
  }

  /**
   * Translates the group's positions onto `to`, positions the group there and starts a session.
   *
   * Every partition starts at the larger of the translated position and the group's own commit
   * on `to`: both are positions the group had processed up to (the commit possibly from an
   * earlier stay there), so the larger one loses nothing and repeats less. On `start` (a fresh
   * `run()`), partitions without any checkpoint are left to kafkajs and `fromBeginning`; this is
   * what lets an instance restarted during an outage resume from checkpoints on the survivor.
   * On `new-copies` (a restart on the same cluster) the same holds, except that the `added`
   * copies start at their translation or, without a checkpoint, at their start.
   */
  private async positionAndStart(to: string, reason: 'start' | 'switch' | 'new-copies', added: readonly string[] = []): Promise<'commit' | 'seek'> {
    await this.prepareCluster(to)
    // No flush first: a write still pending towards the dead cluster would hold the move for its
    // whole send timeout. This instance's own positions go into the translation directly (below),
    // and the writer's next tick stores them on the new cluster for the other instances.
    const connection = this.ctx.connection(to)
    const admin = await connection.admin()
    const topics = await this.physicalTopics(to)
    const result = await translateOffsets({
      group: this.groupId,
      targetCluster: to,
      admin,
      kafka: connection.kafka,
      clusters: this.ctx.clusters.map((c) => c.name),
      policy: this.ctx.replicationPolicy,
      topics,
      checkpointTopic: this.checkpointTopic,
      translators: this.config.translators,
      // Only a switch may fail for want of a checkpoint; otherwise the group's commits and
      // `fromBeginning` decide (and new copies start at their start).
      onMissingCheckpoint: reason === 'switch' ? this.config.onMissingCheckpoint : 'earliest',
      timestampSafetyMarginMs: this.config.timestampSafetyMarginMs,
      extraCheckpoints: [...this.positions.values()].flatMap((p) => p.checkpoints(this.groupId)),
    })
    this.emitter.emit('offsets:translated', result)
    const positions = await this.startingPositions(admin, result, topics, reason, added)
    try {
      await commitTranslatedOffsets(admin, { ...result, partitions: positions }, { kafka: connection.kafka })
      await this.startSession(to, topics)
      return 'commit'
    } catch (error) {
      if (!(error instanceof GroupNotEmptyError)) throw error
      // Other members already run on `to` (another instance moved first, or a restarted cluster
      // still remembers members). At start their commits stand; otherwise join and seek.
      await this.startSession(to, topics, reason === 'start' ? undefined : new Map(positions.map((p) => [partitionKey(p.topic, p.partition), p.offset])))
      return 'seek'
    }
  }

  /** Per partition, the larger of the translated position and the group's commit on the cluster. */
  private async startingPositions(admin: Admin, result: TranslationResult, topics: string[], reason: 'start' | 'switch' | 'new-copies', added: readonly string[]): Promise<TranslationResult['partitions']> {
    const committed = new Map<string, bigint>()
    for (const t of await admin.fetchOffsets({ groupId: this.groupId, topics })) {
      for (const p of t.partitions) if (BigInt(p.offset) >= 0n) committed.set(partitionKey(t.topic, p.partition), BigInt(p.offset))
    }
    return result.partitions
      .filter((p) => reason === 'switch' || (p.method !== 'earliest' && p.method !== 'latest') || added.includes(p.topic))
      .map((p) => {
        const group = committed.get(partitionKey(p.topic, p.partition))
        return group !== undefined && group > BigInt(p.offset) ? { ...p, offset: group.toString() } : p
      })
  }

  private async startSession(cluster: string, topics: string[], seekOnJoin?: Map<string, string>): Promise<void> {
    const session = new ConsumerSession({
      cluster,
      kafka: this.ctx.connection(cluster).kafka,
      config: { allowAutoTopicCreation: false, ...this.config },
      policy: this.ctx.replicationPolicy,
      positions: this.positionsOn(cluster),
    })
    this.session = session
    try {
      await session.start(topics, this.subscription!.fromBeginning ?? false, this.runConfig!, this.listeners, seekOnJoin)
    } catch (error) {
      if (this.session === session) this.session = undefined
      await session.stop(this.teardownTimeoutMs)
      throw error
    }
    this.lastTopics = topics
    this.restartPending = false
    // disconnect() may have run while this session was starting: it must not outlive the consumer.
    if (this.state === 'closed') {
      this.session = undefined
      await session.stop(this.teardownTimeoutMs)
    }
  }

  /**
   * The physical copies of the subscribed logical topics that exist on `cluster`. A logical topic
   * with no copy there at all keeps its local name, so kafkajs reports (or auto-creates) it as it
   * would without kafkajs-dr. Copies that appear later are found by `checkForNewCopies`.
   */
  private async physicalTopics(cluster: string): Promise<string[]> {
    const admin = await this.ctx.connection(cluster).admin()
    const existing = new Set(await withTimeout(admin.listTopics(), 10_000, `listing topics of '${cluster}'`, { cluster }))
    const names = this.ctx.clusters.map((c) => c.name)
    return this.subscription!.topics.flatMap((logical) => {
      const copies = this.ctx.replicationPolicy.physicalTopicsFor(logical, cluster, names)
      const present = copies.filter((t) => existing.has(t))
      return present.length > 0 ? present : copies.slice(0, 1)
    })
  }

  // ---- checkpoints --------------------------------------------------------------------------

  private positionsOn(cluster: string): ProcessedPositions {
    let positions = this.positions.get(cluster)
    if (!positions) {
      positions = new ProcessedPositions(cluster)
      this.positions.set(cluster, positions)
    }
    return positions
  }

  private checkpointTargets(): CheckpointTarget[] {
    const active = this.ctx.activeCluster
    const names = this.writeToAllClusters ? this.ctx.clusters.map((c) => c.name) : active ? [active] : []
    const targets: CheckpointTarget[] = []
    for (const name of names) {
      const entry = this.checkpointProducer(name)
      if (entry.connected) targets.push({ cluster: name, producer: entry.producer })
    }
    return targets
  }

  private checkpointProducer(cluster: string): { producer: Producer, connected: boolean, connecting?: Promise<void> } {
    let entry = this.checkpointProducers.get(cluster)
    if (!entry) {
      entry = { producer: this.ctx.connection(cluster).kafka.producer({ retry: FAILOVER_RETRY, allowAutoTopicCreation: false }), connected: false }
      this.checkpointProducers.set(cluster, entry)
    }
    if (!entry.connected && !entry.connecting) {
      const e = entry
      e.connecting = e.producer.connect().then(() => { e.connected = true }).finally(() => { e.connecting = undefined })
      e.connecting.catch((error: unknown) => log('checkpoint producer for %s: %s', cluster, errorMessage(error)))
    }
    return entry
  }

  /** The checkpoint topic exists on `cluster` and its checkpoint producer is connected. */
  private async prepareCluster(cluster: string): Promise<void> {
    const admin = await this.ctx.connection(cluster).admin()
    await withTimeout(ensureCheckpointTopic(admin, this.checkpointTopic), 15_000, `creating ${this.checkpointTopic} on '${cluster}'`, { cluster })
    const entry = this.checkpointProducer(cluster)
    if (entry.connecting) await withTimeout(entry.connecting, 10_000, `checkpoint producer of '${cluster}'`, { cluster })
  }

  private current(): Consumer {
    return this.currentSession().consumer
  }

  private currentSession(): ConsumerSession {
    if (!this.session) throw new NotConnectedError('FailoverConsumer (not running on any cluster right now)')
    return this.session
  }

  private assertState(expected: 'connected', what: string): void {
    if (this.state !== expected) throw new NotConnectedError(`FailoverConsumer (${what} needs a connected, not yet running consumer; state is ${this.state})`)
  }
}
