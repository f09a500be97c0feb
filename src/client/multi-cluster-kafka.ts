/**
 * The multi-cluster client: owns one connection per cluster, runs discovery, carries out
 * switches of the active cluster (serially, one at a time) and hands out failover producers
 * and consumers that follow it.
 */
import type { Kafka } from 'kafkajs'
import { ClusterConnection, isKafkaInstance, kafkaFromConfig } from '../cluster/index.js'
import { createPolicy } from '../discovery/create-policy.js'
import { Discovery } from '../discovery/discovery.js'
import type { DiscoveryPolicy } from '../discovery/types.js'
import { asKafkaDRError, FailoverError, NotConnectedError } from '../errors/index.js'
import { FailoverConsumer } from '../consumer/failover-consumer.js'
import type { FailoverConsumerConfig } from '../consumer/config.js'
import { FailoverProducer } from '../producer/failover-producer.js'
import type { FailoverProducerConfig } from '../producer/types.js'
import { ReplicationLagMonitor } from '../replication/lag-monitor.js'
import { createReplicationPolicy, ProvenanceStamper, type ReplicationPolicy } from '../topology/index.js'
import { errorMessage, logger } from '../util/log.js'
import { SafeEmitter } from '../util/safe-emitter.js'
import { withTimeout } from '../util/timeout.js'
import { ClientContext } from './context.js'
import { drainInto } from './drain.js'
import { withPin } from './pinned-policy.js'
import type { MultiClusterEvents } from './events.js'
import { resolveOptions, type ResolvedOptions } from './options.js'
import { SwitchQueue } from './switch-queue.js'
import type { FailoverRequest, FailoverResult, MultiClusterKafkaOptions, MultiClusterStatus, SwitchKind } from './types.js'
import { byPreference } from '../discovery/policies.js'

const log = logger('client')

/**
 * One client over several Kafka clusters kept in sync by a replicator. It discovers which
 * cluster is active, moves producers and consumers when that changes, and moves them back.
 *
 * @example
 * ```ts
 * const dr = new MultiClusterKafka({
 *   clusters: {
 *     dc1: { kafka: new Kafka({ clientId: 'app', brokers: ['dc1:9092'] }), priority: 1 },
 *     dc2: { kafka: { clientId: 'app', brokers: ['dc2:9092'] }, priority: 2 },
 *   },
 *   localCluster: 'dc1',
 * })
 * dr.on('failover:complete', (e) => console.log(`now on ${e.to}: ${e.reason}`))
 * await dr.connect()
 * const producer = dr.producer()
 * ```
 *
 * @group Client
 */
export class MultiClusterKafka {
  /** How the replicator names topics on each cluster (from the `replication` option). */
  readonly replicationPolicy: ReplicationPolicy
  private readonly options: ResolvedOptions
  private readonly policy: DiscoveryPolicy
  private readonly discovery: Discovery
  /** What producers and consumers are given; never reachable from outside the package. */
  private readonly context: ClientContext
  /** Behind on/off/once: only the client emits its events. */
  private readonly events = new SafeEmitter<MultiClusterEvents>()
  private pinned: string | undefined
  private state: 'new' | 'connecting' | 'connected' | 'closed' = 'new'
  private closing: Promise<void> | undefined
  /** Aborted by disconnect(): stops work that outlived it (a planned switch's wait). */
  private readonly closed = new AbortController()
  private readonly stamper: ProvenanceStamper | undefined
  private readonly lagMonitor: ReplicationLagMonitor | undefined
  private readonly switches: SwitchQueue

