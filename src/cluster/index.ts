export { ClusterConnection, FAILOVER_RETRY, disconnectQuietly, isKafkaInstance, kafkaFromConfig } from './cluster-connection.js'
export type { ActiveChange, FailoverContext, SwitchParticipant } from './failover-context.js'
export type { ClusterOptions, ProbeResult } from './types.js'
