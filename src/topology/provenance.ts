/**
 * Provenance headers: every produced record carries the cluster it was first written to and a
 * compact unique id, so that consumers can drop the copies they see through several paths
 * (dual-read, re-sends after a failover) and forwarders can stop cycles.
 *
 * The id is 16 bytes: an 8-byte random producer-instance id, then an 8-byte big-endian unsigned
 * sequence number that the instance increments per message. One instance's sequence numbers
 * increase, so a reader keeps one high-water mark per producer instead of a set of ids
 * ({@link DuplicateFilter}).
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import type { IHeaders, Message } from 'kafkajs'
import { expectInt, expectObject, expectString, invalid } from '../util/validate.js'

/** Names of the provenance headers. */
export interface ProvenanceHeaderNames {
  /**
   * UTF-8 name of the cluster where the record was first written.
   *
   * @default 'x-dr-origin'
   */
  origin: string
  /**
   * Binary id: 8-byte producer-instance id + 8-byte big-endian sequence number.
   *
   * @default 'x-dr-id'
   */
  id: string
}

/** The header names used unless configured otherwise. */
export const DEFAULT_PROVENANCE_HEADERS: Readonly<ProvenanceHeaderNames> = Object.freeze({
  origin: 'x-dr-origin',
  id: 'x-dr-id',
})

const INSTANCE_ID_BYTES = 8
const ID_BYTES = 16
const TWO_POW_32 = 0x1_0000_0000

/** Options of {@link ProvenanceStamper}. */
export interface ProvenanceStamperOptions {
  /**
   * Header names; missing ones take their default.
   *
   * @default DEFAULT_PROVENANCE_HEADERS
   */
  headers?: Partial<ProvenanceHeaderNames>
  /**
   * 8-byte id of this producer instance. Leave it random unless a test needs a fixed value: two
   * instances sharing an id would have their records taken for duplicates of each other.
   *
   * @default 8 random bytes
   */
  instanceId?: Uint8Array
  /** Cluster names whose origin header values are encoded up front; others are encoded on first use. */
  clusters?: readonly string[]
}

/**
 * Stamps provenance headers on outgoing messages, on the send hot path.
 *
 * Two steps, because a message keeps its id across clusters but takes the origin of each cluster
 * it is sent to: {@link ProvenanceStamper.stamp} once per logical message (id, and the origin of
 * the first target when given), then {@link ProvenanceStamper.withOrigin} for a re-send to
 * another cluster. Neither mutates its input; both keep every user header, and keep a
 * provenance header the user already set (a forwarded record keeps its first origin and id, which
 * is what stops it cycling between clusters).
 *
 * @example
 * ```ts
 * const stamper = new ProvenanceStamper({ clusters: ['dc1', 'dc2'] })
 * const first = stamper.stamp({ value: 'hello' }, 'dc1')  // sent to dc1, which fails
 * const again = stamper.withOrigin(first, 'dc2')         // same id, origin dc2
 * ```
 */
export class ProvenanceStamper {
  /** Header names in use. */
  readonly headerNames: Readonly<ProvenanceHeaderNames>
  /** This instance's id, as hex: the `producerId` that {@link readProvenance} returns for its records. */
  readonly instanceId: string
  private readonly prefix: Buffer
  private sequence = 0
  private readonly origins = new Map<string, Buffer>()
  // The exact Buffer objects this stamper put in headers: an origin header holding one of them was
  // set by us (and may be replaced on a re-send); anything else came from the user.
  private readonly ownOrigins = new Set<Buffer>()

  /** @throws `InvalidOptionError` naming the path under `provenance`. */
  constructor(options: ProvenanceStamperOptions = {}) {
    expectObject(options, 'provenance', ['headers', 'instanceId', 'clusters'])
    this.headerNames = Object.freeze(headerNamesFrom(options.headers))
    if (options.instanceId === undefined) {
      this.prefix = randomBytes(INSTANCE_ID_BYTES)
    } else {
      if (!(options.instanceId instanceof Uint8Array) || options.instanceId.length !== INSTANCE_ID_BYTES) {
        invalid('provenance.instanceId', `a Buffer of ${INSTANCE_ID_BYTES} bytes`, options.instanceId)
      }
      this.prefix = Buffer.from(options.instanceId) // a copy: the caller may reuse its buffer
    }
    this.instanceId = this.prefix.toString('hex')
    if (options.clusters !== undefined) {
      if (!Array.isArray(options.clusters)) invalid('provenance.clusters', 'a list of cluster names', options.clusters)
      options.clusters.forEach((cluster, i) => this.originValue(expectString(cluster, `provenance.clusters[${i}]`)))
    }
  }

