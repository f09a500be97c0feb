/**
 * The API report: every name the package exports, pinned. A change to the public surface fails
 * here and must be made on purpose (update the lists, and CHANGELOG.md).
 */
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import * as api from '../../src/index.js'
import { MultiClusterKafka } from '../../src/index.js'

/** Values (classes, functions, constants) exported by `src/index.ts`. */
const VALUES = [
  'ActiveClusterMovedError', 'CHECKPOINT_FORMAT_VERSION', 'ClusterIdChangedError', 'CodecError', 'DEFAULT_CHECKPOINT_TOPIC',
  'DEFAULT_CONTROL_TOPIC', 'DEFAULT_PROVENANCE_HEADER', 'DEFAULT_SEPARATOR', 'DefaultReplicationPolicy', 'DuplicateFilter',
  'FailoverError', 'GroupNotEmptyError', 'IdentityReplicationPolicy', 'InvalidOptionError', 'KafkaClientError', 'KafkaDRError',
  'MM2_CHECKPOINT_VERSION', 'MissingCheckpointError', 'MultiClusterKafka', 'NoActiveClusterError', 'NotConnectedError',
  'SendFailedError', 'SessionFencedError', 'TimeoutError', 'TranslationRefusedError', 'UnknownClusterError',
  'UnsupportedOperationError', 'commitTranslatedOffsets', 'createReplicationPolicy', 'declareActiveCluster', 'decodeCheckpoint',
  'decodeCheckpointKey', 'decodeMm2Checkpoint', 'isExcludedByMm2Defaults', 'mostPreferredUp', 'priorityPolicy', 'readDeclaration',
  'readProvenance', 'stickyPolicy', 'translateOffsets', 'translatePhysicalTopic',
  'instrumentMetrics',
  'DrainTimeoutError',
  'AuthenticationError',
  'DiscoveryPolicyError',
]

/** Names exported only as types (interfaces, type aliases, and classes users never construct). */
const TYPES = [
  'Checkpoint', 'CheckpointKey', 'CheckpointOptions', 'CheckpointWriteFailedInfo', 'CheckpointWrittenInfo',
  'CheckpointsUndecodableEvent', 'ClusterDownEvent', 'ClusterOptions', 'ClusterStatus', 'ClusterUpEvent', 'ClusterView',
  'CommitTranslatedOffsetsOptions', 'CommitTranslatedOffsetsResult', 'ConsumerDisconnectedEvent', 'ConsumerMoveFailedEvent', 'ConsumerMovedEvent',
  'ConsumerSessionCrashedEvent', 'ConsumerSplitEndedEvent', 'ConsumerSplitEvent', 'CheckpointWriterId', 'GroupSplit', 'GroupSplitOptions', 'FailoverConsumerStatus',
  'Declaration', 'DeclareRequest', 'DeclareResult', 'DiscoveryFunction', 'DiscoveryOptions', 'DiscoveryPolicy',
  'DiscoveryPolicyName', 'DiscoveryView', 'DuplicateFilterOptions', 'FailoverCompleteEvent', 'FailoverConsumer',
  'FailoverConsumerConfig', 'FailoverConsumerEvents', 'FailoverEachBatchPayload', 'FailoverEachMessagePayload',
  'FailoverFailedEvent', 'FailoverProducer', 'FailoverProducerConfig', 'FailoverRequest', 'FailoverRunConfig',
  'FailoverSubscribeOptions', 'FinalCheckpoint', 'HealthOptions', 'HealthState', 'KafkaDRErrorCode', 'KafkaDRErrorContext', 'KafkaDRErrorOptions',
  'MissingCheckpointPolicy', 'MissingPosition', 'Mm2Checkpoint', 'MultiClusterEvents', 'MultiClusterKafkaOptions',
  'MultiClusterStatus', 'ParsedTopic', 'PrefixReplicationOption', 'PrefixReplicationPolicyOptions', 'ProbeResult', 'Provenance',
  'RecordSource', 'RefusedTranslation', 'ReplicationOption', 'ReplicationPolicy', 'SwitchInfo', 'SwitchKind',
  'TranslateOffsetsRequest', 'TranslatedPartition', 'TranslationCandidates', 'TranslationMethod', 'TranslationResult',
  'TranslatorName', 'UnmappedCheckpoint', 'UnmappedReason',
  'DualReadMode', 'DedupeOptions', 'DedupeStatus', 'LaneStatus', 'FailoverTopicPartitionOffset', 'ConsumerDeduplicatedEvent',
  'ClusterProbeEvent', 'ProducerCreatedEvent', 'ConsumerCreatedEvent', 'FailoverProducerEvents', 'ProducerResentEvent',
  'DRMetrics', 'MetricsOptions',
  'FailoverResult', 'DrainOptions', 'ReplicationLagOptions', 'ReplicationFlowStatus', 'ReplicationLagEvent', 'DeclarationIgnoredEvent',
  'AuthenticationFailureKind', 'FailedParticipant', 'DiscoveryPolicyFailedEvent',
  'ConsumerFormerInstanceRemovedEvent', 'ConsumerInstanceConflictEvent',
]

/** Every name `src/index.ts` exports, values and types, as the TypeScript compiler sees them. */
function exportedNames(): string[] {
  const entry = fileURLToPath(new URL('../../src/index.ts', import.meta.url))
  const program = ts.createProgram([entry], {
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022,
    strict: true, skipLibCheck: true, noEmit: true, types: [],
  })
  const checker = program.getTypeChecker()
  const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!
  return checker.getExportsOfModule(module).map((s) => s.name).sort()
}

describe('the public API', () => {
  it('exports exactly these values', () => {
    expect(Object.keys(api).sort()).toEqual([...VALUES].sort())
  })

  it('exports exactly these names, values and types together', () => {
    expect(exportedNames()).toEqual([...VALUES, ...TYPES].sort())
  }, 30_000)

  it('keeps the client\'s internals off MultiClusterKafka', () => {
    const dr = new MultiClusterKafka({ clusters: { dc1: { kafka: { brokers: ['127.0.0.1:1'] } } } })
    const members = new Set([...Object.getOwnPropertyNames(MultiClusterKafka.prototype), ...Object.keys(dr)].filter((m) => !m.startsWith('_')))
    for (const internal of ['waitForActive', 'onActiveChange', 'onClusterUp', 'onClusterDown', 'healthOf', 'reportError', 'addParticipant', 'connection', 'clusters']) {
      expect(members.has(internal), internal).toBe(false)
    }
  })
})

describe('FailoverConsumer.events', () => {
  it('are kafkajs\' consumer event names, read without creating a kafkajs consumer', async () => {
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
