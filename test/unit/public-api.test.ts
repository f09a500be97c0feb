/**
 * The API report: every name the package exports, pinned. A change to the public surface fails
 * here and must be made on purpose (update the lists, and CHANGELOG.md).
 */
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import * as api from '../../src/index.js'
import { MultiClusterKafka } from '../../src/index.js'

/**
 * Values (classes, functions, constants) exported by `src/index.ts`. Their signatures are in the
 * API report, etc/kafkajs-dr.api.md (`npm run api:check`); why each is exported is in the module
 * comment of src/index.ts.
 */
const VALUES = [
  // client
  'MultiClusterKafka',
  // discovery: policies to compose in a custom one, and the declared policy's operator calls
  'priorityPolicy',
  'stickyPolicy',
  'declareActiveCluster',
  'readDeclaration',
  'DEFAULT_CONTROL_TOPIC',
  // offsets: translation for operator scripts, and the checkpoint topic's name
  'translateOffsets',
  'commitTranslatedOffsets',
  'DEFAULT_CHECKPOINT_TOPIC',
  // topology: the policy translateOffsets needs, and the provenance header's reader
  'createReplicationPolicy',
  'readProvenance',
  'DEFAULT_PROVENANCE_HEADER',
  // metrics
  'instrumentMetrics',
  // errors a caller can meet
  'KafkaDRError',
  'InvalidOptionError',
  'UnknownClusterError',
  'NoActiveClusterError',
  'ClusterIdChangedError',
  'NotConnectedError',
  'SendFailedError',
  'FailoverError',
  'MissingCheckpointError',
  'TranslationRefusedError',
  'GroupNotEmptyError',
  'TimeoutError',
  'DrainTimeoutError',
  'KafkaClientError',
  'UnsupportedOperationError',
  'AuthenticationError',
  'DiscoveryPolicyError',
]

/** Names exported only as types: options, results, event payloads, and the classes users never construct. */
const TYPES = [
  // client
  'MultiClusterKafkaOptions',
  'MultiClusterStatus',
  'ClusterStatus',
  'SwitchInfo',
  'SwitchKind',
  'FailoverRequest',
  'FailoverResult',
  'DrainOptions',
  'ReplicationLagOptions',
  'ReplicationFlowStatus',
  'ClusterOptions',
  'MultiClusterEvents',
  'ClusterUpEvent',
  'ClusterDownEvent',
  'ClusterProbeEvent',
  'ProducerCreatedEvent',
  'ConsumerCreatedEvent',
  'FailoverCompleteEvent',
  'FailoverFailedEvent',
  'ReplicationLagEvent',
  'DeclarationIgnoredEvent',
  'DiscoveryPolicyFailedEvent',
  // discovery
  'HealthOptions',
  'HealthState',
  'DiscoveryOptions',
  'DiscoveryPolicy',
  'DiscoveryPolicyName',
  'DiscoveryFunction',
  'DiscoveryView',
  'ClusterView',
  'DeclareRequest',
  'DeclareResult',
  'Declaration',
  // producer
  'FailoverProducer',
  'FailoverProducerConfig',
  'FailoverProducerEvents',
  'ProducerResentEvent',
  // consumer
  'FailoverConsumer',
  'FailoverConsumerStatus',
  'GroupSplit',
  'DedupeStatus',
  'FailoverConsumerConfig',
  'CheckpointOptions',
  'GroupSplitOptions',
  'DualReadMode',
  'DedupeOptions',
  'FailoverRunConfig',
  'FailoverSubscribeOptions',
  'FailoverEachMessagePayload',
  'FailoverEachBatchPayload',
  'RecordSource',
  'FailoverTopicPartitionOffset',
  'FailoverConsumerEvents',
  'ConsumerMovedEvent',
  'ConsumerMoveFailedEvent',
  'ConsumerDisconnectedEvent',
  'FinalCheckpoint',
  'CheckpointsUndecodableEvent',
  'ConsumerSplitEvent',
  'ConsumerSplitEndedEvent',
  'ConsumerSessionCrashedEvent',
  'ConsumerDeduplicatedEvent',
  'ConsumerFormerInstanceRemovedEvent',
  'ConsumerInstanceConflictEvent',
  'CheckpointWrittenInfo',
  'CheckpointWriteFailedInfo',
  // offsets
  'CommitTranslatedOffsetsOptions',
  'CommitTranslatedOffsetsResult',
  'TranslateOffsetsRequest',
  'TranslationResult',
  'TranslatorName',
  'TranslationMethod',
  'MissingCheckpointPolicy',
  'TranslatedPartition',
  'TranslationCandidates',
  'RefusedTranslation',
  'UnmappedCheckpoint',
  'UnmappedReason',
  'MissingPosition',
  'Checkpoint',
  'CheckpointKey',
  'CheckpointWriterId',
  // replication (topology)
  'ReplicationPolicy',
  'ReplicationOption',
  'PrefixReplicationOption',
  'ParsedTopic',
  'Provenance',
  // metrics
  'DRMetrics',
  'MetricsOptions',
  // errors
  'FailedParticipant',
  'KafkaDRErrorCode',
  'KafkaDRErrorContext',
  'KafkaDRErrorOptions',
  'AuthenticationFailureKind',
]

/** Every name `src/index.ts` exports, values and types, as the TypeScript compiler sees them. */
function exportedNames(): string[] {
  const entry = fileURLToPath(new URL('../../src/index.ts', import.meta.url))
  const program = ts.createProgram([entry], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: [],
  })
  const checker = program.getTypeChecker()
  const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!
  return checker
    .getExportsOfModule(module)
    .map((s) => s.name)
    .sort()
}

describe('the public API', () => {
  it('exports exactly these values', () => {
    expect(Object.keys(api).sort()).toEqual([...VALUES].sort())
  })

  it('exports exactly these names, values and types together', () => {
    expect(exportedNames()).toEqual([...VALUES, ...TYPES].sort())
  }, 30_000)

  it("keeps the client's internals off MultiClusterKafka", () => {
    const dr = new MultiClusterKafka({ clusters: { dc1: { kafka: { brokers: ['127.0.0.1:1'] } } } })
    const members = new Set(
      [...Object.getOwnPropertyNames(MultiClusterKafka.prototype), ...Object.keys(dr)].filter((m) => !m.startsWith('_')),
    )
    for (const internal of [
      'waitForActive',
      'onActiveChange',
      'onClusterUp',
      'onClusterDown',
      'healthOf',
      'reportError',
      'addParticipant',
      'connection',
      'clusters',
    ]) {
      expect(members.has(internal), internal).toBe(false)
    }
  })
})

describe('FailoverConsumer.events', () => {
  it("are kafkajs' consumer event names, read without creating a kafkajs consumer", async () => {
    const kafkajs = (await import('kafkajs')).default
    const dr = new MultiClusterKafka({ clusters: { dc1: { kafka: { brokers: ['127.0.0.1:1'] } } } })
    const consumer = dr.consumer({ groupId: 'g' })
    try {
      expect(consumer.events).toEqual(new kafkajs.Kafka({ brokers: ['127.0.0.1:1'] }).consumer({ groupId: 'g' }).events)
      expect(consumer.events.GROUP_JOIN).toBe('consumer.group_join')
    } finally {
      await consumer.disconnect()
    }
  })
})
