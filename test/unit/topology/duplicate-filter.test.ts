import { describe, expect, it } from 'vitest'
import { InvalidOptionError } from '../../../src/errors/index.js'
import { PAGE_BITS } from '../../../src/topology/sequence-window.js'
import { DuplicateFilter, ProvenanceStamper, readProvenance } from '../../../src/topology/index.js'

const P1 = '0123456789abcdef'
const P2 = 'fedcba9876543210'
const P3 = '00000000000000aa'

/**
 * Runs records through the filter as a consumer does (check, handle, mark) and returns the ids
 * handled, in order. `failing` ids make the handler throw the first time they are handled.
 */
function consume(filter: DuplicateFilter, records: ReadonlyArray<readonly [string, number]>, failing = new Set<string>()): string[] {
  const handled: string[] = []
  for (const [producerId, sequence] of records) {
    if (filter.has(producerId, sequence)) continue
    const id = `${producerId}:${sequence}`
    if (failing.delete(id)) continue // the handler threw: not marked
    handled.push(id)
    filter.add(producerId, sequence)
  }
  return handled
}

/** Every interleaving of `a` and `b` that keeps each one's order, when few enough to list. */
function interleavings<T>(a: readonly T[], b: readonly T[]): T[][] {
  if (a.length === 0) return [[...b]]
  if (b.length === 0) return [[...a]]
  return [...interleavings(a.slice(1), b).map((rest) => [a[0]!, ...rest]), ...interleavings(a, b.slice(1)).map((rest) => [b[0]!, ...rest])]
}

