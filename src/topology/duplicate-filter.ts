/**
 * De-duplication by provenance id ({@link readProvenance}): which (producer instance, sequence)
 * ids a consumer has already handled.
 *
 * ## Why a window and not a high-water mark
 *
 * One producer's sequence numbers increase by one per message, so dropping what is at or below
 * the highest sequence seen looks like enough. It is not, because one consumer receives a
 * producer's records through several paths that interleave and do not carry the same records:
 *
 * - dual-read: a record read directly from dc2's `orders` and its replica read from dc1's
 *   `dc2.orders` arrive in either order, the replica lagging by the replication delay, and each
 *   path's partitions are read at their own pace;
 * - re-sends: a producer failing over re-sends to another cluster, with the same ids, the records
 *   whose send failed. Some had reached the first cluster anyway, some had not, and the records
 *   after them went to the second cluster only.
 *
 * So when the direct path has raised a mark to 25, records 10 to 14 that reached only the first
 * cluster before the failover come later through the replica path, fall below the mark and are
 * dropped though never handled. Losing a record is worse than handling a copy, so the filter
 * remembers each id seen instead, as one bit in a sliding window of the producer's sequence
 * numbers: a record is a copy exactly when its id was marked and is still in the window, in
 * whatever order the paths deliver.
 *
 * ## Memory
 *
 * Per producer, the window spans the `windowSize` sequence numbers up to the highest one marked.
 * It is stored as a bitmap in pages of 32,768 bits (4 KiB), a page allocated when an id in it is
 * first marked and freed once the window has slid past it; each page costs about 300 bytes more
 * for its objects. So memory is about one bit per sequence number between a producer's lowest
 * and highest id held, in pages where ids were seen. Measured (`npm run bench -- dedupe`), a
 * million ids held take 0.13 MiB from one producer's dense sequences, 0.44 MiB from 100
 * producers of 10,000 each (a page each), and 0.5 MiB when this consumer sees every 4th sequence
 * (a group member reading a quarter of the partitions: four bits an id).
 *
 * The sparser the share of a producer's sequences a consumer sees, the more an id costs, but
 * never more than the window: the worst case, every tracked producer with ids spread over the
 * whole of its window, is `maxProducers × (windowSize / 8 + 4 KiB)` bytes plus the pages'
 * overhead. At the defaults that is 128 MiB of bitmap (1000 × 1,048,576 / 8), 132 MiB measured.
 *
 * ## Below the window
 *
 * An id below its producer's window cannot be told apart from one never seen, so it is not a
 * duplicate: it passes (losing a record is worse than a duplicate) and is counted in
 * {@link DuplicateFilter.tooOld}. The window must therefore cover, in the producer's own
 * sequence numbers, how far one path can fall behind another: replication lag or the time to a
 * re-send, times the producer's rate across all its partitions (the default, 2^20, is about
 * 10 s of a producer writing 100,000 records a second). A growing `tooOld` says it does not.
 *
 * @module
 */
import { expectInt, expectObject } from '../util/validate.js'

/**
 * Bits in one page of a producer's bitmap (4 KiB). Each page costs about 300 bytes more for its
 * typed array, buffer and map entry: 7% of a 4 KiB page, but half of a 512-byte one (measured 178
 * MiB instead of 132 in the worst case at the defaults).
 *
 * Exported for the tests; the package does not re-export it.
 */
export const PAGE_BITS = 32_768
/** 32-bit words of bitmap in a page. */
const PAGE_WORDS = PAGE_BITS / 32
/** Index, in a page's Int32Array, of the count of bits set in it (after the bitmap's words). */
const COUNT = PAGE_WORDS
const DEFAULT_WINDOW_SIZE = 1_048_576
const DEFAULT_MAX_PRODUCERS = 1000
/** Largest `windowSize`: 512 MiB of bitmap for one producer is past any sensible setting. */
const MAX_WINDOW_SIZE = 2 ** 32

/** Options of {@link DuplicateFilter}. */
export interface DuplicateFilterOptions {
  /**
   * Sequence numbers remembered per producer instance, counting down from the highest one marked.
   * It must cover how far, in that producer's records (all partitions and topics together), one
   * path of a record can lag behind another; ids below the window pass and count in
   * {@link DuplicateFilter.tooOld}. Costs at most `windowSize / 8` bytes per producer, plus a
   * 4 KiB page.
   *
   * @default 1_048_576 (2^20)
   */
  windowSize?: number
  /**
   * Most producer instances tracked at once; beyond it the least recently marked is forgotten,
   * and its records already seen would pass again.
   *
   * @default 1000
   */
  maxProducers?: number
}

/** What is remembered of one producer instance. */
interface ProducerWindow {
  /** Highest sequence number marked: the window is `(top - windowSize, top]`. */
  top: number
  /** Ids held in this window. */
  count: number
  /** Page index (sequence / PAGE_BITS) to the page's bitmap words, then its count of bits set. */
  pages: Map<number, Int32Array>
}

