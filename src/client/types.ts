import type { ClusterOptions } from '../cluster/index.js'
import type { DiscoveryOptions, HealthOptions, HealthState } from '../discovery/types.js'
import type { ReplicationFlowStatus } from '../replication/lag-monitor.js'
import type { ReplicationOption } from '../topology/index.js'

/**
 * Options of {@link MultiClusterKafka}.
 *
 * @group Client
 */
export interface MultiClusterKafkaOptions {
  /**
   * The clusters by name (`dc1`, `dc2`, ...). Names may hold letters, digits, `_` and `-`: with
   * MirrorMaker 2's default policy they become topic prefixes.
   */
  clusters: Record<string, ClusterOptions>
  /** The cluster in this instance's own datacenter; preferred among equal priorities. */
  localCluster?: string
  /**
   * `clientId` for clusters given as a kafkajs config without one.
   *
   * @default 'kafkajs-dr'
   */
  clientId?: string
  /** Health probing. */
  health?: HealthOptions
  /** How the active cluster is chosen. */
  discovery?: DiscoveryOptions
  /**
   * How the replicator names topics: `'prefix'` (MirrorMaker 2 default: `dc1.orders` on dc2),
   * `'identity'` (same names everywhere: MSK, Replicator, Cluster Linking) or your own policy.
   *
   * @default 'prefix'
   */
  replication?: ReplicationOption
  /**
   * The provenance header stamped on every produced record (origin cluster and a unique id; its
   * format is documented with `ProvenanceStamper`), or `false` to send records untouched.
   *
   * @default `{ header: 'x-dr' }`
   */
  provenance?:
    | false
    | {
        /**
         * Name of the provenance header.
         *
         * @default DEFAULT_PROVENANCE_HEADER ('x-dr')
         */
        header?: string
      }
  /**
   * `connect()` rejects when no cluster is healthy within this time, in ms.
   *
   * @default 30000
   */
  connectTimeoutMs?: number
  /**
   * A switch reports `failover:failed` when producers and consumers have not moved within this
   * time, in ms.
   *
   * @default 60000
   */
  switchTimeoutMs?: number
  /**
   * Bound on `disconnect()`, in ms, whatever state the clusters are in: discovery stops and every
   * cluster's admin clients disconnect at the same time, each left to finish in the background at
   * the bound. A cluster whose teardown already timed out for a producer or consumer of this client
   * (within the last 30 s) is not waited for again.
   *
   * @default 3000
   */
  teardownTimeoutMs?: number
  /**
   * Replication lag per flow, read in the background from MirrorMaker 2's heartbeats (see
   * {@link ReplicationLagOptions}), or `false` to read nothing.
   *
   * @default `{}`
   */
  replicationLag?: false | ReplicationLagOptions
}

/**
 * How {@link MultiClusterKafka} watches replication. MirrorMaker 2 writes a heartbeat every second
 * to `heartbeats` on each cluster, and replicates it like any topic (`dc1.heartbeats` on dc2): the
 * age of the newest `dc1` heartbeat on dc2 is how far dc2's replica is behind, and an estimate of
 * what a failover to dc2 would lose. Under identity topic naming heartbeats of different flows
 * cannot be told apart, and no flow is watched.
 *
 * @example
 * ```ts
 * const dr = new MultiClusterKafka({ clusters, replicationLag: { thresholdMs: 10_000 } })
 * dr.on('replication:lagging', (f) => alert(`${f.source} -> ${f.target} is ${f.lagMs} ms behind`))
 * ```
 *
 * @group Replication
 */
export interface ReplicationLagOptions {
  /**
   * Time between two checks of every flow, in ms. A check costs about six small admin requests
   * to the target cluster.
   *
   * @default 5000
   */
  intervalMs?: number
  /**
   * `replication:lagging` when a flow's lag goes above this, `replication:recovered` when it comes
   * back, in ms. A healthy flow reads about one second (MM2's heartbeat interval).
   *
   * @default 30000
   */
  thresholdMs?: number
  /**
   * Bound on one check, in ms.
   *
   * @default 5000
   */
  timeoutMs?: number
}

