/**
 * kafkajs' `consumer.subscribe`, tried again while the broker does not know a topic yet.
 *
 * @module
 */
import type { Consumer, ConsumerSubscribeTopics } from 'kafkajs'
import pRetry from 'p-retry'

/** How often, and how long at most (about 3.5 s in all), a subscription waits for a topic's metadata. */
const UNKNOWN_TOPIC_RETRY = { retries: 6, minTimeout: 100, maxTimeout: 1000, factor: 2 } as const

/**
 * Subscribes, tolerating a topic created a moment ago: a replicator's new copy, or a topic whose
 * creation was just acknowledged, can be listed before the broker serves its metadata (Kafka 4.3
 * under load answers UNKNOWN_TOPIC_OR_PARTITION for a while), and kafkajs gives up on that at once,
 * where it retries LEADER_NOT_AVAILABLE. A topic that does not exist fails after the retries.
 */
export async function subscribeWhenKnown(consumer: Consumer, subscription: ConsumerSubscribeTopics, signal?: AbortSignal): Promise<void> {
  await pRetry(() => consumer.subscribe(subscription), {
    ...UNKNOWN_TOPIC_RETRY,
    shouldRetry: ({ error }) => (error as { type?: unknown }).type === 'UNKNOWN_TOPIC_OR_PARTITION',
    ...(signal === undefined ? {} : { signal }),
  })
}
