/**
 * Codec for the checkpoint records that MirrorMaker 2 (MM2) writes to `<source>.checkpoints.internal`
 * on the target cluster (one compacted partition). One record says: consumer group `group`, which
 * committed `upstreamOffset` on the source cluster, may resume at `offset` on the target cluster's
 * `topic` (already the target-side name, e.g. `dc1.orders`) and `partition`.
 *
 * The layout follows MM2's `org.apache.kafka.connect.mirror.Checkpoint` and Kafka's protocol
 * primitives: big-endian integers; `STRING` is an INT16 byte length followed by that many UTF-8
 * bytes (non-nullable: a negative length is an error).
 *
 * Key:
 *
 * | field       | type   | meaning                                    |
 * |-------------|--------|--------------------------------------------|
 * | `group`     | STRING | consumer group id                          |
 * | `topic`     | STRING | topic name on the target cluster           |
 * | `partition` | INT32  | partition                                  |
 *
 * Value:
 *
 * | field            | type   | meaning                                                |
 * |------------------|--------|--------------------------------------------------------|
 * | `version`        | INT16  | always 0                                               |
 * | `upstreamOffset` | INT64  | offset the group committed on the source cluster       |
 * | `offset`         | INT64  | translated offset on the target cluster                |
 * | `metadata`       | STRING | the group's commit metadata (usually empty)            |
 *
 * Like MM2's own reader, the decoder ignores bytes after the last known field. Unlike MM2 (whose
 * version check is a Java `assert`, off in production), it rejects any version but 0: a future
 * layout would otherwise be misread silently.
 *
 * @module
 */
import { CodecError } from '../errors/index.js'
import { WireReader, WireWriter } from './wire.js'

/** The only value version MM2 writes (`Checkpoint.VERSION`). */
export const MM2_CHECKPOINT_VERSION = 0

/**
 * One decoded MM2 checkpoint. Offsets are decimal strings, as in kafkajs, so that values above
 * 2^53 survive.
 */
export interface Mm2Checkpoint {
  /** Consumer group id. */
  group: string
  /** Topic name on the target cluster (the cluster holding the checkpoints topic). */
  topic: string
  /** Partition of `topic`. */
  partition: number
  /** Offset the group committed on the source cluster, decimal string. */
  upstreamOffset: string
  /** Translated (downstream) offset on the target cluster, decimal string. */
  offset: string
  /** Commit metadata copied from the source group; MM2 writes `''` when there is none. */
  metadata: string
}

/**
 * Decodes one record of an MM2 `<source>.checkpoints.internal` topic.
 *
 * @param key - the record key (kafkajs `message.key`)
 * @param value - the record value (kafkajs `message.value`); MM2 never writes tombstones
 * @returns the checkpoint
 * @throws {@link CodecError} when the key or value is missing or truncated, a string length is
 * negative or its bytes are not UTF-8, or the value version is not 0
 * @example
 * ```ts
 * const cp = decodeMm2Checkpoint(message.key, message.value)
 * // { group: 'billing', topic: 'dc1.orders', partition: 0, upstreamOffset: '1200', offset: '1187', metadata: '' }
 * ```
 */
export function decodeMm2Checkpoint(key: Buffer | null, value: Buffer | null): Mm2Checkpoint {
  if (key === null || key === undefined) throw new CodecError('MM2 checkpoint record has no key')
  const k = new WireReader(key, 'MM2 checkpoint key')
  const group = k.string('group')
  const topic = k.string('topic')
  const partition = k.int32('partition')
  // Trailing key bytes are ignored: MM2's Schema.read stops after the last field too.

  const context = { group, topic, partition }
  if (value === null || value === undefined) {
    throw new CodecError(`MM2 checkpoint for group '${group}' ${topic}-${partition} has no value (tombstone)`, context)
  }
  const v = new WireReader(value, 'MM2 checkpoint value', context)
  const version = v.int16('version')
  if (version !== MM2_CHECKPOINT_VERSION) {
    throw new CodecError(`MM2 checkpoint value has unknown version ${version}; only version ${MM2_CHECKPOINT_VERSION} is known`, context)
  }
  const upstreamOffset = v.int64('upstreamOffset').toString()
  const offset = v.int64('offset').toString()
  const metadata = v.string('metadata')
  return { group, topic, partition, upstreamOffset, offset, metadata }
}

/**
 * Encodes an MM2 checkpoint key, byte for byte as MM2 does. Used by tests and tools that need to
 * seed a checkpoints topic.
 *
 * @throws {@link CodecError} when a string is over 32767 UTF-8 bytes or not well-formed, or the
 * partition is not an INT32
 */
export function encodeMm2CheckpointKey(checkpoint: Pick<Mm2Checkpoint, 'group' | 'topic' | 'partition'>): Buffer {
  const context = { group: checkpoint.group, topic: checkpoint.topic, partition: checkpoint.partition }
  return new WireWriter('MM2 checkpoint key', context)
    .string('group', checkpoint.group)
    .string('topic', checkpoint.topic)
    .int32('partition', checkpoint.partition)
    .toBuffer()
}

/**
 * Encodes an MM2 checkpoint value (version 0), byte for byte as MM2 does.
 *
 * @throws {@link CodecError} when an offset is not a decimal INT64 string or `metadata` is over
 * 32767 UTF-8 bytes
 */
export function encodeMm2CheckpointValue(checkpoint: Pick<Mm2Checkpoint, 'upstreamOffset' | 'offset' | 'metadata'>): Buffer {
  return new WireWriter('MM2 checkpoint value')
    .int16('version', MM2_CHECKPOINT_VERSION)
    .int64('upstreamOffset', checkpoint.upstreamOffset)
    .int64('offset', checkpoint.offset)
    .string('metadata', checkpoint.metadata)
    .toBuffer()
}

// ---- Kafka protocol primitives (shared with checkpoint-codec.ts) ----
