import type { Consumer, Kafka } from 'kafkajs'
import type { ReplicationPolicy } from '../../topology/replication-policy.js'
import type { DeliveryFilter } from '../delivery/delivery-filter.js'
import type { ValidConsumerOptions } from '../options.js'
import type { PositionReason, StartPositions } from '../positioning.js'
import type { ProcessedPositions, TopicPartition } from '../positions.js'
import type { InstanceIdentity } from './instance-identity.js'

/** A kafkajs instrumentation listener registered by the user, re-attached to every session. */
export type InstrumentationListener = [event: Parameters<Consumer['on']>[0], listener: (event: unknown) => void]

/** A session as its owner sees it: which one (by identity), its cluster, topics and purpose. */
export interface PositionedSession {
  readonly cluster: string
  readonly topics: readonly string[]
  readonly reason: PositionReason
  readonly added: readonly string[]
  /** Its member id in the group, from its last join; undefined before the first. */
  readonly memberId: string | undefined
  /** Its consumer runs and has not joined yet: a JoinGroup may be under way at the broker. */
  readonly isJoining: boolean
}

/** What a session asks of, and tells, the set of sessions it belongs to; every call names the session. */
export interface SessionOwner {
  /**
   * Where an active session's partitions start, by `partitionKey`; a partition without an
   * entry resumes where kafkajs would (the group's commit, or `fromBeginning`).
   */
  position: (session: PositionedSession, assigned: readonly TopicPartition[]) => Promise<StartPositions>
  /**
   * Offsets for a fresh `run()`, for every partition of the session's topics, where kafkajs' own
   * start would be wrong (a checkpoint from elsewhere is ahead of the group's commit); asked
   * before the group join, so that the first assignment needs no pause.
   */
  startOffsets: (session: PositionedSession) => Promise<StartPositions>
  /** Positioning an assignment failed; it is tried again after `retryInMs`. */
  positionFailed: (session: PositionedSession, error: unknown, attempt: number, retryInMs: number) => void
  /** An error kafkajs reported on the session's cluster (a crash, a request timeout). */
  clusterError: (session: PositionedSession, error: unknown) => void
  /**
   * kafkajs crashed the session's consumer and will not restart it: a non-retriable error (a
   * `TypeError` thrown by a handler among them), or the application's `retry.restartOnFailure`
   * said no (`byApplication`). The session delivers nothing from here on.
   */
  gaveUp: (session: PositionedSession, error: unknown, byApplication: boolean) => void
  /** The session joined its group (every join, kafkajs' `GROUP_JOIN`); not told after a stop. */
  joined: (session: PositionedSession) => void
  /** Disconnects the session's kafkajs consumer, bounded (see `ClusterConnection.teardown`); resolves with whether it finished in time. */
  teardown: (session: PositionedSession, client: Consumer, timeoutMs: number) => Promise<boolean>
}

/** What a session needs besides the cluster. */
export interface SessionSetup {
  cluster: string
  kafka: Kafka
  config: ValidConsumerOptions
  policy: ReplicationPolicy
  /** Where processed records are noted, for checkpoints and translation. */
  positions: ProcessedPositions
  /** The set of sessions this one belongs to: what it asks and tells there. */
  owner: SessionOwner
  /**
   * Reads each record's provenance (its origin) and skips the records the consumer does not
   * deliver (see `DeliveryFilter`); shared by every session. Undefined when provenance is off.
   */
  filter?: DeliveryFilter
  /** The consumer's `instanceId` and incarnation, carried in its group metadata; undefined without `instanceId`. */
  identity?: InstanceIdentity
  /**
   * The look for a former incarnation's members, which must finish before the session's first
   * group join (Kafka shows member metadata only while the group is Stable); started at the
   * session's start, in parallel with its connect and subscribe. Resolves with what removes them,
   * called once the join has been started. Must never reject, and must bound its own time.
   */
  beforeJoin?: () => Promise<FormerInstanceRemoval | undefined>
}

/** Removes the former members a session's look found before its join; called once the join has been started. */
export type FormerInstanceRemoval = () => void
