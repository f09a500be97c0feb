/**
 * kafkajs calls that meet a topic created a moment ago, tried again while the broker does not
 * serve its metadata yet.
 *
 * A replicator's new copy, or a topic whose creation was just acknowledged, can be listed before
 * the broker serves its metadata (Kafka 4.3 under load answers UNKNOWN_TOPIC_OR_PARTITION for a
 * while). kafkajs gives up on that at once, where it retries LEADER_NOT_AVAILABLE.
 *
 * @module
 */
import type { Admin, Consumer, ConsumerSubscribeTopics } from 'kafkajs'
import pRetry from 'p-retry'

/** How often, and how long at most (about 3.5 s in all), a call waits for a topic's metadata. */
const UNKNOWN_TOPIC_RETRY = { retries: 6, minTimeout: 100, maxTimeout: 1000, factor: 2 } as const

/**
 * The wait for a new topic's leaders: about 9.5 s at most. A single broker busy creating a
 * 480-partition topic served a new topic's metadata only 1.8-3.1 s after acknowledging it.
 */
const LEADER_RETRY = { retries: 12, minTimeout: 100, maxTimeout: 1000, factor: 2 } as const

const NOT_SERVED_YET = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE'])

/** Subscribes, tolerating a topic created a moment ago. A topic that does not exist fails after the retries. */
export async function subscribeWhenKnown(consumer: Consumer, subscription: ConsumerSubscribeTopics, signal?: AbortSignal): Promise<void> {
  await pRetry(() => consumer.subscribe(subscription), {
    ...UNKNOWN_TOPIC_RETRY,
    shouldRetry: ({ error }) => (error as { type?: unknown }).type === 'UNKNOWN_TOPIC_OR_PARTITION',
    ...(signal === undefined ? {} : { signal }),
  })
}

/**
 * Resolves once every partition of `topic` has a leader: the wait kafkajs' `createTopics({
 * waitForLeaders: true })` gives up on when the broker does not serve the new topic's metadata yet.
 */
export async function waitForTopicLeaders(admin: Admin, topic: string): Promise<void> {
  await pRetry(
    async () => {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
      const partitions = topics.find((t) => t.name === topic)?.partitions ?? []
      if (partitions.length === 0 || partitions.some((p) => p.leader < 0)) {
        throw Object.assign(new Error(`${topic} has no leader yet`), { type: 'LEADER_NOT_AVAILABLE' })
      }
    },
    {
      ...LEADER_RETRY,
      shouldRetry: ({ error }) => NOT_SERVED_YET.has(String((error as { type?: unknown }).type)),
    },
  )
}
