/**
 * The parts of kafkajs that it does not export, in one place. kafkajs 2.2.4 is its last release,
 * so they stay put; every use falls back to the public API (or to doing without) when a client
 * object lacks them.
 *
 * - The cluster factory a `Kafka` instance keeps under a private symbol, the one its producers
 *   and consumers are built with: requests kafkajs has no API for (`LeaveGroup` for another
 *   member, `Fetch` without a consumer group), sent with the client's own TLS and SASL settings.
 * - The consumer's instrumentation event names and its filter of aborted transactional records,
 *   from modules of kafkajs' own (the package has no exports map).
 * - The `Connection` class, which `kafkajs-connection-mend.ts` mends, and the consumer's
 *   `ConsumerGroup` class, whose seeks `kafkajs-seek-mend.ts` commits in one request.
 *
 * A kafkajs that moved any of them never makes importing this package fail: the event names then
 * come from a consumer created (never connected) to read them, and the requests go through the
 * public API.
 *
 * @module
 */
import kafkajs from 'kafkajs'
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/** A module of kafkajs' own, or `undefined` when this kafkajs does not have it there. */
function kafkajsModule<T>(path: string): T | undefined {
  try {
    return require(path) as T
  } catch {
    return undefined
  }
}

/** A partition of a `Fetch` request. */
export interface FetchPartitionRequest {
  partition: number
  fetchOffset: string
  maxBytes: number
}

/** A record as kafkajs decodes it from a `Fetch` response: control records included, flagged. */
export type FetchedRecord = KafkaMessage & { isControlRecord?: boolean; batchContext: { producerId: string; inTransaction: boolean } }

/** A partition of a `Fetch` response, as kafkajs decodes it. */
export interface FetchPartitionResponse {
  partition: number
  errorCode: number
  highWatermark: string
  /** Fetch v4 and later: the end of what READ_COMMITTED may read. */
  lastStableOffset?: string
  abortedTransactions?: Array<{ producerId: string; firstOffset: string }>
  messages: FetchedRecord[]
}

/** A topic of a `ListOffsets` request: each partition with the timestamp it asks about. */
export interface KafkajsListOffsetsTopic {
  topic: string
  partitions: Array<{ partition: number; timestamp: number }>
}

/** What kafkajs' broker offers that is used here (kafkajs/src/broker). */
export interface KafkajsBroker {
  listOffsets(request: {
    isolationLevel: number
    topics: KafkajsListOffsetsTopic[]
  }): Promise<{ responses: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> }>
  fetch(request: {
    isolationLevel: number
    maxWaitTime: number
    minBytes: number
    maxBytes: number
    topics: Array<{ topic: string; partitions: FetchPartitionRequest[] }>
  }): Promise<{ responses: Array<{ topicName: string; partitions: FetchPartitionResponse[] }> }>
  leaveGroup(request: { groupId: string; memberId: string }): Promise<unknown>
}

/** What kafkajs' cluster offers that is used here (kafkajs/src/cluster). */
export interface KafkajsCluster {
  connect(): Promise<void>
  disconnect(): Promise<void>
  refreshMetadata(): Promise<void>
  addMultipleTargetTopics(topics: string[]): Promise<void>
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>
  findTopicPartitionMetadata(topic: string): Array<{ partitionId: number }>
  findBroker(request: { nodeId: string }): Promise<KafkajsBroker>
  findGroupCoordinator(request: { groupId: string }): Promise<KafkajsBroker>
  fetchTopicsOffset(
    topics: Array<{ topic: string; fromBeginning: boolean; partitions: Array<{ partition: number }> }>,
  ): Promise<Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>>
}

/** kafkajs' cluster factory. */
export type ClusterFactory = (options: { metadataMaxAge?: number; allowAutoTopicCreation?: boolean }) => KafkajsCluster

/**
 * kafkajs' cluster factory on a `Kafka` instance, if it has one (and this kafkajs has its filter
 * of aborted records, which reads through the factory need).
 */
export function clusterFactoryOf(kafka: Kafka): ClusterFactory | undefined {
  if (filterAbortedMessages === undefined) return undefined
  const symbol = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster')
  const factory = symbol === undefined ? undefined : (kafka as unknown as Record<symbol, unknown>)[symbol]
  return typeof factory === 'function' ? (factory as ClusterFactory) : undefined
}

/** kafkajs' consumer instrumentation event names, as every kafkajs consumer's `events` holds them. */
export const CONSUMER_EVENTS: Consumer['events'] =
  kafkajsModule<{ events: Consumer['events'] }>('kafkajs/src/consumer/instrumentationEvents')?.events ??
  new kafkajs.Kafka({ brokers: ['127.0.0.1:9'], logLevel: kafkajs.logLevel.NOTHING }).consumer({ groupId: 'kafkajs-dr.events' }).events

/** Drops the records of aborted transactions from a fetched partition, as kafkajs' consumer does. */
export const filterAbortedMessages = kafkajsModule<
  (input: { messages: FetchedRecord[]; abortedTransactions?: FetchPartitionResponse['abortedTransactions'] }) => FetchedRecord[]
>('kafkajs/src/consumer/filterAbortedMessages')

/** The `Fetch` isolation level that hides uncommitted transactional records (kafkajs' consumer default). */
export const READ_COMMITTED = 1

/** kafkajs' connection to one broker (kafkajs/src/network/connection), if this kafkajs has it there. */
export const ConnectionClass = kafkajsModule<unknown>('kafkajs/src/network/connection')

/** kafkajs' consumer group (kafkajs/src/consumer/consumerGroup), if this kafkajs has it there. */
export const ConsumerGroupClass = kafkajsModule<unknown>('kafkajs/src/consumer/consumerGroup')
