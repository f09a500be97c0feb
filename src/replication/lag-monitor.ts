/**
 * Replication lag per flow (`dc1 -> dc2`), from MirrorMaker 2's heartbeats: in the background,
 * every `intervalMs`, the age of the newest heartbeat of the source that reached the target. That
 * age is how far behind the replica is, and so an estimate of what a failover to the target would
 * lose. Only public topics are read, with the client's own admin of the target cluster.
 *
 * @module
 */
import type { ClusterConnection } from '../cluster/index.js'
import type { HealthState } from '../discovery/types.js'
import type { ReplicationPolicy } from '../topology/index.js'
import { errorMessage, logger } from '../util/log.js'
import { withTimeout } from '../util/timeout.js'
import { HEARTBEATS_TOPIC, newestTimestamp } from './heartbeats.js'

const log = logger('replication')

/** Settled replication-lag options (every field present). */
export interface ResolvedReplicationLagOptions {
  intervalMs: number
  thresholdMs: number
  timeoutMs: number
}

/**
 * One replication flow in `status().replication`.
 *
 * @group Replication
 */
export interface ReplicationFlowStatus {
  /** The cluster the records come from. */
  source: string
  /** The cluster they are copied to. */
  target: string
  /** The topic on `target` that receives the source's heartbeats (`dc1.heartbeats`). */
  heartbeatsTopic: string
  /**
   * Age of the newest source heartbeat on the target at the last check, in ms: how far behind the
   * replica was then. Undefined until a check succeeded, or when no heartbeat has arrived.
   */
  lagMs: number | undefined
  /** Timestamp of that heartbeat (ms since epoch). */
  newestHeartbeat: number | undefined
  /** When the last check succeeded (ms since epoch). */
  checkedAt: number | undefined
  /** Whether `lagMs` is above the threshold (`replication:lagging` was emitted, `replication:recovered` not yet). */
  lagging: boolean
  /** Why the last check failed (the target did not answer, no heartbeats topic), while it did. */
  lastError: string | undefined
}

/** What the monitor needs from its owner. */
export interface LagMonitorHooks {
  /** A cluster's health now: a target that is down is not asked (its check would only time out). */
  healthOf(cluster: string): HealthState
  /** A flow's lag went above the threshold. */
  onLagging(flow: ReplicationFlowStatus): void
  /** A lagging flow's lag came back to the threshold or below. */
  onRecovered(flow: ReplicationFlowStatus): void
}

/** Watches every flow between `clusters` whose heartbeats the replication policy can tell apart. */
export class ReplicationLagMonitor {
  private readonly flows: ReplicationFlowStatus[]
  private readonly connections = new Map<string, ClusterConnection>()
  private timer: NodeJS.Timeout | undefined
  private running = false
  private round: Promise<void> | undefined

  constructor(
    clusters: readonly ClusterConnection[],
    policy: ReplicationPolicy,
    private readonly options: ResolvedReplicationLagOptions,
    private readonly hooks: LagMonitorHooks,
  ) {
    for (const c of clusters) this.connections.set(c.name, c)
    this.flows = clusters.flatMap((target) =>
      clusters
        .filter((source) => source !== target)
        .map((source) => ({
          source: source.name,
          target: target.name,
          topic: policy.physicalTopic(HEARTBEATS_TOPIC, source.name, target.name),
        }))
        // Under identity naming the source's heartbeats land in the target's own `heartbeats`, mixed
        // with those MM2 writes there directly: their age says nothing about this flow.
        .filter((f) => f.topic !== HEARTBEATS_TOPIC)
        .map((f) => ({
          source: f.source,
          target: f.target,
          heartbeatsTopic: f.topic,
          lagMs: undefined,
          newestHeartbeat: undefined,
          checkedAt: undefined,
          lagging: false,
          lastError: undefined,
        })),
    )
  }

  /** Checks every flow now and then every `intervalMs`. */
  start(): void {
    if (this.running || this.flows.length === 0) return
    this.running = true
    const tick = (): void => {
      this.round = this.checkAll().finally(() => {
        this.round = undefined
        if (this.running) this.timer = setTimeout(tick, this.options.intervalMs)
      })
    }
    tick()
  }

  /** Stops checking; a check under way is abandoned (its admin request has its own timeout). */
  stop(): void {
    this.running = false
    clearTimeout(this.timer)
  }

  /** Every watched flow, as last checked (copies). */
  status(): ReplicationFlowStatus[] {
    return this.flows.map((f) => ({ ...f }))
  }

  /** The flow `source -> target`, if watched (a copy). */
  flow(source: string, target: string): ReplicationFlowStatus | undefined {
    const flow = this.find(source, target)
    return flow === undefined ? undefined : { ...flow }
  }

  /**
   * Checks one flow now, whatever the interval, and returns it (a copy). Rejects when the target
   * does not answer in time or has no heartbeats topic; the flow's `lastError` says so too.
   */
  async check(source: string, target: string): Promise<ReplicationFlowStatus | undefined> {
    const flow = this.find(source, target)
    if (flow === undefined) return undefined
    await this.checkFlow(flow, true)
    return { ...flow }
  }

  private find(source: string, target: string): ReplicationFlowStatus | undefined {
    return this.flows.find((f) => f.source === source && f.target === target)
  }

  private async checkAll(): Promise<void> {
    await Promise.all(
      this.flows.filter((f) => this.hooks.healthOf(f.target) !== 'down').map((f) => this.checkFlow(f, false).catch(() => undefined)),
    )
  }

  private async checkFlow(flow: ReplicationFlowStatus, rethrow: boolean): Promise<void> {
    const connection = this.connections.get(flow.target)!
    const { timeoutMs } = this.options
    try {
      const newest = await withTimeout(
        (async () => {
          const admin = await connection.admin(timeoutMs)
          return newestTimestamp(admin, flow.heartbeatsTopic, { atLeast: flow.newestHeartbeat })
        })(),
        timeoutMs,
        `reading ${flow.heartbeatsTopic} on '${flow.target}'`,
        { cluster: flow.target },
      )
      const now = Date.now()
      flow.checkedAt = now
      flow.lastError = undefined
      if (newest !== undefined) flow.newestHeartbeat = Math.max(newest, flow.newestHeartbeat ?? 0)
      flow.lagMs = flow.newestHeartbeat === undefined ? undefined : Math.max(0, now - flow.newestHeartbeat)
      this.judge(flow)
    } catch (error) {
      flow.lastError =
        (error as { type?: string }).type === 'UNKNOWN_TOPIC_OR_PARTITION'
          ? `no topic ${flow.heartbeatsTopic} on '${flow.target}' (is MirrorMaker 2 replicating ${flow.source} -> ${flow.target} with heartbeats on?)`
          : errorMessage(error)
      log('flow %s -> %s: check failed: %s', flow.source, flow.target, flow.lastError)
      if (rethrow) throw error
    }
  }

  private judge(flow: ReplicationFlowStatus): void {
    if (flow.lagMs === undefined) return
    const over = flow.lagMs > this.options.thresholdMs
    if (over === flow.lagging) return
    flow.lagging = over
    log('flow %s -> %s: lag %d ms, %s', flow.source, flow.target, flow.lagMs, over ? 'above the threshold' : 'recovered')
    if (over) this.hooks.onLagging({ ...flow })
    else this.hooks.onRecovered({ ...flow })
  }
}
