/**
 * kafkajs-dr: multi-datacenter disaster recovery for kafkajs.
 *
 * Wrap your kafkajs clients in one {@link MultiClusterKafka}; it discovers the active
 * datacenter, fails producers and consumers over to the surviving cluster and back, and resumes
 * consumers from replicated checkpoints.
 *
 * Everything public is exported from this file, and only from it (the package's `exports` map
 * has no other entry). Producers and consumers are exported as types: get them from
 * {@link MultiClusterKafka.producer} and {@link MultiClusterKafka.consumer}. Every error is a
 * {@link KafkaDRError}. `test/unit/public-api.test.ts` pins this list: a change to it is a
 * decision, not an accident.
 *
 * Events: the client has `on`, `once` and `off` (`dr.on('failover:complete', ...)`), typed by
 * {@link MultiClusterEvents}, and only the client emits them; producers and consumers follow
 * kafkajs, whose `on(event, listener)` returns the function that removes the listener.
 *
 * @packageDocumentation
 */

// The client
export { MultiClusterKafka } from './client/multi-cluster-kafka.js'
export type {
  MultiClusterKafkaOptions,
  MultiClusterStatus,
  ClusterStatus,
  SwitchInfo,
  SwitchKind,
  FailoverRequest,
  FailoverResult,
  DrainOptions,
  ReplicationLagOptions,
} from './client/types.js'
export type { ReplicationFlowStatus } from './replication/lag-monitor.js'
export type {
  MultiClusterEvents,
  ClusterUpEvent,
  ClusterDownEvent,
  ClusterProbeEvent,
  ProducerCreatedEvent,
  ConsumerCreatedEvent,
  FailoverCompleteEvent,
  FailoverFailedEvent,
  ReplicationLagEvent,
  DeclarationIgnoredEvent,
  DiscoveryPolicyFailedEvent,
} from './client/events.js'

// Clusters and discovery
export type { ClusterOptions, ProbeResult } from './cluster/types.js'
export type {
  HealthOptions,
  HealthState,
  DiscoveryOptions,
  DiscoveryPolicy,
  DiscoveryPolicyName,
  DiscoveryFunction,
  DiscoveryView,
  ClusterView,
} from './discovery/types.js'
export { priorityPolicy, stickyPolicy, mostPreferredUp } from './discovery/policies.js'
export { declareActiveCluster, readDeclaration } from './discovery/declare.js'
export { DEFAULT_CONTROL_TOPIC } from './discovery/control-record.js'
export type { DeclareRequest, DeclareResult } from './discovery/declare.js'
export type { Declaration } from './discovery/control-record.js'

// Producer: instances come from dr.producer()
export type { FailoverProducer } from './producer/failover-producer.js'
export type { FailoverProducerConfig } from './producer/types.js'
export type { FailoverProducerEvents, ProducerResentEvent } from './producer/events.js'

// Consumer: instances come from dr.consumer()
export type { FailoverConsumer } from './consumer/failover-consumer.js'
export type { FailoverConsumerStatus, LaneStatus } from './consumer/status.js'
export type { GroupSplit } from './consumer/group-split.js'
export type { DedupeStatus } from './consumer/delivery/delivery-filter.js'
export type { FailoverConsumerConfig, CheckpointOptions, GroupSplitOptions, DualReadMode, DedupeOptions } from './consumer/config.js'
export type {
  FailoverRunConfig,
  FailoverSubscribeOptions,
  FailoverEachMessagePayload,
  FailoverEachBatchPayload,
  RecordSource,
  FailoverTopicPartitionOffset,
} from './consumer/run-config.js'
export type { FailoverConsumerEvents, ConsumerMovedEvent, ConsumerMoveFailedEvent, ConsumerDisconnectedEvent, FinalCheckpoint, CheckpointsUndecodableEvent, ConsumerSplitEvent, ConsumerSplitEndedEvent, ConsumerSessionCrashedEvent, ConsumerDeduplicatedEvent, ConsumerFormerInstanceRemovedEvent, ConsumerInstanceConflictEvent } from './consumer/events.js'
export type { CheckpointWrittenInfo, CheckpointWriteFailedInfo } from './offsets/checkpoint-writer-types.js'

// Offsets: translation for tools and the CLI
export { translateOffsets, commitTranslatedOffsets } from './offsets/index.js'
export type { CommitTranslatedOffsetsOptions, CommitTranslatedOffsetsResult } from './offsets/commit-offsets.js'
export type {
  TranslateOffsetsRequest,
  TranslationResult,
  TranslatorName,
  TranslationMethod,
  MissingCheckpointPolicy,
  TranslatedPartition,
  TranslationCandidates,
  RefusedTranslation,
  UnmappedCheckpoint,
  UnmappedReason,
  MissingPosition,
} from './offsets/translation-types.js'

// Topology: topic naming and provenance
export {
  DefaultReplicationPolicy,
  IdentityReplicationPolicy,
  createReplicationPolicy,
  translatePhysicalTopic,
  DEFAULT_SEPARATOR,
  readProvenance,
  DuplicateFilter,
  DEFAULT_PROVENANCE_HEADER,
} from './topology/index.js'
export type {
  ReplicationPolicy,
  ReplicationOption,
  PrefixReplicationOption,
  PrefixReplicationPolicyOptions,
  ParsedTopic,
  Provenance,
  DuplicateFilterOptions,
} from './topology/index.js'

// Offsets: checkpoint formats, read by tools (encoders are internal)
export {
  DEFAULT_CHECKPOINT_TOPIC,
  CHECKPOINT_FORMAT_VERSION,
  decodeCheckpoint,
  decodeCheckpointKey,
} from './offsets/checkpoint-codec.js'
export { isExcludedByMm2Defaults } from './topology/mm2-exclusions.js'
export type { Checkpoint, CheckpointKey, CheckpointWriterId } from './offsets/checkpoint-codec.js'
export { decodeMm2Checkpoint, MM2_CHECKPOINT_VERSION } from './offsets/mm2-checkpoint-codec.js'
export type { Mm2Checkpoint } from './offsets/mm2-checkpoint-codec.js'

// Metrics: OpenTelemetry (`@opentelemetry/api` is an optional peer dependency, loaded only by
// instrumentMetrics() itself, and only when no meter is given)
export { instrumentMetrics } from './metrics/index.js'
export type { DRMetrics, MetricsOptions } from './metrics/index.js'

// Errors
export {
  KafkaDRError,
  InvalidOptionError,
  UnknownClusterError,
  NoActiveClusterError,
  ClusterIdChangedError,
  NotConnectedError,
  SendFailedError,
  FailoverError,
  MissingCheckpointError,
  TranslationRefusedError,
  GroupNotEmptyError,
  CodecError,
  TimeoutError,
  DrainTimeoutError,
  KafkaClientError,
  ActiveClusterMovedError,
  SessionFencedError,
  UnsupportedOperationError,
  AuthenticationError,
  DiscoveryPolicyError,
} from './errors/index.js'
export type { FailedParticipant, KafkaDRErrorCode, KafkaDRErrorContext, KafkaDRErrorOptions } from './errors/index.js'
export type { AuthenticationFailureKind } from './errors/index.js'