  constructor(options: MultiClusterKafkaOptions) {
    this.options = resolveOptions(options)
    const { clientId } = this.options
    const clusters = this.options.clusters
      .map((c) => new ClusterConnection(c.name, c.priority, isKafkaInstance(c.kafka) ? c.kafka : kafkaFromConfig({ clientId, ...c.kafka })))
      .sort(byPreference(this.options.localCluster))
    const names = clusters.map((c) => c.name)
    this.replicationPolicy = createReplicationPolicy(this.options.replication, names)
    this.stamper =
      this.options.provenance === false ? undefined : new ProvenanceStamper({ header: this.options.provenance?.header, clusters: names })
    this.policy = createPolicy(this.options.discovery, clusters, this.options.health.timeoutMs, (ignored) =>
      this.events.emit('declaration:ignored', { timestamp: Date.now(), ...ignored }),
    )
    this.context = new ClientContext({
      clusters,
      replicationPolicy: this.replicationPolicy,
      discovery: () => this.discovery,
      provenanceHeader: this.stamper?.header,
      connectTimeoutMs: this.options.connectTimeoutMs,
    })
    this.discovery = new Discovery(
      clusters,
      this.options.localCluster,
      withPin(this.policy, () => this.pinned),
      this.options.health,
      {
        onPolicyError: (error) =>
          this.events.emit('discovery:policy-failed', { timestamp: Date.now(), policy: error.policy, timedOut: error.timedOut, error }),
        active: () => this.context.activeCluster,
        onProbe: (cluster, result) => {
          const timestamp = Date.now()
          if (result.ok) this.switches.healthyAt(cluster, timestamp)
          this.events.emit('cluster:probe', {
            timestamp,
            cluster,
            ok: result.ok,
            durationMs: result.latencyMs,
            error: result.ok ? undefined : asKafkaDRError(result.error, `Health probe of '${cluster}' failed`, { cluster }),
          })
        },
        // A failed switch is reported by failover:failed; nobody else waits for a policy's decision.
        onDecision: (to) => {
          this.switches
            .request(to, this.kindOf(to), this.reasonFor(to))
            .catch((error: unknown) => log('switch to %s: %s', to, errorMessage(error)))
        },
        onHealthChange: (cluster, health, detail) => {
          const timestamp = Date.now()
          if (health === 'up') {
            this.events.emit('cluster:up', { timestamp, cluster, clusterId: detail.clusterId })
            this.context.clusterUp(cluster)
          } else if (health === 'down') {
            this.events.emit('cluster:down', {
              timestamp,
              cluster,
              error:
                detail.error === undefined ? undefined : asKafkaDRError(detail.error, `Health probe of '${cluster}' failed`, { cluster }),
            })
            this.context.clusterDown(cluster)
            if (this.pinned === cluster) this.pinned = undefined
          }
        },
      },
      { decideTimeoutMs: this.options.discovery.decideTimeoutMs },
    )
    const lag = this.options.replicationLag
    this.lagMonitor =
      lag === undefined
        ? undefined
        : new ReplicationLagMonitor(clusters, this.replicationPolicy, lag, {
            healthOf: (cluster) => this.discovery.healthOf(cluster),
            onLagging: (f) =>
              this.events.emit('replication:lagging', {
                timestamp: f.checkedAt ?? Date.now(),
                source: f.source,
                target: f.target,
                lagMs: f.lagMs ?? 0,
                thresholdMs: lag.thresholdMs,
              }),
            onRecovered: (f) =>
              this.events.emit('replication:recovered', {
                timestamp: f.checkedAt ?? Date.now(),
                source: f.source,
                target: f.target,
                lagMs: f.lagMs ?? 0,
                thresholdMs: lag.thresholdMs,
              }),
          })
    this.switches = new SwitchQueue({
      context: this.context,
      lagMonitor: this.lagMonitor,
      switchTimeoutMs: this.options.switchTimeoutMs,
      events: this.events,
    })
  }

  /**
   * Calls `listener` on every `event` (see {@link MultiClusterEvents} for the events and their
   * payloads). A listener that throws or rejects does not disturb the client or the other
   * listeners: the error is logged under `kafkajs-dr:events`.
   *
   * @returns The client, to chain calls.
   *
   * @example
   * ```ts
   * dr.on('failover:complete', (e) => console.log(`now on ${e.to} after ${e.durationMs} ms`))
   * ```
   */
  on<E extends keyof MultiClusterEvents>(event: E, listener: MultiClusterEvents[E]): this {
    this.events.on(event, listener as never)
    return this
  }

