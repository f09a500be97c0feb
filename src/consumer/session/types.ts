import type { Consumer, Kafka } from 'kafkajs'
import type { ReplicationPolicy } from '../../topology/replication-policy.js'
import type { DeliveryFilter } from '../delivery/delivery-filter.js'
import type { ValidConsumerOptions } from '../options.js'
import type { PositionReason } from '../positioning.js'
import type { ProcessedPositions, TopicPartition } from '../positions.js'

/** A kafkajs instrumentation listener registered by the user, re-attached to every session. */
export type InstrumentationListener = [event: Parameters<Consumer['on']>[0], listener: (event: unknown) => void]

/** What the positioning of a session's assignment depends on: the session's cluster, topics and purpose. */
export interface PositionedSession {
  readonly cluster: string
  readonly topics: readonly string[]
  readonly reason: PositionReason
  readonly added: readonly string[]
}

/** What a session needs besides the cluster. */
export interface SessionSetup {
  cluster: string
  kafka: Kafka
  config: ValidConsumerOptions
  policy: ReplicationPolicy
  /** Where processed records are noted, for checkpoints and translation. */
  positions: ProcessedPositions
  /**
   * Where an active session's partitions start: offsets by `partitionKey`; a partition
   * without an entry resumes where kafkajs would (the group's commit, or `fromBeginning`).
   */
  position: (session: PositionedSession, assigned: readonly TopicPartition[]) => Promise<ReadonlyMap<string, string>>
  /** Positioning an assignment failed; it is tried again after `retryInMs`. */
  onPositionFailed: (error: unknown, attempt: number, retryInMs: number) => void
  /** An error kafkajs reported on this session's cluster (a crash, a request timeout). */
  onClusterError: (error: unknown) => void
  /**
   * kafkajs crashed this session's consumer and will not restart it: a non-retriable error (a
   * `TypeError` thrown by a handler among them), or the application's `retry.restartOnFailure`
   * said no (`byApplication`). The session delivers nothing from here on.
   */
  onGaveUp: (error: unknown, byApplication: boolean) => void
  /** Disconnects the kafkajs consumer, bounded (see `ClusterConnection.teardown`); resolves with whether it finished in time. */
  teardown: (client: Consumer, timeoutMs: number) => Promise<boolean>
  /**
   * Reads each record's provenance (its origin) and skips the records the consumer does not
   * deliver (see `DeliveryFilter`); shared by every session. Undefined when provenance is off.
   */
  filter?: DeliveryFilter
}
