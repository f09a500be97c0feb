/**
 * Kafka protocol primitives (big-endian integers, INT16-length-prefixed UTF-8 strings) shared by
 * the MM2 checkpoint codec and kafkajs-dr's own checkpoint format.
 *
 * @module
 */
import { CodecError, type KafkaDRErrorContext } from '../errors/index.js'

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const STRING_MAX_BYTES = 0x7fff
// fatal: corrupt bytes must fail rather than turn into U+FFFD and name a group that does not exist.
// ignoreBOM: keep a leading U+FEFF, as Java does, instead of silently dropping it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
// With the `u` flag a surrogate pair is one code point, so this matches only unpaired surrogates,
// which Buffer.from would replace with U+FFFD (the string would not round-trip).
const LONE_SURROGATE = /\p{Surrogate}/u

/**
 * Sequential reader of Kafka protocol primitives over one buffer. Every read checks the remaining
 * length first and throws {@link CodecError} naming the field, so a truncated record never yields
 * a partial result.
 *
 * @internal
 */
export class WireReader {
  #pos = 0
  readonly #buf: Buffer
  readonly #what: string
  readonly #context: KafkaDRErrorContext

  /**
   * @param buf - bytes to read
   * @param what - what the bytes are, for error messages (`'checkpoint value'`)
   * @param context - error context (group, topic, partition) when already known
   */
  constructor(buf: Buffer, what: string, context: KafkaDRErrorContext = {}) {
    if (!Buffer.isBuffer(buf)) throw new CodecError(`${what} must be a Buffer`, context)
    this.#buf = buf
    this.#what = what
    this.#context = context
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.#buf.length - this.#pos
  }

  #take(field: string, size: number): number {
    if (size > this.remaining) {
      throw new CodecError(
        `${this.#what} is truncated: field '${field}' needs ${size} bytes at byte ${this.#pos}, only ${this.remaining} left`,
        this.#context,
      )
    }
    const at = this.#pos
    this.#pos += size
    return at
  }

  /** Reads an INT8. */
  int8(field: string): number {
    return this.#buf.readInt8(this.#take(field, 1))
  }

  /** Reads a big-endian INT16. */
  int16(field: string): number {
    return this.#buf.readInt16BE(this.#take(field, 2))
  }

  /** Reads a big-endian INT32. */
  int32(field: string): number {
    return this.#buf.readInt32BE(this.#take(field, 4))
  }

  /** Reads a big-endian INT64 as a bigint (no precision loss). */
  int64(field: string): bigint {
    return this.#buf.readBigInt64BE(this.#take(field, 8))
  }

  /** Reads a non-nullable STRING: INT16 byte length, then UTF-8 bytes. */
  string(field: string): string {
    const length = this.int16(`${field}.length`)
    if (length < 0) throw new CodecError(`${this.#what}: field '${field}' has negative length ${length}`, this.#context)
    const at = this.#take(field, length)
    try {
      return utf8.decode(this.#buf.subarray(at, at + length))
    } catch (cause) {
      throw new CodecError(`${this.#what}: field '${field}' is not valid UTF-8`, { ...this.#context, cause })
    }
  }
}

/**
 * Builder of Kafka protocol primitives. Every write validates its input and throws
 * {@link CodecError} naming the field, instead of Buffer's RangeError or silent truncation.
 *
 * @internal
 */
export class WireWriter {
  readonly #chunks: Buffer[] = []
  readonly #what: string
  readonly #context: KafkaDRErrorContext

  /**
   * @param what - what is being encoded, for error messages
   * @param context - error context (group, topic, partition)
   */
  constructor(what: string, context: KafkaDRErrorContext = {}) {
    this.#what = what
    this.#context = context
  }

  #fail(field: string, expected: string, value: unknown): never {
    const shown = typeof value === 'string' ? `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'` : String(value)
    throw new CodecError(`Cannot encode ${this.#what}: field '${field}' must be ${expected}, got ${shown}`, this.#context)
  }

  #int(field: string, value: number, bits: 8 | 16 | 32): void {
    const limit = 2 ** (bits - 1)
    if (!Number.isInteger(value) || value < -limit || value >= limit) this.#fail(field, `an INT${bits}`, value)
  }

  /** Writes an INT8. */
  int8(field: string, value: number): this {
    this.#int(field, value, 8)
    const b = Buffer.allocUnsafe(1)
    b.writeInt8(value)
    this.#chunks.push(b)
    return this
  }

  /** Writes a big-endian INT16. */
  int16(field: string, value: number): this {
    this.#int(field, value, 16)
    const b = Buffer.allocUnsafe(2)
    b.writeInt16BE(value)
    this.#chunks.push(b)
    return this
  }

  /** Writes a big-endian INT32. */
  int32(field: string, value: number): this {
    this.#int(field, value, 32)
    const b = Buffer.allocUnsafe(4)
    b.writeInt32BE(value)
    this.#chunks.push(b)
    return this
  }

  /** Writes a big-endian INT64 given as a decimal string (kafkajs style), a bigint or a safe integer. */
  int64(field: string, value: string | bigint | number): this {
    const b = Buffer.allocUnsafe(8)
    b.writeBigInt64BE(this.#toInt64(field, value))
    this.#chunks.push(b)
    return this
  }

  #toInt64(field: string, value: string | bigint | number): bigint {
    let n: bigint | undefined
    if (typeof value === 'bigint') n = value
    else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value)
    else if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) n = BigInt(value)
    if (n === undefined || n < INT64_MIN || n > INT64_MAX) this.#fail(field, 'an INT64 (decimal string)', value)
    return n
  }

  /** Writes a non-nullable STRING: INT16 byte length, then UTF-8 bytes (at most 32767). */
  string(field: string, value: string): this {
    if (typeof value !== 'string') this.#fail(field, 'a string', value)
    if (LONE_SURROGATE.test(value)) this.#fail(field, 'well-formed UTF-16 (it has an unpaired surrogate)', value)
    const bytes = Buffer.from(value, 'utf8')
    if (bytes.length > STRING_MAX_BYTES) this.#fail(field, `at most ${STRING_MAX_BYTES} UTF-8 bytes (it has ${bytes.length})`, value)
    const length = Buffer.allocUnsafe(2)
    length.writeInt16BE(bytes.length)
    this.#chunks.push(length, bytes)
    return this
  }

  /** The bytes written so far, as one buffer. */
  toBuffer(): Buffer {
    return Buffer.concat(this.#chunks)
  }
}
