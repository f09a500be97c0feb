/**
 * kafkajs-dr's own consumer checkpoint format, version 1.
 *
 * A checkpoint says: consumer group `group`, reading physical topic `topic` partition `partition`
 * on cluster `cluster`, will next consume `offset`; the last record it processed there had
 * CreateTime `timestamp`. Checkpoints live in a compacted topic ({@link DEFAULT_CHECKPOINT_TOPIC})
 * that the replicator copies to the other clusters, so the key holds the whole position: compaction
 * then keeps the newest checkpoint per (group, cluster, topic, partition).
 *
 * ## Encoding
 *
 * Big-endian (network byte order) throughout. `STRING` is an INT16 byte length (0..32767) followed
 * by that many bytes of UTF-8, as in Kafka's protocol. INT64 offsets are signed; kafkajs-dr
 * exposes them as decimal strings so that values above 2^53 survive.
 *
 * Key (the record key):
 *
 * | byte      | field        | type   | meaning                                              |
 * |-----------|--------------|--------|------------------------------------------------------|
 * | 0         | `keyVersion` | INT8   | `1`                                                  |
 * | 1         | `group`      | STRING | consumer group id, non-empty                         |
 * | …         | `cluster`    | STRING | name of the cluster the position belongs to          |
 * | …         | `topic`      | STRING | physical topic name on that cluster                  |
 * | …         | `partition`  | INT32  | partition, ≥ 0; the last 4 bytes of the key          |
 *
 * Value (the record value), 26 bytes in version 1:
 *
 * | byte | field       | type  | meaning                                                       |
 * |------|-------------|-------|---------------------------------------------------------------|
 * | 0    | `version`   | INT16 | `1` ({@link CHECKPOINT_FORMAT_VERSION})                       |
 * | 2    | `offset`    | INT64 | next offset to consume, ≥ 0                                   |
 * | 10   | `timestamp` | INT64 | CreateTime (ms since epoch) of the last processed record; `-1` when unknown |
 * | 18   | `writtenAt` | INT64 | wall-clock time (ms since epoch) the checkpoint was written   |
 * | 26   | `writer`    | STRING | optional (minor revision 1.1): the writing consumer instance's id |
 * | …    | `writerOn`  | STRING | optional (1.1): the cluster that instance delivered on when it wrote |
 * | …    | `writerChose` | STRING | optional (1.1): the cluster that instance's discovery chose (≠ `writerOn` while it follows its group elsewhere) |
 *
 * The `writer` fields let the instances of a group see one another: an instance that finds fresh
 * checkpoints written by others while they delivered on another cluster knows its group is split
 * across clusters. The three are present together or not at all; a value of 26 bytes (version
 * 1.0) has none. A reader treats writer fields it cannot read (cut short, or an empty string) as
 * absent: they never cost the position its checkpoint.
 *
 * Example: group `g`, cluster `dc1`, topic `orders`, partition 0, offset 42, timestamp
 * 1700000000000, written at 1700000000500:
 *
 * ```text
 * key   01 0001 67 0003 646331 0006 6f7264657273 00000000
 * value 0001 000000000000002a 0000018bcfe56800 0000018bcfe569f4
 * ```
 *
 * ## Versioning rules
 *
 * - Compatible additions (a "minor" revision) only **append** fields to the value and keep
 *   `version` = 1. A decoder reads the fields it knows and ignores any bytes after them; a decoder
 *   that knows an appended field treats it as absent (its documented default) when the value ends
 *   before it. Existing fields never change meaning.
 * - Any other change bumps `version`. A decoder rejects a version it does not know.
 * - The key never grows: compaction compares key bytes, so a different key layout is a new
 *   `keyVersion`, and a decoder rejects unknown key versions and trailing key bytes.
 *
 * ## Tombstones
 *
 * A record with a null value (a tombstone) deletes the position, for example when an operator
 * removes a group's checkpoints. {@link decodeCheckpoint} returns `undefined` for it; a reader that
 * keeps the newest checkpoint per key should drop what it held for {@link decodeCheckpointKey}'s
 * result, and otherwise ignore the record.
 *
 * @module
 */
import { CodecError } from '../errors/index.js'
import { WireReader, WireWriter } from './wire.js'

/** Version of the checkpoint value layout written by this release. */
export const CHECKPOINT_FORMAT_VERSION = 1

/** Version byte that starts every checkpoint key written by this release. */
export const CHECKPOINT_KEY_VERSION = 1

