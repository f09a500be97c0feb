import type { FailoverConsumer } from '../consumer/failover-consumer.js'
import type { DiscoveryPolicyError, KafkaDRError } from '../errors/index.js'
import type { FailoverProducer } from '../producer/failover-producer.js'
import type { SwitchInfo } from './types.js'

/**
 * Payload of `cluster:up`.
 *
 * @group Discovery
 */
export interface ClusterUpEvent {
  /** When the health change was seen (ms since epoch). */
  timestamp: number
  /** Name of the cluster that came up. */
  cluster: string
  /** The cluster id reported by the probe that tipped it. */
  clusterId: string | undefined
}

/**
 * Payload of `cluster:down`.
 *
 * @group Discovery
 */
export interface ClusterDownEvent {
  /** When the health change was seen (ms since epoch). */
  timestamp: number
  /** Name of the cluster that went down. */
  cluster: string
  /**
   * The probe error that tipped it: a `TimeoutError`, a `KafkaClientError` with kafkajs' error as
   * `cause`, an `AuthenticationError` when the cluster refused the SASL login or its certificate
   * was not trusted, or, for a replaced cluster, the `ClusterIdChangedError`.
   */
  error: KafkaDRError | undefined
}

/**
 * Payload of `discovery:policy-failed`: a decision of the discovery policy threw or timed out.
 *
 * @group Discovery
 */
export interface DiscoveryPolicyFailedEvent {
  /** When it failed (ms since epoch). */
  timestamp: number
  /** The policy's name. */
  policy: string
  /** Whether it timed out (`discovery.decideTimeoutMs`) rather than threw. */
  timedOut: boolean
  /** The error; `cause` is the policy's own error or a `TimeoutError`. */
  error: DiscoveryPolicyError
}

/**
 * Payload of `cluster:probe`: one health probe of discovery finished.
 *
 * @group Discovery
 */
export interface ClusterProbeEvent {
  /** When the probe finished (ms since epoch). */
  timestamp: number
  /** Name of the cluster probed. */
  cluster: string
  /** Whether the cluster answered in time, with the cluster id first seen. */
  ok: boolean
  /** Time the probe took, in ms (up to `health.timeoutMs` for a cluster that does not answer). */
  durationMs: number
  /**
   * Why a failed probe failed: a `TimeoutError`, a `KafkaClientError` with kafkajs' error as
   * `cause`, an `AuthenticationError` (a refused SASL login, an untrusted certificate), or a
   * `ClusterIdChangedError`; undefined when `ok`.
   */
  error: KafkaDRError | undefined
}

/**
 * Payload of `producer:created`.
 *
 * @group Client
 */
export interface ProducerCreatedEvent {
  /** When the producer was created (ms since epoch). */
  timestamp: number
  /** The new producer (not connected yet). */
  producer: FailoverProducer
}

/**
 * Payload of `consumer:created`.
 *
 * @group Client
 */
export interface ConsumerCreatedEvent {
  /** When the consumer was created (ms since epoch). */
  timestamp: number
  /** Its consumer group. */
  group: string
  /** The new consumer (not connected yet). */
  consumer: FailoverConsumer
}

/**
 * Payload of `failover:complete`.
 *
 * @group Client
 */
export interface FailoverCompleteEvent extends SwitchInfo {
  /** From the start of the switch until every producer and consumer had moved, in ms. */
  durationMs: number
  /**
   * The data at risk of this switch (its recovery point), in ms: how far the new active cluster's
   * replica of the old one was behind when the old one was last seen healthy. Records the old
   * cluster acknowledged in that window may not have reached the new one. Read from MirrorMaker 2's
   * heartbeats when the switch starts (or, when the switch finished first, from the flow's last
   * check); undefined when that flow is not watched or was never read.
   */
  replicationLagMs: number | undefined
}

/**
 * Payload of `declaration:ignored`.
 *
 * @group Discovery
 */
export interface DeclarationIgnoredEvent {
  /** When the record was read (ms since epoch). */
  timestamp: number
  /** The cluster whose control topic held it. */
  cluster: string
  /** Why it was skipped: not JSON, a format version this release does not read, an unknown cluster, ... */
  reason: string
}

/**
 * Payload of `replication:lagging` and `replication:recovered`.
 *
 * @group Replication
 */
export interface ReplicationLagEvent {
  /** When the check was made (ms since epoch). */
  timestamp: number
  /** The cluster the records come from. */
  source: string
  /** The cluster they are copied to. */
  target: string
  /** The flow's lag at the check, in ms. */
  lagMs: number
  /** The threshold crossed (`replicationLag.thresholdMs`), in ms. */
  thresholdMs: number
}

/**
 * Payload of `failover:failed`.
 *
 * @group Client
 */
export interface FailoverFailedEvent extends SwitchInfo {
  /** A {@link FailoverError} naming the participants that failed; `cause` is the first failure. */
  error: KafkaDRError
}

/**
 * Events of {@link MultiClusterKafka}. Listeners that throw are logged and ignored.
 *
 * @group Client
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
  /**
   * The `declared` policy skipped a record of the control topic that holds no usable declaration
   * (malformed, of a future format version, or naming a cluster this client does not know): a
   * warning; the declaration in force stays.
   */
  'declaration:ignored': (event: DeclarationIgnoredEvent) => void
  /**
   * The discovery policy's `decide()` threw or did not settle within `discovery.decideTimeoutMs`:
   * no switch was decided this round; discovery asks again at the next one.
   */
  'discovery:policy-failed': (event: DiscoveryPolicyFailedEvent) => void
  /** A replication flow's lag went above `replicationLag.thresholdMs`. */
  'replication:lagging': (event: ReplicationLagEvent) => void
  /** A lagging replication flow's lag came back to `replicationLag.thresholdMs` or below. */
  'replication:recovered': (event: ReplicationLagEvent) => void
  /**
   * A health probe of discovery finished, good or bad (every `health.intervalMs` per cluster, and
   * sooner after errors). A probe made by {@link MultiClusterKafka.failover} to check its target is
   * not reported.
   */
  'cluster:probe': (event: ClusterProbeEvent) => void
  /**
   * {@link MultiClusterKafka.producer} created a producer: listen to its own events here (see
   * `FailoverProducer.on`), for example to instrument every producer of the client.
   */
  'producer:created': (event: ProducerCreatedEvent) => void
  /**
   * {@link MultiClusterKafka.consumer} created a consumer: listen to its own events here (see
   * `FailoverConsumer.on`), for example to instrument every consumer of the client.
   */
  'consumer:created': (event: ConsumerCreatedEvent) => void
}
