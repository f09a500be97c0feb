/**
 * A warm view of every checkpoint visible on one cluster: kafkajs-dr's checkpoint topic and its
 * replicated copies, and MirrorMaker 2's `<source>.checkpoints.internal`, followed by one
 * {@link TopicTail} from the moment the consumer connects. A switch then reads memory after a
 * catch-up check instead of joining a throw-away group on the cluster it moves to.
 *
 * @module
 */
import type { Admin, Kafka } from 'kafkajs'
import { TopicTail } from '../cluster/topic-tail.js'
import type { ReplicationPolicy } from '../topology/replication-policy.js'
import { CheckpointCollector, type CheckpointSources, type CheckpointSourcesRequest } from './checkpoint-reader.js'
import type { CheckpointWriterId } from './checkpoint-codec.js'
import { checkpointTopicsOn, mm2SeparatorOf } from './checkpoint-topic.js'

/** Reads the checkpoint sources a translation needs (see `translateOffsetsWith`). */
export type CheckpointSourceReader = (request: CheckpointSourcesRequest) => Promise<Omit<CheckpointSources, 'stats'>>

/** What a {@link CheckpointView} follows. */
export interface CheckpointViewOptions {
  /** The cluster whose topics are followed. */
  cluster: string
  /** Its kafkajs client. */
  kafka: Kafka
  /** Its shared, connected admin. */
  admin: () => Promise<Admin>
  /** Every cluster's name. */
  clusters: readonly string[]
  /** How the replicator names topics. */
  policy: ReplicationPolicy
  /** The checkpoint topic's logical name. */
  checkpointTopic: string
}

/** Every checkpoint visible on one cluster, kept current in the background. */
export class CheckpointView {
  private readonly collector: CheckpointCollector
  private readonly tail: TopicTail

  constructor(options: CheckpointViewOptions) {
    const { cluster, clusters, policy } = options
    const others = clusters.filter((c) => c !== cluster)
    this.collector = new CheckpointCollector(
      checkpointTopicsOn(cluster, clusters, policy, options.checkpointTopic),
      others,
      mm2SeparatorOf(policy),
    )
    this.tail = new TopicTail({
      cluster,
      kafka: options.kafka,
      admin: options.admin,
      what: 'checkpoints',
      onRecord: (topic, partition, message) => this.collector.add(topic, partition, message),
    })
    this.tail.want(this.collector.topics)
  }

  /**
   * The checkpoints of the request's group, once the view has caught up with what the topics
   * hold now. Reads only what the view follows: the request's topics must be among them.
   *
   * @throws `TimeoutError` when the view does not catch up within `request.timeoutMs`; `NotConnectedError` when the view is closed meanwhile
   */
  readonly read: CheckpointSourceReader = async (request) => {
    await this.tail.caughtUp(request.timeoutMs)
    return this.collector.sources(request.group)
  }

  /**
   * Resolves once the view has read what the topics hold now (see {@link TopicTail.caughtUp}), so
   * that a {@link read} soon after only waits for what was written meanwhile.
   *
   * @throws `TimeoutError` when it does not catch up within `timeoutMs`; `NotConnectedError` when the view is closed meanwhile
   */
  caughtUp(timeoutMs: number): Promise<void> {
    return this.tail.caughtUp(timeoutMs)
  }

  /** See {@link CheckpointCollector.writersSince}: from memory, as far as the view has read. */
  writersSince(group: string, since: number): Array<CheckpointWriterId & { writtenAt: number }> {
    return this.collector.writersSince(group, since)
  }

  /** Stops following; the reader's disconnect is bounded by `timeoutMs` (default: the view's request timeout). */
  close(timeoutMs?: number): Promise<void> {
    return this.tail.close(timeoutMs)
  }
}