/**
 * Default name of the compacted checkpoint topic. A name of your own must be one that MM2
 * replicates with its default settings (none starting with `__` or `.`, or ending in
 * `.internal`, `-internal` or `.replica`); the consumer's options refuse any other.
 *
 * @group Offsets
 */
export const DEFAULT_CHECKPOINT_TOPIC = 'kafkajs-dr.checkpoints'

/**
 * The position a checkpoint is about; it is what the record key holds.
 *
 * @group Offsets
 */
export interface CheckpointKey {
  /** Consumer group id. */
  group: string
  /** Name of the cluster the position belongs to (as configured in kafkajs-dr, e.g. `dc1`). */
  cluster: string
  /** Physical topic name on that cluster (e.g. `orders` or `dc2.orders`). */
  topic: string
  /** Partition of `topic`. */
  partition: number
}

/**
 * One consumer checkpoint.
 *
 * @group Offsets
 */
export interface Checkpoint extends CheckpointKey {
  /** Next offset to consume on `cluster`, decimal string (kafkajs style). */
  offset: string
  /** CreateTime in ms of the last processed record; `-1` when unknown. */
  timestamp: number
  /** Wall-clock time in ms when the checkpoint was written. */
  writtenAt: number
  /** Who wrote it (absent in checkpoints of kafkajs-dr 0.1 and of other writers). */
  writer?: CheckpointWriterId
}

/**
 * The consumer instance that wrote a checkpoint, and where it delivered at the time.
 *
 * @group Offsets
 */
export interface CheckpointWriterId {
  /** The writing instance's id: random, one per consumer object. */
  instance: string
  /** The cluster that instance delivered on when it wrote. */
  deliveringOn: string
  /** The cluster that instance's discovery chose; another than `deliveringOn` while it follows its group there. */
  chose: string
}

/**
 * Encodes the record key of a checkpoint (see the module docs for the layout).
 *
 * @throws {@link CodecError} when a name is empty, over 32767 UTF-8 bytes or not well-formed, or
 * the partition is not an INT32 ≥ 0
 */
export function encodeCheckpointKey(key: CheckpointKey): Buffer {
  const context = errorContextOf(key)
  const w = new WireWriter('checkpoint key', context).int8('keyVersion', CHECKPOINT_KEY_VERSION)
  for (const field of ['group', 'cluster', 'topic'] as const) {
    if (key[field] === '') throw new CodecError(`Cannot encode checkpoint key: field '${field}' must not be empty`, context)
    w.string(field, key[field])
  }
  if (!(key.partition >= 0))
    throw new CodecError(`Cannot encode checkpoint key: field 'partition' must be ≥ 0, got ${key.partition}`, context)
  return w.int32('partition', key.partition).toBuffer()
}

/**
 * Encodes the record value of a checkpoint, version {@link CHECKPOINT_FORMAT_VERSION}.
 *
 * @throws {@link CodecError} when `offset` is not a decimal INT64 ≥ 0, `timestamp` is not an
 * integer ≥ -1, or `writtenAt` is not an integer ≥ 0
 */
export function encodeCheckpointValue(checkpoint: Pick<Checkpoint, 'offset' | 'timestamp' | 'writtenAt' | 'writer'>): Buffer {
  const { offset, timestamp, writtenAt, writer } = checkpoint
  const fail = (field: string, expected: string, got: unknown): never => {
    throw new CodecError(`Cannot encode checkpoint value: field '${field}' must be ${expected}, got ${String(got)}`)
  }
  if (typeof offset === 'string' && offset.startsWith('-')) fail('offset', 'an offset ≥ 0', offset)
  if (!Number.isSafeInteger(timestamp) || timestamp < -1) fail('timestamp', 'an integer ≥ -1 (ms)', timestamp)
  if (!Number.isSafeInteger(writtenAt) || writtenAt < 0) fail('writtenAt', 'an integer ≥ 0 (ms)', writtenAt)
  if (writer !== undefined && (writer.instance === '' || writer.deliveringOn === '' || writer.chose === ''))
    fail('writer', 'a non-empty instance and clusters', JSON.stringify(writer))
  const w = new WireWriter('checkpoint value')
    .int16('version', CHECKPOINT_FORMAT_VERSION)
    .int64('offset', offset)
    .int64('timestamp', timestamp)
    .int64('writtenAt', writtenAt)
  if (writer !== undefined) w.string('writer', writer.instance).string('writerOn', writer.deliveringOn).string('writerChose', writer.chose)
  return w.toBuffer()
}

/**
 * Encodes a checkpoint as a kafkajs message (`{ key, value }`), ready for `producer.send`.
 *
 * @throws {@link CodecError} as {@link encodeCheckpointKey} and {@link encodeCheckpointValue} do
 */
