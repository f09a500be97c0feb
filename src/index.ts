/**
 * kafkajs-dr: multi-datacenter disaster recovery for kafkajs.
 *
 * Wrap your kafkajs clients in one {@link MultiClusterKafka}; it discovers the active
 * datacenter, fails producers and consumers over to the surviving cluster and back, and resumes
 * consumers from replicated checkpoints.
 *
 * Everything public is exported from the package root, and only from it (the package's `exports`
 * map has no other entry). Producers and consumers are exported as types: get them from
 * {@link MultiClusterKafka.producer} and {@link MultiClusterKafka.consumer}. Every error is a
 * {@link KafkaDRError}.
 *
 * Events: the client has `on`, `once` and `off` (`dr.on('failover:complete', ...)`), typed by
 * {@link MultiClusterEvents}, and only the client emits them; producers and consumers follow
 * kafkajs, whose `on(event, listener)` returns the function that removes the listener.
 *
 * @groupDescription Client
 * {@link MultiClusterKafka}, the one object an application creates: its options, its status, its
 * events, and planned switches ({@link MultiClusterKafka.failover}).
 *
 * @groupDescription Producer
 * {@link FailoverProducer}, kafkajs' Producer API over the active cluster: it re-sends what a
 * switch interrupted. Get one from {@link MultiClusterKafka.producer}.
 *
 * @groupDescription Consumer
 * {@link FailoverConsumer}, kafkajs' Consumer API over the active cluster: it checkpoints its
 * positions, moves its group on a switch and can read every origin (dual-read). Get one from
 * {@link MultiClusterKafka.consumer}.
 *
 * @groupDescription Discovery
 * Which cluster is active: health probes, the built-in policies, a policy of your own
 * ({@link DiscoveryFunction}), and the operator's declaration for the `declared` policy.
 *
 * @groupDescription Offsets
 * Translating a group's positions from one cluster to another outside a running consumer, as an
 * operator's script or `kafkajs-dr translate` does.
 *
 * @groupDescription Replication
 * What the library needs to know of the replicator: how it names topics on each cluster, the
 * provenance header on every record, and the replication lag it watches.
 *
 * @groupDescription Metrics
 * OpenTelemetry metrics of a client, its producers and its consumers.
 *
 * @groupDescription Errors
 * Every error is a {@link KafkaDRError} with a stable `code`, `retriable`, a `cause` and the
 * context that applies; `instanceof` works across two copies of the package.
 *
 * @packageDocumentation
 */

// What is exported: what an application, an operator's script or a custom discovery policy
// calls, and every type those signatures name (an application annotates with them). Not
// exported: the library's own parts (codecs, the duplicate filter, the built-in replication
// policies' classes, naming helpers) and the errors a caller never meets as such. Each name is
// kept for the reason beside it; etc/kafkajs-dr.api.md records every signature, and
// `npm run api:check` fails when one changes without the report.

// The client, its options, status and events
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
export type { ClusterOptions } from './cluster/types.js'

// Discovery. The built-in policies as functions, to compose in a custom one (wrap priority with
// a maintenance rule, fall back to sticky); the declared policy's operator calls and its topic's
// name (scripts create the topic and grant access to it).
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
export { priorityPolicy, stickyPolicy } from './discovery/policies.js'
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
export type { FailoverConsumerStatus } from './consumer/status.js'
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
export type {
  FailoverConsumerEvents,
  ConsumerMovedEvent,
  ConsumerMoveFailedEvent,
  ConsumerDisconnectedEvent,
  FinalCheckpoint,
  CheckpointsUndecodableEvent,
  ConsumerSplitEvent,
  ConsumerSplitEndedEvent,
  ConsumerSessionCrashedEvent,
  ConsumerDeduplicatedEvent,
  ConsumerFormerInstanceRemovedEvent,
  ConsumerInstanceConflictEvent,
} from './consumer/events.js'
export type { CheckpointWrittenInfo, CheckpointWriteFailedInfo } from './offsets/checkpoint-writer-types.js'

// Offsets: translation for an operator's script (what `kafkajs-dr translate` does), and the
// checkpoint topic's name (scripts create the topic and grant access to it). Checkpoint and the
// types it names are in a translation's result (`missing[].checkpoint`); the codecs stay inside.
export { translateOffsets, commitTranslatedOffsets } from './offsets/index.js'
export { DEFAULT_CHECKPOINT_TOPIC } from './offsets/checkpoint-codec.js'
export type { Checkpoint, CheckpointKey, CheckpointWriterId } from './offsets/checkpoint-codec.js'
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

// Replication: topic naming and provenance. createReplicationPolicy builds the policy that
// translateOffsets() needs from the same `replication` option as the client's; readProvenance
// reads a record's own origin in eachBatch, or in a consumer that is not kafkajs-dr's; the
// header's name is for the code that copies or filters headers.
export { createReplicationPolicy, readProvenance, DEFAULT_PROVENANCE_HEADER } from './topology/index.js'
export type { ReplicationPolicy, ReplicationOption, PrefixReplicationOption, ParsedTopic, Provenance } from './topology/index.js'

// Metrics: OpenTelemetry (`@opentelemetry/api` is an optional peer dependency, loaded only by
// instrumentMetrics() itself, and only when no meter is given)
export { instrumentMetrics } from './metrics/index.js'
export type { DRMetrics, MetricsOptions } from './metrics/index.js'

// Errors: every class a caller can meet (thrown, rejected with, or in an event), for
// instanceof; the codes of the others are in KafkaDRErrorCode.
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
  TimeoutError,
  DrainTimeoutError,
  KafkaClientError,
  UnsupportedOperationError,
  AuthenticationError,
  DiscoveryPolicyError,
} from './errors/index.js'
export type { FailedParticipant, KafkaDRErrorCode, KafkaDRErrorContext, KafkaDRErrorOptions } from './errors/index.js'
export type { AuthenticationFailureKind } from './errors/index.js'
