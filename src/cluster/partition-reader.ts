/**
 * Reads every partition of a few topics without a consumer group: `Fetch` requests sent straight
 * to each partition's leader, from offsets the reader keeps, through kafkajs' own cluster client
 * (see `kafkajs-internals.ts`), so with the client's TLS and SASL settings.
 *
 * Why: kafkajs has no consumer without a group (no `assign()`), and a group costs a join, which a
 * broker with Kafka's default `group.initial.rebalance.delay.ms` holds for 3 s, and a rejoin at
 * every change of topics. The topics read here are small and read whole by every instance, so
 * they need no group: the reader starts at once and follows new topics without reading the old
 * ones again.
 *
 * @module
 */
import type { KafkaMessage } from 'kafkajs'
import { backoff } from '../util/backoff.js'
import { errorMessage, logger } from '../util/log.js'
import { partitionKey } from '../util/partition-key.js'
import { delay, withTimeout } from '../util/timeout.js'
import {
  filterAbortedMessages,
  READ_COMMITTED,
  type ClusterFactory,
  type FetchPartitionRequest,
  type FetchPartitionResponse,
  type KafkajsCluster,
} from './kafkajs-internals.js'

const log = logger('cluster')

/** Back-off after a failed round (an unreachable broker, a moved leader), in ms. */
const RETRY = { initialMs: 200, maxMs: 5000 }
/** Bytes asked per partition and per request: kafkajs' consumer defaults. */
const MAX_BYTES_PER_PARTITION = 1_048_576
const MAX_BYTES = 10_485_760

/** What a {@link PartitionReader} needs. */
export interface PartitionReaderOptions {
  /** Cluster name, for logs. */
  cluster: string
  /** Label for logs, e.g. `checkpoints`. */
  what: string
  /** kafkajs' cluster factory of the cluster's client. */
  createCluster: ClusterFactory
  /** How long a fetch waits at the broker for records to arrive, in ms. */
  maxWaitTimeMs: number
  /** Called for every record read, in offset order within a partition (not for control records). Must not throw. */
  onRecord: (topic: string, partition: number, message: KafkaMessage) => void
  /** Called when a partition's next offset to read moved on. Must not throw. */
  onProgress: (topic: string, partition: number, next: bigint) => void
}

/** See the module description. */
export class PartitionReader {
  private topics: readonly string[] = []
  /** Next offset to read per partition (absent: the partition's start). */
  private readonly next = new Map<string, bigint>()
  /** Bumped by every change of topics and every failed round: the loops of an older round end after their fetch. */
  private generation = 0
  private cluster: KafkajsCluster | undefined
  private running: Promise<void> | undefined
  private closed = false

  constructor(private readonly options: PartitionReaderOptions) {}

  /** Reads `topics` (existing ones) from here on; partitions already read go on where they were. */
  follow(topics: readonly string[]): void {
    if (this.closed) return
    this.topics = [...topics]
    this.generation++
    this.running ??= this.run()
  }

  /** Stops reading; the connections close within `timeoutMs` or are left to close in the background. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true
    this.generation++
    const cluster = this.cluster
    this.cluster = undefined
    if (cluster)
      await withTimeout(cluster.disconnect(), timeoutMs, `closing the ${this.options.what} reader on '${this.options.cluster}'`).catch(
        () => {},
      )
  }

  private async run(): Promise<void> {
    let failures = 0
    while (!this.closed) {
      const generation = this.generation
      try {
        const cluster = await this.connected()
        if (cluster === undefined) return
        if (this.topics.length > 0) await cluster.addMultipleTargetTopics([...this.topics])
        await cluster.refreshMetadata()
        const byLeader = this.requestsByLeader(cluster)
        if (byLeader.size === 0) {
          await this.idle(generation)
          continue
        }
        // One loop per leader: a broker with records answers at once, whatever the others wait for.
        await Promise.all([...byLeader].map(([nodeId, topics]) => this.readFrom(cluster, nodeId, topics, generation)))
        failures = 0
      } catch (error) {
        if (this.closed) return
        // The other leaders' loops end too (after their fetch): the next round starts them afresh.
        this.generation++
        const retryInMs = backoff(++failures, RETRY)
        log('%s reader on %s: %s (again in %d ms)', this.options.what, this.options.cluster, errorMessage(error), retryInMs)
        await delay(retryInMs)
      }
    }
  }

  /** The reader's cluster client, connected; undefined when the reader closed meanwhile. */
  private async connected(): Promise<KafkajsCluster | undefined> {
    if (this.cluster) return this.cluster
    const cluster = this.options.createCluster({ allowAutoTopicCreation: false })
    await cluster.connect()
    if (this.closed) {
      void cluster.disconnect().catch(() => {})
      return undefined
    }
    this.cluster = cluster
    return cluster
  }