/**
 * Why the active cluster changed.
 *
 * @group Client
 */
export type SwitchKind = 'failover' | 'failback' | 'manual'

/**
 * A change of the active cluster, as reported by events and `status()`.
 *
 * @group Client
 */
export interface SwitchInfo {
  /** When the switch started (ms since epoch). */
  timestamp: number
  /** The previous active cluster. */
  from: string | undefined
  /** The new active cluster. */
  to: string
  /** Failover (active went down or policy moved), failback (back to the preferred cluster) or manual. */
  kind: SwitchKind
  /** Why, in words. */
  reason: string
}

/**
 * One cluster in {@link MultiClusterStatus}.
 *
 * @group Client
 */
export interface ClusterStatus {
  /** Cluster name, as configured in `clusters`. */
  name: string
  /** Configured priority; lower is preferred. */
  priority: number
  /** Whether this is the instance's own datacenter (`localCluster`). */
  local: boolean
  /** Health after hysteresis (`successThreshold` / `failureThreshold` probes). */
  health: HealthState
  /** When `health` last changed (ms since epoch). */
  since: number
  /** The cluster id first seen. */
  clusterId: string | undefined
  /** The last probe error while the last probe failed. */
  lastError: string | undefined
}

/**
 * Snapshot returned by {@link MultiClusterKafka.status}.
 *
 * @group Client
 */
export interface MultiClusterStatus {
  /** The active cluster. */
  active: string | undefined
  /** The discovery policy in use. */
  policy: string
  /** A cluster pinned by `failover()`, if any. */
  pinned: string | undefined
  /** The clusters, most preferred first. */
  clusters: ClusterStatus[]
  /** The last switch, if any. */
  lastSwitch: SwitchInfo | undefined
  /** Whether a switch is in progress. */
  switching: boolean
  /** Replication lag per flow (`dc1 -> dc2`), as last checked; empty when not watched. */
  replication: ReplicationFlowStatus[]
}

/**
 * Options of {@link MultiClusterKafka.failover}.
 *
 * @group Client
 */
export interface FailoverRequest {
  /**
   * Why, for events and logs.
   *
   * @default 'manual'
   */
  reason?: string
  /**
   * A planned switch: before moving, wait until the target has caught up with the active cluster
   * (the lag of the flow from the active cluster to the target at most `maxLagMs`, freshly
   * checked), so that the switch leaves little or nothing behind. `true` uses the defaults. When
   * the target does not catch up in time the switch is not made and `failover()` rejects with a
   * {@link DrainTimeoutError}.
   *
   * @default false
   */
  drain?: boolean | DrainOptions
}

/**
 * Bounds of a planned switch's wait; see {@link FailoverRequest.drain}.
 *
 * @group Client
 */
export interface DrainOptions {
  /**
   * The lag of the flow from the active cluster to the target, in ms, at or below which the
   * target counts as caught up. MM2 writes heartbeats every second, so a healthy flow reads about
   * one second.
   *
   * @default 3000
   */
  maxLagMs?: number
  /**
   * How long to wait for it, in ms.
   *
   * @default 30000
   */
  timeoutMs?: number
}

/**
 * What {@link MultiClusterKafka.failover} did.
 *
 * @group Client
 */
export interface FailoverResult {
  /** The active cluster before. */
  from: string | undefined
  /** The active cluster now. */
  to: string
  /**
   * The participants (consumers, e.g. `consumer 'billing'`) that moved to `to` in this switch;
   * empty when `to` was already active. Producers follow the active cluster by themselves and are
   * not listed. A switch where any participant failed rejects with a `FailoverError` instead.
   */
  moved: readonly string[]
  /** With `drain`: the wait before the switch. */
  drain?: {
    /** The lag of the flow `from -> to` when the switch was made, in ms. */
    lagMs: number | undefined
    /** How long the switch waited for it, in ms. */
    waitedMs: number
  }
}
