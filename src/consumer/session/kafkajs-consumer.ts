import kafkajs from 'kafkajs'
import type { Consumer, ConsumerConfig, Kafka } from 'kafkajs'
import { mendKafkajsSeeks } from '../../cluster/kafkajs-seek-mend.js'
import type { InstanceIdentity } from './instance-identity.js'
import { createSubscriptionAssigner, subscriptionAssigner } from './subscription-assigner.js'

/** What the kafkajs consumer asks of its session. */
export interface RestartControl {
  /** A stopped session's consumer is never restarted. */
  isStopped: () => boolean
  /** Told whether kafkajs (with the application's `restartOnFailure`) restarts after a crash. */
  onRestartDecided: (restart: boolean) => void
}

/**
 * The kafkajs consumer of a session: the application's config with the session's defaults and
 * restart rule; with `identity` (the consumer's `instanceId`) its group metadata names it.
 */
export function createKafkajsConsumer(
  kafka: Kafka,
  kafkajsConfig: ConsumerConfig,
  control: RestartControl,
  identity?: InstanceIdentity,
): Consumer {
  // Seeks committed in one request, not one per partition (see the mend); applied once.
  mendKafkajsSeeks()
  // kafkajs' own retry (or the user's) stays: for a consumer it also decides how often a
  // failing handler is retried before the consumer restarts, and discovery, not the consumer,
  // notices a dead cluster.
  // A standby polls its paused assignment at this pace, and its first fetch after activation
  // waits for the poll in progress: keep it short. 500 ms is the Java client's default
  // (fetch.max.wait.ms); kafkajs' own is 5 s. A value the application set is kept.
  return kafka.consumer({
    maxWaitTimeInMs: 500,
    // Members of one group may subscribe to different topics (see subscription-assigner.ts);
    // kafkajs' round robin stays as the fallback protocol for members that offer only it.
    partitionAssigners: [
      identity === undefined ? subscriptionAssigner : createSubscriptionAssigner(identity),
      kafkajs.PartitionAssigners.roundRobin,
    ],
    ...kafkajsConfig,
    // kafkajs' own default retry, or the application's, except that a stopped session is never
    // restarted: a disconnect that timed out on a dead cluster must not leave a consumer that
    // rejoins the group (holding partitions it never reads) when the cluster returns.
    retry: {
      retries: 5,
      ...kafkajsConfig.retry,
      restartOnFailure: async (error: Error) => {
        if (control.isStopped()) return false
        const restart = (await kafkajsConfig.retry?.restartOnFailure?.(error)) ?? true
        control.onRestartDecided(restart)
        return restart
      },
    },
  })
}