  /**
   * A new 16-byte id: this instance's id, then the next sequence number. Sequence numbers start
   * at 0 and stay exact up to 2^53 (centuries at any real send rate).
   */
  nextId(): Buffer {
    const id = Buffer.allocUnsafe(ID_BYTES) // from Node's shared pool: cheap for 16 bytes
    id.set(this.prefix, 0)
    const sequence = this.sequence++
    // Two 32-bit writes instead of writeBigUInt64BE: no BigInt on the hot path.
    id.writeUInt32BE(Math.floor(sequence / TWO_POW_32), 8)
    id.writeUInt32BE(sequence >>> 0, 12)
    return id
  }

  /**
   * A copy of `message` with a new id header and, when `cluster` is given, the origin header for
   * it. Call it once per logical message and keep the result for re-sends. Headers the message
   * already has are kept, the provenance ones included (apart from an origin this stamper set for
   * another cluster, which is replaced as {@link ProvenanceStamper.withOrigin} would).
   */
  stamp(message: Message, cluster?: string): Message {
    const { id, origin } = this.headerNames
    const headers = copyHeaders(message.headers)
    if (headers[id] === undefined) headers[id] = this.nextId()
    if (cluster !== undefined && this.mayReplaceOrigin(headers[origin])) headers[origin] = this.originValue(cluster)
    return withHeaders(message, headers)
  }

  /**
   * The message to send to `cluster`: `message` (a result of {@link ProvenanceStamper.stamp})
   * with the origin header of `cluster`, its id unchanged. Returns `message` itself when nothing
   * changes, and keeps an origin the user set (a forwarded record).
   */
  withOrigin(message: Message, cluster: string): Message {
    const name = this.headerNames.origin
    const value = this.originValue(cluster)
    const current = message.headers?.[name]
    if (current === value) return message
    if (!this.mayReplaceOrigin(current)) return message
    const headers = copyHeaders(message.headers)
    headers[name] = value
    return withHeaders(message, headers)
  }

  /** Absent, or set by this stamper for an earlier target: not a forwarded record's own origin. */
  private mayReplaceOrigin(current: IHeaders[string]): boolean {
    return current === undefined || (Buffer.isBuffer(current) && this.ownOrigins.has(current))
  }

  /** The origin header value for `cluster`: one shared Buffer per cluster, never re-encoded. Do not mutate it. */
  originValue(cluster: string): Buffer {
    let value = this.origins.get(cluster)
    if (value === undefined) {
      value = Buffer.from(cluster, 'utf8')
      this.origins.set(cluster, value)
      this.ownOrigins.add(value)
    }
    return value
  }
}

// Object.assign rather than spread, here and in withHeaders: V8 makes adding a key to a spread copy
// slow (measured on Node 20: ~1.5 µs against ~0.1 µs per message), and stamping adds keys.
function copyHeaders(headers: IHeaders | undefined): IHeaders {
  return headers ? Object.assign({}, headers) : {}
}

function withHeaders(message: Message, headers: IHeaders): Message {
  const copy = Object.assign({}, message)
  copy.headers = headers
  return copy
}

function headerNamesFrom(value: unknown): ProvenanceHeaderNames {
  if (value === undefined) return { ...DEFAULT_PROVENANCE_HEADERS }
  const headers = expectObject(value, 'provenance.headers', ['origin', 'id'])
  const origin = expectString(headers.origin, 'provenance.headers.origin', DEFAULT_PROVENANCE_HEADERS.origin)
  const id = expectString(headers.id, 'provenance.headers.id', DEFAULT_PROVENANCE_HEADERS.id)
  if (origin === id) invalid('provenance.headers.id', 'a name different from `provenance.headers.origin`', id)
  return { origin, id }
}

/** Provenance read from a record's headers; a field is absent when its header is missing or malformed. */
export interface Provenance {
  /** Cluster where the record was first written. */
  origin?: string
  /** Producer instance that wrote it: 8 bytes as 16 lowercase hex characters. */
  producerId?: string
  /** That producer's sequence number for the record. */
  sequence?: bigint
}

/**
 * Reads the provenance headers of a record. Never throws: a missing or malformed header leaves its
 * fields out. Accepts every shape kafkajs gives header values (Buffer, string, or an array when
 * the key repeats; the first value wins, being the one written first). An id given as a string is
 * read as 32 hex characters.
 *
 * @param headers - The record's headers.
 * @param names - Header names, as configured for the producer; {@link DEFAULT_PROVENANCE_HEADERS} when omitted.
 *
 * @example
 * ```ts
 * const { origin, producerId, sequence } = readProvenance(message.headers)
 * ```
 */
