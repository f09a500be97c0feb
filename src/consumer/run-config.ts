/**
 * What an application gives `subscribe()`, `run()` and `commitOffsets()`, and what its handlers
 * receive: kafkajs' own types with each record's source added.
 *
 * @module
 */
import type { Batch, ConsumerRunConfig, EachBatchPayload, EachMessagePayload, TopicPartitionOffsetAndMetadata } from 'kafkajs'

/**
 * Where a record came from; added to every handler payload.
 *
 * @group Consumer
 */
export interface RecordSource {
  /** The logical topic (`orders`), whichever physical copy the record was read from. */
  topic: string
  /** The physical topic read on `cluster` (`orders` or `dc1.orders`). */
  physicalTopic: string
  /** The cluster the record was read from (the active cluster). */
  cluster: string
  /**
   * The cluster where the record was first written: from its provenance header when it has one
   * (the header says where it was written, also when a failing-over producer re-sent it), else
   * from the topic name (where the replicator copied it from).
   */
  originCluster: string
}

/**
 * `eachMessage` payload: kafkajs' with the logical topic and the record's source.
 *
 * @group Consumer
 */
export type FailoverEachMessagePayload = Omit<EachMessagePayload, 'topic'> & RecordSource

/**
 * `eachBatch` payload: kafkajs' with the logical topic and the batch's source.
 *
 * @group Consumer
 */
export type FailoverEachBatchPayload = EachBatchPayload & {
  /** kafkajs' batch, unchanged: `batch.topic` is the physical topic read on `cluster`. */
  batch: Batch
} & Omit<RecordSource, 'topic'> & {
    /** The logical topic (`orders`) of the batch, whichever physical copy it was read from. */
    logicalTopic: string
  }

/**
 * `run()` options: kafkajs' `ConsumerRunConfig` with handlers that receive the source. The commit
 * mode (`autoCommit`) also decides what is checkpointed for a failover.
 *
 * @group Consumer
 */
export interface FailoverRunConfig extends Omit<ConsumerRunConfig, 'eachMessage' | 'eachBatch'> {
  /**
   * As kafkajs' `autoCommit`; checkpoints follow the same commits, so a failover resumes where
   * kafkajs would resume after a restart, never past records the application has not committed.
   *
   * - `true`: kafkajs commits the resolved offsets, and the position after each processed record
   *   is checkpointed (each resolved offset with `eachBatch`).
   * - `false`: only what the application commits is checkpointed: `consumer.commitOffsets()`, and
   *   in `eachBatch` `commitOffsetsIfNecessary(offsets)`. Called without offsets, kafkajs commits
   *   the resolved offsets only when `autoCommitInterval` or `autoCommitThreshold` is set and due
   *   (then those are checkpointed), otherwise nothing.
   *
   * A commit of offset N is checkpointed as N with the timestamp of the record before N (the
   * translation to another cluster goes by timestamp). A commit of records this instance was
   * never delivered on that cluster is not checkpointed: the older checkpoint stands, which can
   * only mean duplicates.
   *
   * @default true
   * @example
   * ```ts
   * // Buffer records and commit only what was flushed to the store.
   * const buffer: FailoverEachMessagePayload[] = []
   * await consumer.run({
   *   autoCommit: false,
   *   eachMessage: async (payload) => {
   *     buffer.push(payload)
   *     if (buffer.length < 250) return
   *     await store.write(buffer.map((p) => p.message))
   *     const next = new Map(buffer.map((p) => [`${p.physicalTopic}:${p.partition}`, { topic: p.physicalTopic, partition: p.partition, offset: String(BigInt(p.message.offset) + 1n) }]))
   *     buffer.length = 0
   *     await consumer.commitOffsets([...next.values()])
   *   },
   * })
   * ```
   */
  autoCommit?: boolean
  /**
   * Called for each record, as kafkajs' `eachMessage`, with the record's logical topic and source.
   * Exactly one of `eachMessage` and `eachBatch` must be given.
   *
   * Runs over kafkajs' `eachBatch` with the steps of kafkajs' own record loop: records of a
   * partition one at a time, stopping at a stop, a seek or a pause of the partition; each offset
   * resolved once its handler returns; a throw makes kafkajs commit what was resolved (with
   * `autoCommit`) and fetch the failed record again. Heartbeats and `autoCommitInterval` commits
   * are asked for at most every 50 ms rather than after every record (kafkajs sends them only
   * when their interval is due); with `autoCommitThreshold` the commit check follows every record.
   * `eachBatchAutoResolve` does not apply.
   */
  eachMessage?: (payload: FailoverEachMessagePayload) => Promise<void>
  /**
   * Called for each batch, as kafkajs' `eachBatch`, with the batch's logical topic and source.
   * Exactly one of `eachMessage` and `eachBatch` must be given.
   */
  eachBatch?: (payload: FailoverEachBatchPayload) => Promise<void>
}

/**
 * `subscribe()` options: logical topic names (no regular expressions: names map to physical copies).
 *
 * @group Consumer
 */
export interface FailoverSubscribeOptions {
  /** Logical topic names (non-empty); added to those of earlier `subscribe()` calls. */
  topics: string[]
  /**
   * As kafkajs' `fromBeginning`: where to start on a partition without a committed offset. The
   * latest `subscribe()` call's value applies.
   *
   * @default false
   */
  fromBeginning?: boolean
}

/**
 * An offset to commit, as kafkajs takes it, with the cluster to commit it on when a physical topic is read on two (`dualRead: 'direct'`).
 *
 * @group Consumer
 */
export type FailoverTopicPartitionOffset = TopicPartitionOffsetAndMetadata & {
  /** The cluster whose group gets the commit (the payload's `cluster`); needed only when the topic is read on two clusters at once. */
  cluster?: string
}