  /**
   * Calls `listener` on the next `event` only, as {@link MultiClusterKafka.on} does.
   *
   * @returns The client, to chain calls.
   */
  once<E extends keyof MultiClusterEvents>(event: E, listener: MultiClusterEvents[E]): this {
    this.events.once(event, listener as never)
    return this
  }

  /**
   * Removes `listener` from `event`, as added by {@link MultiClusterKafka.on} or
   * {@link MultiClusterKafka.once}; other listeners of `event` stay.
   *
   * @returns The client, to chain calls.
   */
  off<E extends keyof MultiClusterEvents>(event: E, listener: MultiClusterEvents[E]): this {
    this.events.off(event, listener as never)
    return this
  }

  /** The active cluster's name, or undefined before `connect()` found one. */
  get activeCluster(): string | undefined {
    return this.context.activeCluster
  }

  /** Increases with every change of the active cluster. */
  get generation(): number {
    return this.switches.generation
  }

  /**
   * The kafkajs client of one cluster (the instance given, or the one built from its config).
   *
   * @throws {@link UnknownClusterError} for a name that is not one of the configured clusters.
   */
  kafka(cluster: string): Kafka {
    return this.context.connection(cluster).kafka
  }

  /**
   * Probes every cluster and resolves once an active cluster is chosen. Rejects with
   * {@link NoActiveClusterError} when none is healthy within `connectTimeoutMs`, and as soon as
   * every cluster has refused the SASL login or presented a certificate the client does not trust,
   * with an {@link AuthenticationError} (the most preferred cluster's). Rejects with a
   * {@link DiscoveryPolicyError} when the discovery policy's `start()` rejects or takes longer
   * than `connectTimeoutMs`; the client can then connect again.
   */
  async connect(): Promise<void> {
    if (this.state === 'connected' || this.state === 'connecting')
      return this.context.waitForActive(this.options.connectTimeoutMs).then(() => undefined)
    if (this.state === 'closed') throw new NotConnectedError('MultiClusterKafka (disconnected; create a new one)')
    this.state = 'connecting'
    try {
      await this.discovery.start(this.options.connectTimeoutMs)
      if (this.closing) throw new NotConnectedError('MultiClusterKafka (disconnected while connecting)')
      // Ends early when every cluster refused the client's credentials or certificate: waiting would not mend it.
      await this.context.waitForConnect(this.options.connectTimeoutMs)
      if (this.closing) throw new NotConnectedError('MultiClusterKafka (disconnected while connecting)')
      this.state = 'connected'
      this.lagMonitor?.start()
      log('connected; active cluster %s', this.context.activeCluster)
    } catch (error) {
      // A disconnect while connecting keeps the client closed (and has stopped discovery itself, but
      // not a start that was still under way then).
      if (!this.closing) this.state = 'new'
      await this.discovery.stop()
      throw error
    }
  }

  /**
   * Stops discovery and closes every connection this client opened, within `teardownTimeoutMs`
   * whatever state the clusters are in. Producers and consumers should be disconnected first. A
   * second call, or one made while connecting, resolves with the first.
   */
  disconnect(): Promise<void> {
    this.closing ??= this.close()
    return this.closing
  }

  private async close(): Promise<void> {
    const timeoutMs = this.options.teardownTimeoutMs
    const deadline = Date.now() + timeoutMs
    this.state = 'closed'
    this.closed.abort(new NotConnectedError('MultiClusterKafka (disconnected during a planned switch)'))
    this.lagMonitor?.stop()
    // A probe in flight on a hung cluster runs to its own timeout; it is not waited for past the bound.
    await withTimeout(this.discovery.stop(), timeoutMs, 'stopping discovery').catch(() => {})
    await Promise.all(this.context.clusters.map((c) => c.close(deadline - Date.now())))
  }

  /** Each cluster's health, the active one, the last switch. */
  status(): MultiClusterStatus {
    const view = this.discovery.view()
    return {
      active: this.context.activeCluster,
      policy: this.policy.name,
      pinned: this.pinned,
      switching: this.switches.switching,
      lastSwitch: this.switches.lastSwitch,
      clusters: view.clusters.map((c) => ({
        ...c,
        clusterId: this.context.connection(c.name).clusterId,
        lastError: this.discovery.lastErrorOf(c.name)?.message,
      })),
      replication: this.lagMonitor?.status() ?? [],
    }
  }