export function readProvenance(headers: IHeaders | undefined, names: Readonly<ProvenanceHeaderNames> = DEFAULT_PROVENANCE_HEADERS): Provenance {
  const result: Provenance = {}
  if (!headers) return result
  const origin = first(headers[names.origin])
  if (origin !== undefined) {
    const text = typeof origin === 'string' ? origin : origin.toString('utf8')
    if (text.length > 0) result.origin = text
  }
  let id = first(headers[names.id])
  if (typeof id === 'string') id = /^[0-9a-fA-F]{32}$/.test(id) ? Buffer.from(id, 'hex') : undefined
  if (id !== undefined && id.length === ID_BYTES) {
    result.producerId = id.toString('hex', 0, INSTANCE_ID_BYTES)
    result.sequence = id.readBigUInt64BE(INSTANCE_ID_BYTES)
  }
  return result
}

function first(value: IHeaders[string]): Buffer | string | undefined {
  const one = Array.isArray(value) ? value[0] : value
  if (typeof one === 'string' || Buffer.isBuffer(one)) return one
  return undefined
}

/** Options of {@link DuplicateFilter}. */
export interface DuplicateFilterOptions {
  /**
   * Most producer instances tracked at once; the least recently seen is forgotten beyond it.
   *
   * @default 10_000
   */
  maxProducers?: number
}

/**
 * Drops records already seen, by provenance id, for downstream de-duplication (dual-read, or
 * copies that reach a consumer through two clusters).
 *
 * Keeps one high-water mark per (producer instance, scope), a scope being what the caller orders
 * records by, typically a logical topic-partition. A producer's sequence numbers are global
 * across its partitions, so within one scope they increase but skip: "at or below the mark" is
 * the right test, "equal to the next expected number" is not.
 *
 * Precondition: on every path into a scope, a producer's records arrive in increasing sequence
 * order (replication keeps a partition's order, so the paths of dual-read qualify). A record that
 * arrives below the mark because it was re-sent out of order (for example after newer records
 * already went to another cluster) is taken for a duplicate and dropped.
 *
 * Memory is bounded by `maxProducers` (least recently seen evicted first) times the scopes each
 * producer writes to. An evicted producer's marks are lost: its old records would pass again.
 *
 * @example
 * ```ts
 * const filter = new DuplicateFilter()
 * const { producerId, sequence } = readProvenance(message.headers)
 * if (!filter.isDuplicate(`${topic}:${partition}`, producerId, sequence)) await handle(message)
 * ```
 */
export class DuplicateFilter {
  private readonly maxProducers: number
  // Map iteration order is insertion order: re-inserting on use makes the first key the least
  // recently used one.
  private readonly marks = new Map<string, Map<string, bigint>>()
  private lastProducer: string | undefined

  /** @throws `InvalidOptionError` for a bad `duplicateFilter.maxProducers`. */
  constructor(options: DuplicateFilterOptions = {}) {
    expectObject(options, 'duplicateFilter', ['maxProducers'])
    this.maxProducers = expectInt(options.maxProducers, 'duplicateFilter.maxProducers', 10_000, { min: 1 })
  }

  /**
   * Whether the record is a duplicate: true when `sequence` is at or below the producer's mark in
   * `scope`; otherwise raises the mark to `sequence` and returns false. A record without
   * provenance (`producerId` or `sequence` undefined) is never a duplicate.
   */
  isDuplicate(scope: string, producerId: string | undefined, sequence: bigint | undefined): boolean {
    if (producerId === undefined || sequence === undefined) return false
    const scopes = this.touch(producerId)
    const mark = scopes.get(scope)
    if (mark !== undefined && sequence <= mark) return true
    scopes.set(scope, sequence)
    return false
  }

  /** Number of producer instances tracked. */
  get size(): number {
    return this.marks.size
  }

  /** Forgets every mark. */
  clear(): void {
    this.marks.clear()
    this.lastProducer = undefined
  }

  private touch(producerId: string): Map<string, bigint> {
    let scopes = this.marks.get(producerId)
    // Records come in runs from one producer: skip the LRU move when it is already the newest.
    if (producerId === this.lastProducer && scopes !== undefined) return scopes
    if (scopes === undefined) {
      scopes = new Map()
      if (this.marks.size >= this.maxProducers) {
        const oldest = this.marks.keys().next().value
        if (oldest !== undefined) this.marks.delete(oldest)
      }
    } else {
      this.marks.delete(producerId)
    }
    this.marks.set(producerId, scopes)
    this.lastProducer = producerId
    return scopes
  }
}
