/**
 * One producer's sliding window of sequence numbers, as a paged bitmap: what
 * `DuplicateFilter` remembers of each producer instance.
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
 * @module
 */

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

/** Sequence numbers `(top - size, top]` of one producer; each id marked is one bit. */
export class SequenceWindow {
  /** Ids held in this window. */
  count = 0
  /** Page index (sequence / PAGE_BITS) to the page's bitmap words, then its count of bits set. */
  private readonly pages = new Map<number, Int32Array>()

  /**
   * @param size - sequence numbers the window spans
   * @param top - highest sequence number marked: the window is `(top - size, top]`
   */
  constructor(
    private readonly size: number,
    public top: number,
  ) {}

  /** Whether `sequence` (a safe integer ≥ 0) is below the window, where it cannot be told. */
  isBelow(sequence: number): boolean {
    return sequence <= this.top - this.size
  }

  /** Whether `sequence` (a safe integer ≥ 0) is in the window and marked. */
  has(sequence: number): boolean {
    if (sequence > this.top || this.isBelow(sequence)) return false
    const index = Math.floor(sequence / PAGE_BITS)
    const page = this.pages.get(index)
    if (page === undefined) return false
    const offset = sequence - index * PAGE_BITS
    return (page[offset >>> 5]! & (1 << (offset & 31))) !== 0
  }

  /** Marks `sequence`, which must be in the window; true when it was not marked yet. */
  mark(sequence: number): boolean {
    const index = Math.floor(sequence / PAGE_BITS)
    let page = this.pages.get(index)
    if (page === undefined) {
      page = new Int32Array(PAGE_WORDS + 1)
      this.pages.set(index, page)
    }
    const offset = sequence - index * PAGE_BITS
    const bit = 1 << (offset & 31)
    const word = page[offset >>> 5]!
    if ((word & bit) !== 0) return false
    page[offset >>> 5] = word | bit
    page[COUNT]!++
    this.count++
    return true
  }

  /** Raises the window's top to `top`, forgetting the ids that fall below its new bottom; returns how many. */
  slideTo(top: number): number {
    const from = Math.max(this.top - this.size + 1, 0) // old bottom
    const to = top - this.size + 1 // new bottom: ids below it are forgotten
    this.top = top
    if (to <= from || this.count === 0) return 0
    const bottomPage = Math.floor(to / PAGE_BITS)
    const firstPage = Math.floor(from / PAGE_BITS)
    let removed = 0
    if (bottomPage - firstPage > this.pages.size) {
      // A jump past many pages: fewer pages held than page numbers crossed.
      for (const [index, page] of this.pages) {
        if (index < bottomPage) {
          removed += page[COUNT]!
          this.pages.delete(index)
        }
      }
    } else {
      for (let index = firstPage; index < bottomPage; index++) {
        const page = this.pages.get(index)
        if (page !== undefined) {
          removed += page[COUNT]!
          this.pages.delete(index)
        }
      }
    }
    // The page the new bottom falls in keeps its bits from there up.
    const start = bottomPage * PAGE_BITS
    if (to > start) {
      const page = this.pages.get(bottomPage)
      if (page !== undefined) {
        removed += clearBits(page, Math.max(from, start) - start, to - start)
        if (page[COUNT] === 0) this.pages.delete(bottomPage)
      }
    }
    this.count -= removed
    return removed
  }
}
