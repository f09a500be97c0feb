/**
 * The example service the drill runs: what an application built on kafkajs-dr looks like, through
 * the public API only. Each instance has its own `MultiClusterKafka` client (the priority policy,
 * the library's default health checks, a short failback delay) and a consumer of one group;
 * the first instance also runs the producer load. Every event of the clients and consumers goes
 * into the drill's timeline, and every record consumed into its ledger.
 */
import { setTimeout as delay } from 'node:timers/promises'
import kafkajs from 'kafkajs'
import { MultiClusterKafka, type FailoverConsumer, type FailoverProducer } from '../index.js'
import { kafkaConfig, type DrillCluster } from './options.js'
import type { RecordLedger } from './ledger.js'
import { SteadyLoad } from './load.js'
import type { DrillTimeline } from './timeline.js'

/** Settings of the example service. */
export interface ServiceSettings {
  /** The clusters, most preferred first (priority 1, 2, ...). */
  clusters: DrillCluster[]
  topic: string
  partitions: number
  groupId: string
  /** Marks the drill's records. */
  runId: string
  rate: number
  recordBytes: number
  consumers: number
  failbackDelayMs: number
  /** The producer's `deliveryTimeoutMs`; undefined: the library's default. */
  deliveryTimeoutMs?: number | undefined
}

/** One instance of the service: its client and its consumer. */
interface Instance {
  dr: MultiClusterKafka
  consumer: FailoverConsumer
}

/**
 * The client's options as the drill uses them, for the report: everything not listed here is the
 * library's default.
 */
export function clientSettings(settings: Pick<ServiceSettings, 'clusters' | 'failbackDelayMs'>): Record<string, unknown> {
  return {
    clusters: Object.fromEntries(settings.clusters.map((c, i) => [c.name, { brokers: c.brokers, priority: i + 1 }])),
    localCluster: settings.clusters[0]!.name,
    discovery: { policy: 'priority', failbackDelayMs: settings.failbackDelayMs },
    health: 'library defaults',
    producer: 'library defaults',
    consumer: 'library defaults (autoCommit, checkpoints every second)',
  }
}

/** When records were consumed: per cluster the newest, and the longest pause while the load ran. */
class ConsumeTimes {
  private readonly lastFrom = new Map<string, number>()
  private last: number | undefined
  private longestGap = 0

  constructor(private readonly load: () => SteadyLoad | undefined) {}

  delivered(cluster: string, at: number): void {
    this.lastFrom.set(cluster, at)
    const load = this.load()
    if (load?.startedAt !== undefined && (load.stoppedAt === undefined || at <= load.stoppedAt)) {
      this.longestGap = Math.max(this.longestGap, at - Math.max(this.last ?? load.startedAt, load.startedAt))
    }
    this.last = at
  }

  lastConsumedFrom(cluster: string, before: number): number | undefined {
    const at = this.lastFrom.get(cluster)
    return at !== undefined && at < before ? at : undefined
  }

  /** The longest pause within `[from, to]`, a pause still under way at `to` included. */
  longestGapUntil(from: number, to: number): number {
    return Math.max(this.longestGap, to - Math.max(this.last ?? from, from))
  }
}

/** The running example service. */
export class DrillService {
  private constructor(
    private readonly instances: Instance[],
    readonly producer: FailoverProducer,
    readonly load: SteadyLoad,
    private readonly consumeTimes: ConsumeTimes,
  ) {}

  /** The newest record consumed from `cluster` before `before` (ms since epoch). */
  lastConsumedFrom(cluster: string, before: number): number | undefined {
    return this.consumeTimes.lastConsumedFrom(cluster, before)
  }

  /** Longest time without a record consumed within `[from, to]` (the load's run), in ms. */
  longestConsumeGap(from: number, to: number): number {
    return this.consumeTimes.longestGapUntil(from, to)
  }

  /** The client of the first instance (the one that produces). */
  get client(): MultiClusterKafka {
    return this.instances[0]!.dr
  }

  /** Where each consumer instance reads now. */
  consumerClusters(): Array<string | undefined> {
    return this.instances.map((i) => i.consumer.cluster)
  }