describe('DuplicateFilter', () => {
  it('marks only on add: has() changes nothing', () => {
    const filter = new DuplicateFilter()
    expect(filter.has(P1, 5)).toBe(false)
    expect(filter.producers).toBe(0)
    filter.add(P1, 5)
    expect(filter.has(P1, 5)).toBe(true)
    expect(filter.has(P1, 4)).toBe(false)
    expect(filter.has(P1, 6)).toBe(false)
    expect(filter.has(P2, 5)).toBe(false)
    expect([filter.producers, filter.ids]).toEqual([1, 1])
    filter.add(P1, 5) // marking twice holds it once
    expect(filter.ids).toBe(1)
  })

  it('delivers each id exactly once through two interleaved paths, in every order', () => {
    // P1 wrote 0..5 to the partitions of dc2's `orders`; this consumer reads partition 0 (even
    // sequences) and 1 (odd) directly and, through the replica, from dc1's `dc2.orders`.
    const direct = [
      [P1, 0],
      [P1, 2],
      [P1, 1],
      [P1, 4],
      [P1, 3],
      [P1, 5],
    ] as const
    const replica = [
      [P1, 1],
      [P1, 0],
      [P1, 3],
      [P1, 2],
      [P1, 5],
      [P1, 4],
    ] as const
    const orders = interleavings(direct, replica)
    expect(orders).toHaveLength(924) // C(12, 6)
    for (const order of orders) {
      const handled = consume(new DuplicateFilter(), order)
      expect(handled.sort()).toEqual([0, 1, 2, 3, 4, 5].map((s) => `${P1}:${s}`).sort())
    }
  })

  it('keeps the records only one path carries, wherever the other path has got to', () => {
    // Before its failover P1's records 10..14 reached dc1 only; 15.. went to dc2. The direct path
    // (dc2) runs ahead of the replica (dc1's records on dc2): a high-water mark would drop 10..14.
    const filter = new DuplicateFilter()
    const direct = Array.from({ length: 11 }, (_, i) => [P1, 15 + i] as const)
    const replica = Array.from({ length: 5 }, (_, i) => [P1, 10 + i] as const)
    const handled = consume(filter, [...direct, ...replica, ...direct])
    expect(handled).toHaveLength(16)
    expect(filter.ids).toBe(16)
  })

  it('drops a re-send with the same id from another cluster, but not a record whose handler threw', () => {
    const stamper = new ProvenanceStamper()
    const filter = new DuplicateFilter()
    const messages = [0, 1, 2].map((i) => stamper.stamp({ value: `m${i}` }, 'dc1'))
    const resent = messages.map((m) => stamper.withOrigin(m, 'dc2')) // same ids, origin dc2
    const ids = (list: typeof messages): Array<[string, number]> =>
      list.map((m) => {
        const { producerId, sequence } = readProvenance(m.headers)
        return [producerId!, sequence!]
      })
    const id1 = `${stamper.instanceId}:1`
    // dc2's copies first (the consumer's active cluster), dc1's afterwards; record 1 fails once.
    const handled = consume(filter, [...ids(resent), ...ids(messages)], new Set([id1]))
    expect(handled).toEqual([`${stamper.instanceId}:0`, `${stamper.instanceId}:2`, id1])
    expect(consume(filter, ids(resent))).toEqual([])
  })

  it('slides the window up, freeing pages, and lets ids below it pass, counting them', () => {
    const P = PAGE_BITS
    const W = 2 * P + P / 2
    const filter = new DuplicateFilter({ windowSize: W })
    for (let s = 0; s < W; s++) filter.add(P1, s)
    expect(filter.ids).toBe(W)
    expect(pageIndexes(filter, P1)).toEqual([0, 1, 2])
    filter.add(P1, 3 * P + 100) // bottom now P/2 + 101: page 0 keeps its upper part
    const bottom = P / 2 + 101
    expect(filter.ids).toBe(W - bottom + 1)
    expect(pageIndexes(filter, P1)).toEqual([0, 1, 2, 3])
    expect(filter.has(P1, bottom - 1)).toBe(false)
    expect(filter.has(P1, bottom)).toBe(true)
    expect(filter.has(P1, W - 1)).toBe(true)
    expect(filter.has(P1, W)).toBe(false)
    expect(filter.tooOld).toBe(0)
    // Below the window: not a duplicate, counted when marked, not held.
    expect(filter.has(P1, 0)).toBe(false)
    filter.add(P1, 0)
    filter.add(P1, bottom - 1)
    expect(filter.tooOld).toBe(2)
    expect(filter.has(P1, 0)).toBe(false)
    expect(filter.ids).toBe(W - bottom + 1)
    filter.add(P1, P + 10 + W - 1) // bottom P + 10: page 0 freed, page 1 cleared below it
    expect(pageIndexes(filter, P1)).toEqual([1, 2, 3])
    expect(filter.ids).toBe(W - (P + 10) + 2)
    expect(filter.has(P1, P + 9)).toBe(false)
    expect(filter.has(P1, P + 10)).toBe(true)
    filter.add(P1, 2 * P + W) // bottom 2P + 1: page 1 freed whole, page 2 loses 2P
    expect(pageIndexes(filter, P1)).toEqual([2, 3, 4])
    expect(filter.ids).toBe(W - (2 * P + 1) + 3)
    // A page left with no bit set is freed though the bottom stops inside it.
    filter.add(P1, W + 50 + W - 1) // bottom W + 50, in page 2, which held nothing above W - 1
    expect(pageIndexes(filter, P1)).toEqual([3, 4, 5])
    expect(filter.ids).toBe(4)
  })

  it('frees every page on a jump past the whole window, however far', () => {
    const W = 3 * PAGE_BITS
    const filter = new DuplicateFilter({ windowSize: W })
    for (let s = 0; s < W; s += 3) filter.add(P1, s)
    expect(filter.ids).toBe(PAGE_BITS)
    expect(pageIndexes(filter, P1)).toEqual([0, 1, 2])
    filter.add(P1, 2 ** 52)
    expect(filter.ids).toBe(1)
    expect(pageIndexes(filter, P1)).toEqual([2 ** 52 / PAGE_BITS])
    expect(filter.has(P1, 2 ** 52)).toBe(true)
    expect(filter.has(P1, W - 3)).toBe(false)
    filter.add(P1, W - 3)
    expect(filter.tooOld).toBe(1)
  })

  it('keeps ids exact while the window bottom walks through pages', () => {
    const P = PAGE_BITS
    const window = P / 2 + 3
    const filter = new DuplicateFilter({ windowSize: window })
    // Every 7th sequence, then every sequence: the bottom stops in every part of the pages.
    const sequences = [...Array.from({ length: P }, (_, i) => i * 7), ...Array.from({ length: 2 * P }, (_, i) => 7 * P + i)]
    const held: number[] = [] // increasing
    let first = 0
    for (const s of sequences) {
      filter.add(P1, s)
      held.push(s)
      while (held[first]! <= s - window) first++
      if (s % 97 === 0) expect(filter.ids).toBe(held.length - first)
    }
    expect(filter.ids).toBe(window)
    const top = sequences.at(-1)!
    for (let s = top - window + 1; s <= top; s++) expect(filter.has(P1, s)).toBe(true)
    expect(filter.has(P1, top - window)).toBe(false)
    expect(pageIndexes(filter, P1)).toEqual([8])
  })

  it('keeps a window per producer', () => {
    const filter = new DuplicateFilter({ windowSize: 100 })
    filter.add(P1, 1000)
    filter.add(P2, 5)
    expect(filter.has(P1, 5)).toBe(false)
    expect(filter.has(P2, 5)).toBe(true)
    expect(filter.has(P2, 1000)).toBe(false)
    filter.add(P2, 50) // in P2's window, though far below P1's
    expect([filter.ids, filter.tooOld]).toEqual([3, 0])
  })

  it('caps tracked producers, evicting the least recently marked and its ids', () => {
    const filter = new DuplicateFilter({ maxProducers: 2 })
    filter.add(P1, 1)
    filter.add(P1, 2)
    filter.add(P2, 1)
    expect(filter.has(P1, 1)).toBe(true) // has() does not make P1 the most recent
    filter.add(P1, 3) // add() does: P2 is now the oldest
    filter.add(P3, 1) // evicts P2
    expect([filter.producers, filter.ids]).toEqual([2, 4])
    expect(filter.has(P1, 3)).toBe(true)
    expect(filter.has(P3, 1)).toBe(true)
    // P2 was forgotten: its old record passes again (documented). Marking it evicts P1.
    expect(filter.has(P2, 1)).toBe(false)
    filter.add(P2, 1)
    expect([filter.producers, filter.ids]).toEqual([2, 2])
    expect(filter.has(P1, 1)).toBe(false)
  })

  it('evicts the right producer when one repeats (the fast path) between others', () => {
    const filter = new DuplicateFilter({ maxProducers: 2 })
    filter.add(P1, 1)
    filter.add(P2, 1)
    filter.add(P2, 2) // fast path: P2 was already the newest
    filter.add(P1, 2) // P1 newest, P2 oldest
    filter.add(P1, 3) // fast path again
    filter.add(P3, 1) // evicts P2
    expect(filter.has(P2, 1)).toBe(false)
    expect(filter.has(P1, 1)).toBe(true)
    expect(filter.ids).toBe(4)
  })

  it('never holds a sequence that is not a safe integer ≥ 0', () => {
    const filter = new DuplicateFilter()
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53, undefined as unknown as number]) {
      filter.add(P1, bad)
      expect(filter.has(P1, bad)).toBe(false)
    }
    expect([filter.producers, filter.ids, filter.tooOld]).toEqual([0, 0, 0])
  })

  it('forgets everything on clear', () => {
    const filter = new DuplicateFilter({ windowSize: 10 })
    filter.add(P1, 100)
    filter.add(P1, 1)
    filter.clear()
    expect([filter.producers, filter.ids, filter.tooOld]).toEqual([0, 0, 0])
    expect(filter.has(P1, 100)).toBe(false)
    filter.add(P1, 1) // a fresh window: not below anything
    expect([filter.ids, filter.tooOld]).toEqual([1, 0])
  })

  it('agrees with a plain model (sets of ids, LRU) through random slides, jumps and evictions', () => {
    const windowSize = PAGE_BITS / 4 // the bottom crosses pages, stopping anywhere in them
    const filter = new DuplicateFilter({ windowSize, maxProducers: 3 })
    const model = new Map<string, { top: number; ids: Set<number> }>()
    let tooOld = 0
    let copies = 0
    let seed = 42
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
      return seed % n
    }
    const producers = [P1, P2, P3, 'aaaaaaaaaaaaaaaa']
    const cursors = producers.map(() => 0)
    for (let op = 0; op < 20_000; op++) {
      const p = random(producers.length)
      const producerId = producers[p]!
      const r = random(100)
      // Mostly small steps up, some behind (within and beyond the window), a few far jumps.
      const sequence =
        r < 70
          ? (cursors[p]! += 1 + random(40))
          : r < 97
            ? Math.max(0, cursors[p]! - random(2 * windowSize))
            : (cursors[p]! += random(3 * windowSize))
      const state = model.get(producerId)
      const inModel = state !== undefined && state.ids.has(sequence) && sequence > state.top - windowSize
      expect(filter.has(producerId, sequence)).toBe(inModel)
      if (inModel) copies++
      if (random(10) === 0) continue // the handler threw: not marked
      filter.add(producerId, sequence)
      let entry = model.get(producerId)
      if (entry === undefined) {
        if (model.size >= 3) model.delete(model.keys().next().value!)
        entry = { top: sequence, ids: new Set() }
      }
      model.delete(producerId)
      model.set(producerId, entry)
      if (sequence > entry.top) {
        entry.top = sequence
        for (const id of entry.ids) if (id <= sequence - windowSize) entry.ids.delete(id)
      }
      if (sequence <= entry.top - windowSize) tooOld++
      else entry.ids.add(sequence)
      const ids = [...model.values()].reduce((sum, e) => sum + e.ids.size, 0)
      expect([filter.producers, filter.ids, filter.tooOld]).toEqual([model.size, ids, tooOld])
    }
    // The run did see copies, ids below windows and evictions.
    expect([copies > 100, tooOld > 100, filter.ids > 100]).toEqual([true, true, true])
  })

  it('validates its options under `dedupe`, naming the path', () => {
    expect(() => new DuplicateFilter({ maxProducers: 0 })).toThrow(InvalidOptionError)
    expect(() => new DuplicateFilter({ maxProducers: 1.5 })).toThrow(/`dedupe.maxProducers`/)
    expect(() => new DuplicateFilter({ windowSize: 0 })).toThrow(/`dedupe.windowSize` to be an integer ≥ 1/)
    expect(() => new DuplicateFilter({ windowSize: 2 ** 33 })).toThrow(/`dedupe.windowSize` to be an integer ≤/)
    expect(() => new DuplicateFilter({ windowSize: '1M' as never })).toThrow(/`dedupe.windowSize`/)
    expect(() => new DuplicateFilter({ windowsize: 10 } as never)).toThrow(/Unknown option `dedupe.windowsize`; did you mean `windowSize`/)
    expect(() => new DuplicateFilter(null as never)).toThrow(/`dedupe` to be an object/)
  })
})

/** The page indexes a producer holds, read from the private state (only to check freeing). */
function pageIndexes(filter: DuplicateFilter, producerId: string): number[] {
  const windows = (filter as unknown as { windows: Map<string, { pages: Map<number, unknown> }> }).windows
  return [...windows.get(producerId)!.pages.keys()].sort((a, b) => a - b)
}
