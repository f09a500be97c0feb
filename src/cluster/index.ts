export {
  ClusterConnection,
  FAILOVER_RETRY,
  disconnectQuietly,
  disconnectWithin,
  isKafkaInstance,
  kafkaFromConfig,
} from './cluster-connection.js'
export type { ActiveChange, FailoverContext, SwitchParticipant } from './failover-context.js'
export { readTopicsOnce, topicWatermarks } from './one-shot-reader.js'
export { subscribeWhenKnown, waitForTopicLeaders } from './new-topics.js'
export type {
  OneShotReadOptions,
  OneShotReadStats,
  OneShotRecordHandler,
  PartitionWatermarks,
  TopicWatermarks,
  WatermarkOptions,
} from './one-shot-reader.js'
export type { ClusterOptions, ProbeResult } from './types.js'
