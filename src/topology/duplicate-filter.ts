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
import { SequenceWindow } from './sequence-window.js'

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
 * bitmap (see the notes on memory in `sequence-window.ts`). An id below the window cannot be told: it is never
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
  private readonly windows = new Map<string, SequenceWindow>()
  private lastProducer: string | undefined
  private lastWindow: SequenceWindow | undefined
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
    return window?.has(sequence) ?? false
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
      this.held -= window.slideTo(sequence)
    } else if (window.isBelow(sequence)) {
      this.belowWindow++
      return
    }
    if (window.mark(sequence)) this.held++
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
  private touch(producerId: string, sequence: number): SequenceWindow {
    // Records come in runs from one producer: skip the move when it is already the newest.
    if (producerId === this.lastProducer) return this.lastWindow!
    let window = this.windows.get(producerId)
    if (window === undefined) {
      if (this.windows.size >= this.maxProducers) {
        const [oldest, evicted] = this.windows.entries().next().value!
        this.windows.delete(oldest)
        this.held -= evicted.count
      }
      window = new SequenceWindow(this.windowSize, sequence)
    } else {
      this.windows.delete(producerId)
    }
    this.windows.set(producerId, window)
    this.lastProducer = producerId
    this.lastWindow = window
    return window
  }
}