export function encodeCheckpoint(checkpoint: Checkpoint): {
  /** The record key, as {@link encodeCheckpointKey} encodes it. */
  key: Buffer
  /** The record value, as {@link encodeCheckpointValue} encodes it. */
  value: Buffer
} {
  return { key: encodeCheckpointKey(checkpoint), value: encodeCheckpointValue(checkpoint) }
}

/**
 * Decodes a checkpoint record key. Use it on its own for tombstones, whose value cannot be decoded.
 *
 * @throws {@link CodecError} when the key is missing, truncated, has trailing bytes, an unknown
 * key version, an empty name or a negative partition
 */
export function decodeCheckpointKey(key: Buffer | null): CheckpointKey {
  if (key === null || key === undefined) throw new CodecError('Checkpoint record has no key')
  const r = new WireReader(key, 'checkpoint key')
  const keyVersion = r.int8('keyVersion')
  if (keyVersion !== CHECKPOINT_KEY_VERSION) {
    throw new CodecError(`Checkpoint key has unknown version ${keyVersion}; this release reads version ${CHECKPOINT_KEY_VERSION}`)
  }
  const group = r.string('group')
  const cluster = r.string('cluster')
  const topic = r.string('topic')
  const partition = r.int32('partition')
  const decoded = { group, cluster, topic, partition }
  if (r.remaining > 0) throw new CodecError(`Checkpoint key has ${r.remaining} unexpected trailing bytes`, errorContextOf(decoded))
  if (group === '' || cluster === '' || topic === '')
    throw new CodecError('Checkpoint key has an empty group, cluster or topic', errorContextOf(decoded))
  if (partition < 0) throw new CodecError(`Checkpoint key has negative partition ${partition}`, errorContextOf(decoded))
  return decoded
}

/**
 * Decodes one record of the checkpoint topic.
 *
 * @param key - the record key (kafkajs `message.key`)
 * @param value - the record value (kafkajs `message.value`); `null` for a tombstone
 * @returns the checkpoint, or `undefined` for a tombstone (see the module docs)
 * @throws {@link CodecError} when the key or value is malformed or the value version is unknown.
 * Bytes after the fields this release knows are ignored (written by a later minor revision).
 * @example
 * ```ts
 * const checkpoint = decodeCheckpoint(message.key, message.value)
 * if (checkpoint === undefined) positions.delete(message.key.toString('hex'))
 * ```
 */
export function decodeCheckpoint(key: Buffer | null, value: Buffer | null): Checkpoint | undefined {
  const position = decodeCheckpointKey(key)
  if (value === null || value === undefined) return undefined
  const context = errorContextOf(position)
  const r = new WireReader(value, 'checkpoint value', context)
  const version = r.int16('version')
  if (version !== CHECKPOINT_FORMAT_VERSION) {
    throw new CodecError(
      `Checkpoint value has unknown version ${version}; this release reads version ${CHECKPOINT_FORMAT_VERSION}`,
      context,
    )
  }
  const offset = r.int64('offset')
  const timestamp = r.int64('timestamp')
  const writtenAt = r.int64('writtenAt')
  const writer = r.remaining > 0 ? readWriter(r) : undefined
  // Anything after the fields above belongs to a later minor revision: ignored on purpose.
  if (offset < 0n) throw new CodecError(`Checkpoint value has negative offset ${offset}`, context)
  const decoded: Checkpoint = {
    ...position,
    offset: offset.toString(),
    timestamp: toMillis(timestamp, 'timestamp', -1n, context),
    writtenAt: toMillis(writtenAt, 'writtenAt', 0n, context),
  }
  if (writer !== undefined) decoded.writer = writer
  return decoded
}

/** The writer fields, or undefined when they cannot be read (see the module docs). */
function readWriter(r: WireReader): CheckpointWriterId | undefined {
  try {
    const writer = { instance: r.string('writer'), deliveringOn: r.string('writerOn'), chose: r.string('writerChose') }
    return writer.instance === '' || writer.deliveringOn === '' || writer.chose === '' ? undefined : writer
  } catch {
    return undefined
  }
}

function toMillis(value: bigint, field: string, min: bigint, context: ReturnType<typeof errorContextOf>): number {
  if (value < min || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new CodecError(`Checkpoint value field '${field}' is out of range: ${value}`, context)
  }
  return Number(value)
}

function errorContextOf(key: CheckpointKey): { cluster: string; topic: string; partition: number; group: string } {
  return { cluster: key.cluster, topic: key.topic, partition: key.partition, group: key.group }
}