  /**
   * Switches to `cluster` now (an operator's drill or planned maintenance) and pins it: the
   * policy will not move away while it stays healthy. {@link MultiClusterKafka.unpin} hands
   * control back to the policy. Rejects for an unknown or unhealthy cluster, and with a
   * {@link FailoverError} when the switch was made but some participants failed to move (its
   * `participants` names each with its error; the active cluster is `cluster` regardless) or when
   * a newer switch to another cluster replaced it before it began. Resolves with the participants
   * that moved.
   *
   * With `drain`, a planned switch: it first waits until `cluster` has caught up with the active
   * cluster (see {@link FailoverRequest.drain}) and rejects with a {@link DrainTimeoutError},
   * switching nothing, when it does not in time, and with a {@link NotConnectedError} as soon as
   * the client is disconnected while it waits.
   *
   * @example
   * ```ts
   * const result = await dr.failover('dc2', { reason: 'dc1 maintenance', drain: { maxLagMs: 2000 } })
   * console.log(`now on ${result.to}; waited ${result.drain?.waitedMs} ms, ${result.drain?.lagMs} ms behind`)
   * ```
   */
  async failover(cluster: string, request: FailoverRequest = {}): Promise<FailoverResult> {
    const connection = this.context.connection(cluster)
    if (this.state !== 'connected') throw new NotConnectedError('MultiClusterKafka')
    const probe = await connection.probe(this.options.health.timeoutMs)
    if (!probe.ok) throw new FailoverError(`Cannot fail over to '${cluster}': ${probe.error.message}`, { cluster, cause: probe.error })
    const from = this.context.activeCluster
    const drained =
      request.drain === undefined || request.drain === false || from === undefined || from === cluster
        ? undefined
        : await drainInto(this.lagMonitor, from, cluster, request.drain === true ? {} : request.drain, this.closed.signal)
    this.pinned = cluster
    const moved = await this.switches.request(cluster, 'manual', request.reason ?? 'manual')
    return drained === undefined ? { from, to: cluster, moved } : { from, to: cluster, moved, drain: drained }
  }

  /** Lets the discovery policy choose again after a manual {@link MultiClusterKafka.failover}. */
  unpin(): void {
    this.pinned = undefined
    void this.discovery.decide()
  }

  /**
   * A producer with the kafkajs Producer API that writes to the active cluster and re-sends
   * across a switch.
   */
  producer(config: FailoverProducerConfig = {}): FailoverProducer {
    const producer = new FailoverProducer(this.context, config, this.stamper)
    this.events.emit('producer:created', { timestamp: Date.now(), producer })
    return producer
  }

  /**
   * A consumer with the kafkajs Consumer API that reads the active cluster's copies of its
   * logical topics, checkpoints its positions and moves the group on every switch.
   *
   * @example
   * ```ts
   * const consumer = dr.consumer({ groupId: 'billing' })
   * await consumer.connect()
   * await consumer.subscribe({ topics: ['orders'], fromBeginning: true })
   * await consumer.run({ eachMessage: async ({ topic, cluster, originCluster, message }) => {} })
   * ```
   */
  consumer(config: FailoverConsumerConfig): FailoverConsumer {
    const consumer = new FailoverConsumer(this.context, config)
    this.events.emit('consumer:created', { timestamp: Date.now(), group: consumer.groupId, consumer })
    return consumer
  }

  // ---- what a switch is called ----------------------------------------------------------------

  private kindOf(to: string): SwitchKind {
    const preferred = this.context.clusters[0]?.name === to || this.options.localCluster === to
    return this.context.activeCluster !== undefined && preferred ? 'failback' : 'failover'
  }

  private reasonFor(to: string): string {
    const active = this.context.activeCluster
    if (active === undefined) return `initial choice of ${this.policy.name} policy`
    const health = this.discovery.healthOf(active)
    return health === 'up' ? `${this.policy.name} policy prefers ${to}` : `active cluster ${active} is ${health}`
  }
}