  /** Waits until the topics change or the reader closes, checking every fetch wait. */
  private async idle(generation: number): Promise<void> {
    while (!this.closed && generation === this.generation) await delay(this.options.maxWaitTimeMs)
  }

  /** The partitions of the followed topics, by the node id of their leader. */
  private requestsByLeader(cluster: KafkajsCluster): Map<string, Array<{ topic: string; partitions: FetchPartitionRequest[] }>> {
    const byLeader = new Map<string, Array<{ topic: string; partitions: FetchPartitionRequest[] }>>()
    for (const topic of this.topics) {
      const ids = cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId)
      for (const [nodeId, partitions] of Object.entries(cluster.findLeaderForPartitions(topic, ids))) {
        const list = byLeader.get(nodeId) ?? []
        list.push({
          topic,
          partitions: partitions.map((partition) => ({
            partition,
            fetchOffset: this.nextOffset(topic, partition),
            maxBytes: MAX_BYTES_PER_PARTITION,
          })),
        })
        byLeader.set(nodeId, list)
      }
    }
    return byLeader
  }

  /** Fetches from one leader until the topics change, the reader closes or a fetch fails. */
  private async readFrom(
    cluster: KafkajsCluster,
    nodeId: string,
    topics: Array<{ topic: string; partitions: FetchPartitionRequest[] }>,
    generation: number,
  ): Promise<void> {
    const broker = await cluster.findBroker({ nodeId })
    while (!this.closed && generation === this.generation) {
      for (const { topic, partitions } of topics) {
        for (const p of partitions) p.fetchOffset = this.nextOffset(topic, p.partition)
      }
      try {
        const { responses } = await broker.fetch({
          isolationLevel: READ_COMMITTED,
          maxWaitTime: this.options.maxWaitTimeMs,
          minBytes: 1,
          maxBytes: MAX_BYTES,
          topics,
        })
        if (this.closed || generation !== this.generation) return
        for (const { topicName, partitions } of responses) for (const p of partitions) this.take(topicName, p)
      } catch (error) {
        const { topic, partition } = error as { name?: string; topic?: string; partition?: number }
        if ((error as Error).name !== 'KafkaJSOffsetOutOfRange' || topic === undefined || partition === undefined) throw error
        // Retention or compaction removed records not yet read: go on from the partition's start.
        const [start] = await cluster.fetchTopicsOffset([{ topic, fromBeginning: true, partitions: [{ partition }] }])
        const offset = start?.partitions.find((p) => p.partition === partition)?.offset
        if (offset !== undefined) this.advance(topic, partition, BigInt(offset))
      }
    }
  }

  /** Hands on one fetched partition's records and moves its next offset past them. */
  private take(topic: string, response: FetchPartitionResponse): void {
    const key = partitionKey(topic, response.partition)
    const from = this.next.get(key) ?? 0n
    // A compressed batch may start before the offset asked for.
    const fetched = response.messages.filter((m) => BigInt(m.offset) >= from)
    if (fetched.length === 0) {
      // As kafkajs' consumer does. Records only before the offset asked for: the rest of their
      // batch was compacted away, so the offset holds no record. Nothing at all, yet the partition
      // holds more: batches compaction emptied (decoded to no records) lie between, since any
      // record there would have been returned.
      const lastStable = Number(response.lastStableOffset ?? -1) >= 0 ? response.lastStableOffset! : response.highWatermark
      const next = response.messages.length > 0 ? from + 1n : BigInt(lastStable)
      if (next > from) this.advance(topic, response.partition, next)
      return
    }
    // Built only where kafkajs has the filter (see clusterFactoryOf).
    for (const message of filterAbortedMessages!({ messages: fetched, abortedTransactions: response.abortedTransactions })) {
      if (!message.isControlRecord) this.options.onRecord(topic, response.partition, message)
    }
    this.advance(topic, response.partition, BigInt(fetched[fetched.length - 1]!.offset) + 1n)
  }

  /** The next offset to fetch of a partition, as a `Fetch` request takes it. */
  private nextOffset(topic: string, partition: number): string {
    return String(this.next.get(partitionKey(topic, partition)) ?? 0n)
  }

  private advance(topic: string, partition: number, next: bigint): void {
    this.next.set(partitionKey(topic, partition), next)
    this.options.onProgress(topic, partition, next)
  }
}