  /**
   * Connects every instance, creates the topic on every cluster (when missing), and starts the
   * consumers; the load starts with {@link startLoad}.
   */
  static async start(settings: ServiceSettings, ledger: RecordLedger, timeline: DrillTimeline): Promise<DrillService> {
    const instances: Instance[] = []
    let load: SteadyLoad | undefined
    const consumeTimes = new ConsumeTimes(() => load)
    try {
      for (let i = 0; i < settings.consumers; i++) {
        const dr = createClient(settings)
        watchClient(dr, i, timeline)
        await dr.connect()
        if (i === 0 && !(await createTopic(dr, settings))) {
          timeline.add({
            type: 'note',
            detail: `the topic's copies (${settings.clusters.map((c) => `${c.name}.${settings.topic}`).join(', ')}) did not all appear within ${COPIES_TIMEOUT_MS / 1000} s: is the replicator running with the default naming?`,
          })
        }
        const consumer = dr.consumer({ groupId: settings.groupId })
        watchConsumer(consumer, i, timeline)
        instances.push({ dr, consumer })
      }
      timeline.setActive(instances[0]!.dr.activeCluster)
      for (const [index, { consumer }] of instances.entries()) {
        await consumer.connect()
        await consumer.subscribe({ topics: [settings.topic], fromBeginning: true })
        await consumer.run({
          eachMessage: async ({ message, cluster }) => {
            const at = Date.now()
            // Records of another run (a topic given with --topic) are not the drill's.
            if (message.value?.toString('latin1', 0, settings.runId.length) !== settings.runId) return
            const delivery = ledger.consume(Number(message.key?.toString()), at)
            if (delivery === undefined) return
            timeline.count('consumed', 1, at)
            if (delivery === 'duplicate') timeline.countDuplicate()
            timeline.setConsumerCluster(index, cluster, at)
            consumeTimes.delivered(cluster, at)
          },
        })
      }
      const producer = instances[0]!.dr.producer(
        settings.deliveryTimeoutMs === undefined ? {} : { deliveryTimeoutMs: settings.deliveryTimeoutMs },
      )
      await producer.connect()
      load = new SteadyLoad(
        producer,
        { topic: settings.topic, rate: settings.rate, recordBytes: settings.recordBytes, runId: settings.runId },
        ledger,
        timeline,
      )
      return new DrillService(instances, producer, load, consumeTimes)
    } catch (error) {
      await Promise.all(instances.map((i) => i.dr.disconnect().catch(() => undefined)))
      throw error
    }
  }

  /** Starts the producer load. */
  startLoad(): void {
    this.load.start()
  }

  /** Stops the load and waits until every send in flight has settled. */
  async stopLoad(): Promise<void> {
    await this.load.stop()
  }

  /**
   * Shuts down in the usual order (load, consumers, producer, clients), each bounded by the
   * library's teardown timeouts. After a Ctrl-C the load may still run: its schedule stops first,
   * and the sends still in flight end with the producer's disconnect.
   */
  async stop(): Promise<void> {
    await this.load.halt()
    await Promise.all(this.instances.map((i) => i.consumer.disconnect().catch(() => undefined)))
    await this.producer.disconnect().catch(() => undefined)
    await this.load.settled()
    await Promise.all(this.instances.map((i) => i.dr.disconnect().catch(() => undefined)))
  }
}

function createClient(settings: ServiceSettings): MultiClusterKafka {
  return new MultiClusterKafka({
    clusters: Object.fromEntries(
      settings.clusters.map((c, i) => [
        c.name,
        {
          // A config rather than a Kafka instance: kafkajs-dr gives it failover-friendly timeouts.
          // kafkajs' own error logs would scroll over the live view during an outage: the events say it.
          kafka: { clientId: 'kafkajs-dr-drill', ...kafkaConfig(c), logLevel: kafkajs.logLevel.NOTHING },
          priority: i + 1,
        },
      ]),
    ),
    localCluster: settings.clusters[0]!.name,
    discovery: { policy: 'priority', failbackDelayMs: settings.failbackDelayMs },
  })
}

/** Most time to wait for the replicator to create the topic's copies. */
const COPIES_TIMEOUT_MS = 30_000

/**
 * Creates the drill topic on every cluster unless it exists, then waits until the replicator has
 * created its copies (`dc2.<topic>` on dc1, ...). In production a topic and its copies exist long
 * before a datacenter fails; a consumer that started before a copy existed restarts its session
 * when the copy appears, and that restart is no part of what the drill is about. Returns false
 * when the copies did not appear in time (the drill goes on; a note says so).
 */
async function createTopic(dr: MultiClusterKafka, settings: ServiceSettings): Promise<boolean> {
  const names = settings.clusters.map((c) => c.name)
  const admins = names.map((name) => dr.kafka(name).admin())
  await Promise.all(admins.map((admin) => admin.connect()))
  try {
    await Promise.all(
      admins.map((admin) =>
        admin.createTopics({ topics: [{ topic: settings.topic, numPartitions: settings.partitions }], waitForLeaders: true }),
      ),
    )
    const deadline = Date.now() + COPIES_TIMEOUT_MS
    for (;;) {
      const listed = await Promise.all(admins.map((admin) => admin.listTopics()))
      const complete = names.every((name, i) =>
        names.filter((n) => n !== name).every((other) => listed[i]!.includes(`${other}.${settings.topic}`)),
      )
      if (complete) return true
      if (Date.now() >= deadline) return false
      await delay(250)
    }
  } finally {
    await Promise.all(admins.map((admin) => admin.disconnect()))
  }
}

