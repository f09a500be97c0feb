/** Errors of checkpoints, offset translation and offset commits. */
import { KafkaDRError, type KafkaDRErrorOptions } from './base.js'

/**
 * No checkpoint exists for a partition and `onMissingCheckpoint` is `'error'`.
 *
 * @group Errors
 */
export class MissingCheckpointError extends KafkaDRError {
  constructor(message: string, options: KafkaDRErrorOptions = {}) {
    super('ERR_MISSING_CHECKPOINT', message, options)
  }
}
MissingCheckpointError.prototype.name = 'MissingCheckpointError'

/**
 * A translator refused to translate (for example a replica topic with `LogAppendTime`).
 *
 * @group Errors
 */
export class TranslationRefusedError extends KafkaDRError {
  constructor(message: string, options: KafkaDRErrorOptions = {}) {
    super('ERR_TRANSLATION_REFUSED', message, options)
  }
}
TranslationRefusedError.prototype.name = 'TranslationRefusedError'

/**
 * Offsets could not be committed to a consumer group because the group has running members (its
 * state is not `Empty` or `Dead`): Kafka accepts an admin offset commit only for an empty group.
 * Retriable: wait until the group's members have left (their session timed out), or let the
 * consumer position itself after it joins.
 *
 * @group Errors
 */
export class GroupNotEmptyError extends KafkaDRError {
  /** Topics whose offsets were committed before the failure (an admin commit is per topic). */
  readonly committedTopics: readonly string[]
  constructor(message: string, options: KafkaDRErrorOptions & { committedTopics?: readonly string[] } = {}) {
    const { committedTopics = [], ...rest } = options
    super('ERR_GROUP_NOT_EMPTY', message, { retriable: true, ...rest })
    this.committedTopics = committedTopics
  }
}
GroupNotEmptyError.prototype.name = 'GroupNotEmptyError'

/** A binary record could not be decoded (truncated, unknown version, ...). */
export class CodecError extends KafkaDRError {
  constructor(message: string, options: KafkaDRErrorOptions = {}) {
    super('ERR_CODEC', message, options)
  }
}
CodecError.prototype.name = 'CodecError'
