/**
 * Which records a consumer delivers, by their provenance header: records of origins it does not
 * read (when topic names cannot tell origins: identity naming) and copies of records it already
 * delivered (`dedupe`) are skipped. Shared by every session of the consumer, so that a record
 * delivered on one cluster is known as delivered when its copy arrives from another.
 *
 * @module
 */
import type { IHeaders } from 'kafkajs'
import { DuplicateFilter } from '../../topology/duplicate-filter.js'
import { ProvenanceReader, type Provenance } from '../../topology/provenance.js'
import type { DedupeOptions } from '../config.js'

/** What a {@link DeliveryFilter} does. */
export interface DeliveryFilterSetup {
  /** The provenance header's name. */
  header: string
  /** Deliver only records of these origins (by header); undefined: every origin. */
  origins?: readonly string[]
  /** De-duplication by provenance id; undefined: off. */
  dedupe?: Required<DedupeOptions>
  /** Records of one batch were dropped as copies of records delivered already (the `consumer:deduplicated` event). */
  onDeduplicated?: (cluster: string, topic: string, partition: number, count: number) => void
}

/**
 * The dedupe part of `status()`.
 *
 * @group Consumer
 */
export interface DedupeStatus {
  /** Records not delivered because this consumer had delivered them already. */
  dropped: number
  /** Producer instances whose ids are remembered. */
  producers: number
  /** Ids remembered. */
  ids: number
  /** Records whose id was below their producer's window: delivered, as they could not be told. */
  tooOld: number
}

/** One record's provenance, as the filter read it. */
export interface RecordProvenance {
  /** Where the record was first written: the header's origin, else the one from the topic name. */
  origin: string
  /** The header's content (empty when the record has none). */
  provenance: Provenance
}

/** See the module description. */
export class DeliveryFilter {
  /** The provenance header's name. */
  readonly header: string
  private readonly origins: ReadonlySet<string> | undefined
  private readonly seen: DuplicateFilter | undefined
  private readonly reader: ProvenanceReader
  private readonly onDeduplicated: DeliveryFilterSetup['onDeduplicated']
  /**
   * Ids handed to a handler that has not returned yet. Sessions run concurrently (one per origin
   * with `dualRead: 'direct'`), so a copy may arrive while its original is being handled: it is
   * dropped too. Should that handler throw, the original is delivered again by kafkajs.
   */
  private readonly inFlight = new Set<string>()
  private dropped = 0
  /** One shared, frozen result per origin for records without the header. */
  private readonly withoutHeader = new Map<string, RecordProvenance>()
  /** Records skipped for their origin. */
  skippedOrigin = 0

  constructor(setup: DeliveryFilterSetup) {
    this.header = setup.header
    this.reader = new ProvenanceReader(setup.header)
    this.origins = setup.origins ? new Set(setup.origins) : undefined
    this.seen = setup.dedupe
      ? new DuplicateFilter({ windowSize: setup.dedupe.windowSize, maxProducers: setup.dedupe.maxProducers })
      : undefined
    this.onDeduplicated = setup.onDeduplicated
  }

  /** Whether any record can be skipped (otherwise only the origin is read). */
  get filters(): boolean {
    return this.origins !== undefined || this.seen !== undefined
  }

  /** Reads a record's provenance; `topicOrigin` is the origin its topic's name tells. */
  read(headers: IHeaders | undefined, topicOrigin: string): RecordProvenance {
    // Records without the header (a raw kafkajs producer's) cost no allocation: the hot path.
    if (headers?.[this.header] === undefined) return this.unstamped(topicOrigin)
    const provenance = this.reader.read(headers)
    return provenance.origin === undefined ? this.unstamped(topicOrigin) : { origin: provenance.origin, provenance }
  }

  private unstamped(origin: string): RecordProvenance {
    let record = this.withoutHeader.get(origin)
    if (record === undefined) {
      record = Object.freeze({ origin, provenance: Object.freeze({}) })
      this.withoutHeader.set(origin, record)
    }
    return record
  }

  /** Why the record is skipped: an origin not read, or a copy already delivered (counted); undefined: delivered. */
  skips(record: RecordProvenance): 'origin' | 'duplicate' | undefined {
    if (this.origins !== undefined && !this.origins.has(record.origin)) {
      this.skippedOrigin++
      return 'origin'
    }
    const { producerId, sequence } = record.provenance
    if (this.seen === undefined || producerId === undefined || sequence === undefined) return undefined
    const key = `${producerId}:${sequence}`
    if (!this.seen.has(producerId, sequence) && !this.inFlight.has(key)) {
      this.inFlight.add(key)
      return undefined
    }
    this.dropped++
    return 'duplicate'
  }

  /** The record was handled: its copies are skipped from now on. */
  delivered(record: RecordProvenance): void {
    const { producerId, sequence } = record.provenance
    if (this.seen === undefined || producerId === undefined || sequence === undefined) return
    this.seen.add(producerId, sequence)
    this.inFlight.delete(`${producerId}:${sequence}`)
  }

  /** The record's handler threw (or its batch ended before it was resolved): kafkajs delivers it again, and a copy may pass. */
  released(record: RecordProvenance): void {
    const { producerId, sequence } = record.provenance
    if (producerId !== undefined && sequence !== undefined) this.inFlight.delete(`${producerId}:${sequence}`)
  }

  /** Tells that `count` records of one batch were {@link skips | skipped} as duplicates; once per batch, not per record. */
  deduplicated(cluster: string, topic: string, partition: number, count: number): void {
    this.onDeduplicated?.(cluster, topic, partition, count)
  }

  /** The dedupe counters; undefined when dedupe is off. */
  status(): DedupeStatus | undefined {
    if (this.seen === undefined) return undefined
    return { dropped: this.dropped, producers: this.seen.producers, ids: this.seen.ids, tooOld: this.seen.tooOld }
  }
}
