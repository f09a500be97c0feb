import type { KafkaDRError } from '../errors.js'
import type { SwitchInfo } from './types.js'

/** Payload of `cluster:up`. */
export interface ClusterUpEvent {
  /** When the health change was seen (ms since epoch). */
  timestamp: number
  /** Name of the cluster that came up. */
  cluster: string
  /** The cluster id reported by the probe that tipped it. */
  clusterId: string | undefined
}

/** Payload of `cluster:down`. */
export interface ClusterDownEvent {
  /** When the health change was seen (ms since epoch). */
  timestamp: number
  /** Name of the cluster that went down. */
  cluster: string
  /**
   * The probe error that tipped it: a `TimeoutError`, a `KafkaClientError` with kafkajs' error as
   * `cause`, or, for a replaced cluster, the `ClusterIdChangedError`.
   */
  error: KafkaDRError | undefined
}

/** Payload of `failover:complete`. */
export interface FailoverCompleteEvent extends SwitchInfo {
  /** From the start of the switch until every producer and consumer had moved, in ms. */
  durationMs: number
}

/** Payload of `failover:failed`. */
export interface FailoverFailedEvent extends SwitchInfo {
  /** A {@link FailoverError} naming the participants that failed; `cause` is the first failure. */
  error: KafkaDRError
}

/**
 * Events of {@link MultiClusterKafka}. Listeners that throw are logged and ignored.
 */
export interface MultiClusterEvents {
  /** A cluster became healthy (after `successThreshold` good probes). */
  'cluster:up': (event: ClusterUpEvent) => void
  /**
   * A cluster went down (after `failureThreshold` failed probes). Emitted again, without a
   * `cluster:up` between, when a cluster that is down answers with another cluster id than the one
   * first seen (`error` is a `ClusterIdChangedError`): it was replaced, and stays down.
   */
  'cluster:down': (event: ClusterDownEvent) => void
  /** The active cluster is changing; producers already route to `to`. */
  'failover:start': (event: SwitchInfo) => void
  /** Every producer and consumer runs on the new active cluster. */
  'failover:complete': (event: FailoverCompleteEvent) => void
  /** A producer or consumer could not move in time; the active cluster is `to` regardless. */
  'failover:failed': (event: FailoverFailedEvent) => void
  /** Emitted after `failover:complete` when the switch returned to the preferred cluster. */
  failback: (event: FailoverCompleteEvent) => void
}