function errorText(error: { message: string } | undefined): string {
  return error === undefined ? '' : `: ${error.message}`
}

function watchClient(dr: MultiClusterKafka, instance: number, timeline: DrillTimeline): void {
  // Cluster health and switches are the same for every instance in one process: record the
  // first instance's, and the others' only when they differ (a failed switch).
  const first = instance === 0
  if (first) {
    dr.on('cluster:down', (e) =>
      timeline.add({ at: e.timestamp, type: 'cluster:down', cluster: e.cluster, detail: `${e.cluster} is down${errorText(e.error)}` }),
    )
    dr.on('cluster:up', (e) => timeline.add({ at: e.timestamp, type: 'cluster:up', cluster: e.cluster, detail: `${e.cluster} is up` }))
    dr.on('failover:start', (e) => {
      timeline.setActive(e.to, e.timestamp)
      timeline.add({
        at: e.timestamp,
        type: 'failover:start',
        from: e.from,
        to: e.to,
        detail: `${e.kind} ${e.from ?? '-'} -> ${e.to}: ${e.reason}`,
      })
    })
    dr.on('failover:complete', (e) =>
      timeline.add({
        at: e.timestamp + e.durationMs,
        type: 'failover:complete',
        from: e.from,
        to: e.to,
        detail: `${e.kind} to ${e.to} complete in ${e.durationMs} ms${e.replicationLagMs === undefined ? '' : `; data at risk: ${e.from} -> ${e.to} was ${e.replicationLagMs} ms behind`}`,
        replicationLagMs: e.replicationLagMs,
      }),
    )
    dr.on('replication:lagging', (e) =>
      timeline.add({
        at: e.timestamp,
        type: 'replication:lagging',
        detail: `replication ${e.source} -> ${e.target} ${e.lagMs} ms behind (threshold ${e.thresholdMs} ms)`,
      }),
    )
    dr.on('replication:recovered', (e) =>
      timeline.add({
        at: e.timestamp,
        type: 'replication:recovered',
        detail: `replication ${e.source} -> ${e.target} caught up (${e.lagMs} ms behind)`,
      }),
    )
    dr.on('failback', (e) =>
      timeline.add({
        at: e.timestamp + e.durationMs,
        type: 'failback',
        from: e.from,
        to: e.to,
        detail: `back on ${e.to} (${e.durationMs} ms)`,
      }),
    )
  }
  dr.on('failover:failed', (e) =>
    timeline.add({
      at: Date.now(),
      type: 'failover:failed',
      from: e.from,
      to: e.to,
      instance,
      detail: `switch to ${e.to} failed${errorText(e.error)}`,
    }),
  )
}

function watchConsumer(consumer: FailoverConsumer, instance: number, timeline: DrillTimeline): void {
  consumer.on('consumer:moved', (e) =>
    timeline.add({
      at: e.timestamp,
      type: 'consumer:moved',
      from: e.from,
      to: e.to,
      instance,
      detail: `consumer ${instance} moved ${e.from ?? '-'} -> ${e.to} (${e.reason}, via ${e.via}, ${e.durationMs} ms)`,
    }),
  )
  consumer.on('consumer:move-failed', (e) =>
    timeline.add({
      at: e.timestamp,
      type: 'consumer:move-failed',
      to: e.to,
      instance,
      detail: `consumer ${instance} move to ${e.to} failed (attempt ${e.attempt})${errorText(e.error)}`,
    }),
  )
  consumer.on('consumer:session-crashed', (e) =>
    timeline.add({
      at: e.timestamp,
      type: 'consumer:session-crashed',
      cluster: e.cluster,
      instance,
      detail: `consumer ${instance} session on ${e.cluster} crashed${errorText(e.error)}`,
    }),
  )
  consumer.on('consumer:split', (e) =>
    timeline.add({
      at: e.timestamp,
      type: 'consumer:split',
      instance,
      detail: `consumer ${instance}: group split, others on ${Object.keys(e.elsewhere).join(', ')}`,
    }),
  )
  consumer.on('checkpoints:undecodable', (e) =>
    timeline.add({
      at: e.timestamp,
      type: 'checkpoints:undecodable',
      cluster: e.cluster,
      instance,
      detail: `consumer ${instance}: ${e.count} undecodable checkpoint record(s) skipped on ${e.cluster}`,
    }),
  )
  consumer.on('consumer:split-ended', (e) =>
    timeline.add({
      at: e.timestamp,
      type: 'consumer:split-ended',
      instance,
      detail: `consumer ${instance}: split ended after ${e.durationMs} ms`,
    }),
  )
}
