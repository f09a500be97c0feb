/**
 * Replication lag, sampled every second for every flow `source -> target`, two ways:
 * - records: the drill topic's high watermarks on the source minus those of its replica on the
 *   target (`<source>.<topic>`, MirrorMaker 2's default naming). A replica keeps a partition's
 *   records one for one, so this is the number of acknowledged records that only the source holds:
 *   the data at risk if the source dies now.
 * - time: the age of the newest MirrorMaker 2 heartbeat the flow delivered (`<source>.heartbeats`
 *   on the target, read with ListOffsets by time: no consumer group). MM2 writes one a second, so
 *   a healthy flow reads about a second.
 * The drill's own admin clients (with each cluster's TLS and SASL settings), with short timeouts: a dead or hung cluster makes a sample
 * incomplete, never late.
 */
import kafkajs from 'kafkajs'
import { newestTimestamp } from '../replication/heartbeats.js'
import type { FlowSample, ReplicationSample } from './timeline.js'

const { Kafka, logLevel } = kafkajs

/** Sampling period, in ms. */
export const SAMPLE_INTERVAL_MS = 1000

/** Samples the replication lag of every flow between `clusters` (each one's kafkajs config). */
export class ReplicationMonitor {
  private readonly admins = new Map<string, kafkajs.Admin>()
  private readonly connected = new Map<string, Promise<void>>()
  private timer: NodeJS.Timeout | undefined
  private sampling: Promise<ReplicationSample> | undefined
  private stopped = false

  constructor(
    private readonly clusters: Readonly<Record<string, kafkajs.KafkaConfig>>,
    private readonly topic: string,
    private readonly onSample: (sample: ReplicationSample) => void,
  ) {}

  /** Samples every {@link SAMPLE_INTERVAL_MS} until stopped (a sample still running is not overlapped). */
  start(): void {
    const tick = (): void => {
      if (this.stopped) return
      void this.sample()
        .catch(() => undefined)
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, SAMPLE_INTERVAL_MS)
        })
    }
    tick()
  }

  /** A sample now (or the one under way). */
  sample(): Promise<ReplicationSample> {
    this.sampling ??= this.takeSample().finally(() => {
      this.sampling = undefined
    })
    return this.sampling
  }

  /** Stops sampling and disconnects. */
  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.sampling?.catch(() => undefined)
    await Promise.all([...this.admins.values()].map((admin) => admin.disconnect().catch(() => undefined)))
  }

  private async takeSample(): Promise<ReplicationSample> {
    const names = Object.keys(this.clusters)
    const pairs = names.flatMap((source) => names.filter((t) => t !== source).map((target) => ({ source, target })))
    const ends = new Map<string, Promise<number | undefined>>()
    const endOf = (cluster: string, topic: string): Promise<number | undefined> => {
      const key = `${cluster}/${topic}`
      if (!ends.has(key)) ends.set(key, this.highWatermark(cluster, topic))
      return ends.get(key)!
    }
    const flows = await Promise.all(
      pairs.map(async ({ source, target }): Promise<FlowSample> => {
        const [sourceEnd, replicaEnd, heartbeatAgeMs] = await Promise.all([
          endOf(source, this.topic),
          endOf(target, `${source}.${this.topic}`),
          this.heartbeatAge(source, target),
        ])
        const recordsBehind = sourceEnd === undefined || replicaEnd === undefined ? undefined : Math.max(0, sourceEnd - replicaEnd)
        return { flow: `${source}->${target}`, source, target, recordsBehind, heartbeatAgeMs }
      }),
    )
    const sample = { at: Date.now(), flows }
    if (!this.stopped) this.onSample(sample)
    return sample
  }

  /** Sum of a topic's high watermarks; 0 when it does not exist yet, undefined when the cluster does not answer. */
  private async highWatermark(cluster: string, topic: string): Promise<number | undefined> {
    try {
      const admin = await this.admin(cluster)
      const offsets = await admin.fetchTopicOffsets(topic)
      return offsets.reduce((sum, p) => sum + Number(p.high), 0)
    } catch (error) {
      if ((error as { type?: string }).type === 'UNKNOWN_TOPIC_OR_PARTITION') return 0
      this.forget(cluster)
      return undefined
    }
  }

  private async heartbeatAge(source: string, target: string): Promise<number | undefined> {
    try {
      const admin = await this.admin(target)
      const now = Date.now()
      const newest = await newestTimestamp(admin, `${source}.heartbeats`, { now }).catch(() => undefined)
      return newest === undefined ? undefined : Math.max(0, now - newest)
    } catch {
      this.forget(target)
      return undefined
    }
  }

  private async admin(cluster: string): Promise<kafkajs.Admin> {
    let admin = this.admins.get(cluster)
    if (admin === undefined) {
      const config = this.clusters[cluster]!
      admin = new Kafka({
        ...config,
        clientId: 'kafkajs-dr-drill-monitor',
        logLevel: logLevel.NOTHING,
        // kafkajs' default, or longer when the cluster's settings ask for it (TLS far away).
        connectionTimeout: Math.max(1000, config.connectionTimeout ?? 0),
        requestTimeout: 2000,
        retry: { retries: 0 },
      }).admin()
      this.admins.set(cluster, admin)
      this.connected.set(cluster, admin.connect())
    }
    await this.connected.get(cluster)
    return admin
  }

  /** Drops a cluster's admin after an error, so the next sample connects afresh. */
  private forget(cluster: string): void {
    const admin = this.admins.get(cluster)
    this.admins.delete(cluster)
    this.connected.delete(cluster)
    void admin?.disconnect().catch(() => undefined)
  }
}
