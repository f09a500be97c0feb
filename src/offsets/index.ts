/**
 * Offsets: consumer checkpoints (codec, writer, readers) and their translation onto another
 * cluster (timestamp, MM2 and identity translators).
 *
 * @module
 */
export {
  CHECKPOINT_FORMAT_VERSION,
  CHECKPOINT_KEY_VERSION,
  DEFAULT_CHECKPOINT_TOPIC,
  decodeCheckpoint,
  decodeCheckpointKey,
  encodeCheckpoint,
  encodeCheckpointKey,
  encodeCheckpointValue,
} from './checkpoint-codec.js'
export { MM2_DEFAULT_TOPICS_EXCLUDE, isExcludedByMm2Defaults, mm2DefaultExclusion } from '../topology/mm2-exclusions.js'
export type { Checkpoint, CheckpointKey } from './checkpoint-codec.js'
export { MM2_CHECKPOINT_VERSION, decodeMm2Checkpoint, encodeMm2CheckpointKey, encodeMm2CheckpointValue } from './mm2-checkpoint-codec.js'
export type { Mm2Checkpoint } from './mm2-checkpoint-codec.js'
export {
  CHECKPOINT_TOPIC_CONFIG,
  checkpointTopicsOn,
  ensureCheckpointTopic,
  mm2CheckpointsTopic,
  mm2SeparatorOf,
} from './checkpoint-topic.js'
export type { EnsureCheckpointTopicOptions } from './checkpoint-topic.js'
export { CheckpointWriter } from './checkpoint-writer.js'
export type {
  CheckpointFlushResult,
  CheckpointPosition,
  CheckpointTarget,
  CheckpointWriteFailedInfo,
  CheckpointWriterOptions,
  CheckpointWrittenInfo,
} from './checkpoint-writer.js'
export { readCheckpointSources, readCheckpoints, readMm2Checkpoints } from './checkpoint-reader.js'
export type { CheckpointSources, CheckpointSourcesRequest, Mm2CheckpointEntry, ReadCheckpointsOptions } from './checkpoint-reader.js'
export { translateOffsets } from './translate.js'
export { commitTranslatedOffsets } from './commit-offsets.js'
export type { CommitTranslatedOffsetsOptions, CommitTranslatedOffsetsResult } from './commit-offsets.js'
export type {
  MissingCheckpointPolicy,
  MissingPosition,
  RefusedTranslation,
  TranslateOffsetsRequest,
  TranslatedPartition,
  TranslationCandidates,
  TranslationMethod,
  TranslationResult,
  TranslatorName,
  UnmappedCheckpoint,
  UnmappedReason,
} from './translation-types.js'
