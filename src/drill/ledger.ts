/**
 * The record ledger: what happened to every record of the drill, by sequence number. Sequence
 * numbers are dense (0, 1, 2, ...), so typed arrays indexed by them hold a long drill in a few
 * bytes per record, and the end-of-run questions (lost? consumed twice? how long did it wait?)
 * are one pass over them.
 */

/** A record's send state, as stored in the ledger's byte array. */
const SendState = { None: 0, InFlight: 1, Acknowledged: 2, Rejected: 3 } as const

/** Counts the report and the live view show. */
export interface LedgerCounts {
  /** Records handed to `producer.send()`. */
  produced: number
  /** Records whose send resolved (a cluster acknowledged them). */
  acknowledged: number
  /** Records whose send rejected (no cluster took them by the delivery deadline). */
  rejected: number
  /** Handler calls for drill records, duplicates included. */
  deliveries: number
  /** Distinct records consumed. */
  consumed: number
  /** Acknowledged records consumed at least once. */
  acknowledgedConsumed: number
  /** Deliveries beyond a record's first. */
  duplicates: number
  /** Distinct records consumed more than once. */
  duplicateRecords: number
}

/** Percentiles of how long records waited from their send until first consumed, in ms. */
export interface WaitStats {
  median: number
  p99: number
  max: number
}

function grow<T extends Float64Array | Uint8Array | Uint32Array>(array: T, size: number, make: (n: number) => T): T {
  if (size <= array.length) return array
  let n = array.length
  while (n < size) n *= 2
  const bigger = make(n)
  bigger.set(array)
  return bigger
}

/** What the drill knows of each record, from its send to its last delivery. */
export class RecordLedger {
  private sentAt = new Float64Array(4096)
  private state = new Uint8Array(4096)
  private delivered = new Uint32Array(4096)
  private firstConsumedAt = new Float64Array(4096)
  private next = 0
  private readonly counts: LedgerCounts = {
    produced: 0,
    acknowledged: 0,
    rejected: 0,
    deliveries: 0,
    consumed: 0,
    acknowledgedConsumed: 0,
    duplicates: 0,
    duplicateRecords: 0,
  }

  /** Takes `count` new sequence numbers for one send at `at`; returns the first. */
  send(count: number, at: number): number {
    const first = this.next
    this.next += count
    this.sentAt = grow(this.sentAt, this.next, (n) => new Float64Array(n))
    this.state = grow(this.state, this.next, (n) => new Uint8Array(n))
    this.delivered = grow(this.delivered, this.next, (n) => new Uint32Array(n))
    this.firstConsumedAt = grow(this.firstConsumedAt, this.next, (n) => new Float64Array(n))
    this.sentAt.fill(at, first, this.next)
    this.state.fill(SendState.InFlight, first, this.next)
    this.counts.produced += count
    return first
  }

  /** A send of `count` records from `first` was acknowledged (`ok`) or rejected. */
  settle(first: number, count: number, ok: boolean): void {
    for (let seq = first; seq < first + count; seq++) {
      this.state[seq] = ok ? SendState.Acknowledged : SendState.Rejected
      // A record can be consumed before its send resolves: count it once both happened.
      if (ok && this.delivered[seq]! > 0) this.counts.acknowledgedConsumed++
    }
    if (ok) this.counts.acknowledged += count
    else this.counts.rejected += count
  }

  /**
   * A handler call for record `seq` at `at`: its `first` delivery or a `duplicate`; undefined for
   * a sequence number this drill never sent (a record of another run on a shared topic).
   */
  consume(seq: number, at: number): 'first' | 'duplicate' | undefined {
    if (!Number.isInteger(seq) || seq < 0 || seq >= this.next) return undefined
    const before = this.delivered[seq]!
    this.delivered[seq] = before + 1
    this.counts.deliveries++
    if (before === 0) {
      this.firstConsumedAt[seq] = at
      this.counts.consumed++
      if (this.state[seq] === SendState.Acknowledged) this.counts.acknowledgedConsumed++
    } else {
      this.counts.duplicates++
      if (before === 1) this.counts.duplicateRecords++
    }
    return before === 0 ? 'first' : 'duplicate'
  }

  /** The counts so far. */
  snapshot(): LedgerCounts {
    return { ...this.counts }
  }

  /** Acknowledged records not consumed yet: the consumer's lag, end to end. */
  get unconsumedAcknowledged(): number {
    return this.counts.acknowledged - this.counts.acknowledgedConsumed
  }

  /** Sequence numbers of acknowledged records never consumed (the first `limit`). */
  lost(limit = 50): number[] {
    const out: number[] = []
    for (let seq = 0; seq < this.next && out.length < limit; seq++) {
      if (this.state[seq] === SendState.Acknowledged && this.delivered[seq] === 0) out.push(seq)
    }
    return out
  }

  /** Records consumed although their send was rejected (a re-send that landed after all). */
  consumedUnacknowledged(): number {
    let n = 0
    for (let seq = 0; seq < this.next; seq++) if (this.state[seq] !== SendState.Acknowledged && this.delivered[seq]! > 0) n++
    return n
  }

  /** How long consumed records waited from their send to their first delivery. */
  waits(): WaitStats | undefined {
    const waits: number[] = []
    for (let seq = 0; seq < this.next; seq++) if (this.delivered[seq]! > 0) waits.push(this.firstConsumedAt[seq]! - this.sentAt[seq]!)
    if (waits.length === 0) return undefined
    waits.sort((a, b) => a - b)
    const at = (q: number): number => Math.round(waits[Math.min(waits.length - 1, Math.floor(q * waits.length))]!)
    return { median: at(0.5), p99: at(0.99), max: Math.round(waits[waits.length - 1]!) }
  }
}