function popcount(word: number): number {
  word -= (word >>> 1) & 0x55555555
  word = (word & 0x33333333) + ((word >>> 2) & 0x33333333)
  return (((word + (word >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24
}

/**
 * Clears the bits `[from, to)` of `page` (offsets within the page, `from < to`) and returns how
 * many were set.
 */
function clearBits(page: Int32Array, from: number, to: number): number {
  let removed = 0
  const last = (to - 1) >>> 5
  for (let word = from >>> 5; word <= last; word++) {
    const low = word === from >>> 5 ? from & 31 : 0
    const high = word === last ? ((to - 1) & 31) + 1 : 32
    // Bits low..high-1 of the word; `-1 >>> (32 - n)` keeps the n low bits (n = 32 included).
    const mask = ((-1 >>> (32 - (high - low))) << low) | 0
    const word0 = page[word]!
    if ((word0 & mask) !== 0) {
      removed += popcount(word0 & mask)
      page[word] = word0 & ~mask
    }
  }
  page[COUNT] = page[COUNT]! - removed
  return removed
}

/**
 * Remembers which provenance ids (producer instance, sequence number) were handled, so that the
 * copies of a record reaching a consumer through other paths (dual-read of a topic and its
 * replica, re-sends after a producer's failover) are dropped, in whatever order they arrive.
 *
 * Check and mark are separate: check with {@link DuplicateFilter.has} before handling a record,
 * mark with {@link DuplicateFilter.add} only once the handler succeeded, so that a record whose
 * handler threw is not dropped when it comes again. Concurrent handlers (several partitions at
 * once) can both pass the check for two copies of one record before either marks it: a caller
 * that handles partitions concurrently must hold back a copy of an id in flight itself.
 *
 * Per producer it keeps a sliding window of the last `windowSize` sequence numbers as a paged
 * bitmap (see the module's notes on memory). An id below the window cannot be told: it is never
 * called a duplicate, and counts in {@link DuplicateFilter.tooOld}.
 *
 * @example
 * ```ts
 * const filter = new DuplicateFilter()
 * const { producerId, sequence } = readProvenance(message.headers)
 * if (producerId === undefined || sequence === undefined) {
 *   await handle(message)
 * } else if (!filter.has(producerId, sequence)) {
 *   await handle(message)                  // throws: not marked, handled again when redelivered
 *   filter.add(producerId, sequence)
 * }                                        // else a copy already handled: skip it
 * ```
 */
export class DuplicateFilter {
  private readonly windowSize: number
  private readonly maxProducers: number
  // Map iteration order is insertion order: re-inserting on use keeps the least recently used
  // producer first.
  private readonly windows = new Map<string, ProducerWindow>()
  private lastProducer: string | undefined
  private lastWindow: ProducerWindow | undefined
  private held = 0
  private belowWindow = 0

  /**
   * @param options - Window size and producer limit; both optional.
   * @throws `InvalidOptionError` naming the path under `dedupe` (`dedupe.windowSize`).
   *
   * @example
   * ```ts
   * const filter = new DuplicateFilter({ windowSize: 4 * 1_048_576, maxProducers: 200 })
   * ```
   */
  constructor(options: DuplicateFilterOptions = {}) {
    expectObject(options, 'dedupe', ['windowSize', 'maxProducers'])
    this.windowSize = expectInt(options.windowSize, 'dedupe.windowSize', DEFAULT_WINDOW_SIZE, { min: 1, max: MAX_WINDOW_SIZE })
    this.maxProducers = expectInt(options.maxProducers, 'dedupe.maxProducers', DEFAULT_MAX_PRODUCERS, { min: 1 })
  }

  /**
   * Whether the id was marked by {@link DuplicateFilter.add} and is still in its producer's
   * window: true means the record is a copy of one already handled. False for an id below the
   * window, for a producer not tracked (never seen, or evicted) and for a sequence that is not a
   * safe integer ≥ 0. Changes nothing, not even the producer's place in the eviction order.
   *
   * @param producerId - `producerId` of {@link readProvenance}.
   * @param sequence - `sequence` of {@link readProvenance}.
   *
   * @example
   * ```ts
   * if (filter.has(producerId, sequence)) return // a copy: already handled
   * ```
   */
  has(producerId: string, sequence: number): boolean {
    if (!Number.isSafeInteger(sequence) || sequence < 0) return false
    const window = producerId === this.lastProducer ? this.lastWindow : this.windows.get(producerId)
    if (window === undefined || sequence > window.top || sequence <= window.top - this.windowSize) return false
    const index = Math.floor(sequence / PAGE_BITS)
    const page = window.pages.get(index)
    if (page === undefined) return false
    const offset = sequence - index * PAGE_BITS
    return (page[offset >>> 5]! & (1 << (offset & 31))) !== 0
  }

  /**
   * Marks the id as handled. A sequence above the producer's window slides the window up to it,
   * forgetting (and freeing) what falls below; one below the window cannot be marked and counts
   * in {@link DuplicateFilter.tooOld}. Makes the producer the most recently used, evicting the
   * least recently used one when a new producer would exceed `maxProducers`. A sequence that is
   * not a safe integer ≥ 0 (never one from {@link readProvenance}) is ignored.
   *
   * @param producerId - `producerId` of {@link readProvenance}.
   * @param sequence - `sequence` of {@link readProvenance}.
   *
   * @example
   * ```ts
   * await handle(message)
   * filter.add(producerId, sequence) // only once the handler succeeded
   * ```
   */
  add(producerId: string, sequence: number): void {
    if (!Number.isSafeInteger(sequence) || sequence < 0) return
    const window = this.touch(producerId, sequence)
    if (sequence > window.top) {
      this.slide(window, sequence)
    } else if (sequence <= window.top - this.windowSize) {
      this.belowWindow++
      return
    }
    const index = Math.floor(sequence / PAGE_BITS)
    let page = window.pages.get(index)
    if (page === undefined) {
      page = new Int32Array(PAGE_WORDS + 1)
      window.pages.set(index, page)
    }
    const offset = sequence - index * PAGE_BITS
    const bit = 1 << (offset & 31)
    const word = page[offset >>> 5]!
    if ((word & bit) === 0) {
      page[offset >>> 5] = word | bit
      page[COUNT]!++
      window.count++
      this.held++
    }
  }

  /**
   * Number of producer instances tracked, at most `maxProducers`.
   *
   * @example
   * ```ts
   * filter.add('0123456789abcdef', 0)
   * filter.producers // 1
   * ```
   */
  get producers(): number {
    return this.windows.size
  }

  /**
   * Number of ids held: marked and still in their producer's window, over all producers tracked.
   *
   * @example
   * ```ts
   * filter.add('0123456789abcdef', 0)
   * filter.add('0123456789abcdef', 0)
   * filter.ids // 1
   * ```
   */
  get ids(): number {
    return this.held
  }

  /**
   * Number of {@link DuplicateFilter.add} calls for an id below its producer's window: records
   * handled without the filter being able to tell whether they were copies. A count that keeps
   * growing means `windowSize` is shorter than the lag between the paths.
   *
   * @example
   * ```ts
   * const filter = new DuplicateFilter({ windowSize: 10 })
   * filter.add('0123456789abcdef', 100)
   * filter.add('0123456789abcdef', 90) // below the window (91 to 100)
   * filter.tooOld // 1
   * ```
   */
  get tooOld(): number {
    return this.belowWindow
  }

  /**
   * Forgets every producer and id, and resets {@link DuplicateFilter.tooOld}.
   *
   * @example
   * ```ts
   * filter.clear()
   * filter.ids // 0
   * ```
   */
  clear(): void {
    this.windows.clear()
    this.lastProducer = undefined
    this.lastWindow = undefined
    this.held = 0
    this.belowWindow = 0
  }

  /** The producer's window, made the most recently used; a new one (top `sequence`) if untracked. */
  private touch(producerId: string, sequence: number): ProducerWindow {
    // Records come in runs from one producer: skip the move when it is already the newest.
    if (producerId === this.lastProducer) return this.lastWindow!
    let window = this.windows.get(producerId)
    if (window === undefined) {
      if (this.windows.size >= this.maxProducers) {
        const [oldest, evicted] = this.windows.entries().next().value!
        this.windows.delete(oldest)
        this.held -= evicted.count
      }
      window = { top: sequence, count: 0, pages: new Map() }
    } else {
      this.windows.delete(producerId)
    }
    this.windows.set(producerId, window)
    this.lastProducer = producerId
    this.lastWindow = window
    return window
  }

  /** Raises the window's top to `top`, forgetting the ids that fall below its new bottom. */
  private slide(window: ProducerWindow, top: number): void {
    const from = Math.max(window.top - this.windowSize + 1, 0) // old bottom
    const to = top - this.windowSize + 1 // new bottom: ids below it are forgotten
    window.top = top
    if (to <= from || window.count === 0) return
    const bottomPage = Math.floor(to / PAGE_BITS)
    const firstPage = Math.floor(from / PAGE_BITS)
    let removed = 0
    if (bottomPage - firstPage > window.pages.size) {
      // A jump past many pages: fewer pages held than page numbers crossed.
      for (const [index, page] of window.pages) {
        if (index < bottomPage) {
          removed += page[COUNT]!
          window.pages.delete(index)
        }
      }
    } else {
      for (let index = firstPage; index < bottomPage; index++) {
        const page = window.pages.get(index)
        if (page !== undefined) {
          removed += page[COUNT]!
          window.pages.delete(index)
        }
      }
    }
    // The page the new bottom falls in keeps its bits from there up.
    const start = bottomPage * PAGE_BITS
    if (to > start) {
      const page = window.pages.get(bottomPage)
      if (page !== undefined) {
        removed += clearBits(page, Math.max(from, start) - start, to - start)
        if (page[COUNT] === 0) window.pages.delete(bottomPage)
      }
    }
    window.count -= removed
    this.held -= removed
  }
}
