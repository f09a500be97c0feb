import { describe, expect, it } from 'vitest'
import { InvalidOptionError } from '../../../src/errors.js'
import { DuplicateFilter, ProvenanceStamper, readProvenance } from '../../../src/topology/index.js'

describe('DuplicateFilter', () => {
  it('passes increasing sequences and drops those at or below the mark', () => {
    const filter = new DuplicateFilter()
    expect(filter.isDuplicate('orders:0', 'p1', 1)).toBe(false)
    expect(filter.isDuplicate('orders:0', 'p1', 2)).toBe(false)
    expect(filter.isDuplicate('orders:0', 'p1', 2)).toBe(true)
    expect(filter.isDuplicate('orders:0', 'p1', 1)).toBe(true)
    expect(filter.isDuplicate('orders:0', 'p1', 3)).toBe(false)
  })

  it('accepts gaps: sequences are global across partitions, so a scope sees a subset', () => {
    const filter = new DuplicateFilter()
    // p1 wrote 1 and 3 to partition 0, 2 and 4 to partition 1.
    expect(filter.isDuplicate('orders:0', 'p1', 1)).toBe(false)
    expect(filter.isDuplicate('orders:1', 'p1', 2)).toBe(false)
    expect(filter.isDuplicate('orders:0', 'p1', 3)).toBe(false)
    expect(filter.isDuplicate('orders:1', 'p1', 4)).toBe(false)
    // The copies arriving through a second path are all dropped.
    for (const [scope, sequence] of [['orders:0', 1], ['orders:1', 2], ['orders:0', 3], ['orders:1', 4]] as const) {
      expect(filter.isDuplicate(scope, 'p1', sequence)).toBe(true)
    }
  })

  it('keeps marks per scope and per producer', () => {
    const filter = new DuplicateFilter()
    expect(filter.isDuplicate('orders:0', 'p1', 10)).toBe(false)
    expect(filter.isDuplicate('orders:1', 'p1', 5)).toBe(false)
    expect(filter.isDuplicate('orders:0', 'p2', 5)).toBe(false)
    expect(filter.isDuplicate('orders:0', 'p2', 5)).toBe(true)
  })

  it('never calls a record without provenance a duplicate', () => {
    const filter = new DuplicateFilter()
    expect(filter.isDuplicate('orders:0', undefined, undefined)).toBe(false)
    expect(filter.isDuplicate('orders:0', undefined, undefined)).toBe(false)
    expect(filter.isDuplicate('orders:0', 'p1', undefined)).toBe(false)
    expect(filter.size).toBe(0)
  })

  it('works with what readProvenance returns', () => {
    const stamper = new ProvenanceStamper()
    const filter = new DuplicateFilter()
    const stamped = stamper.stamp({ value: 'v' }, 'dc1')
    const copy = stamper.withOrigin(stamped, 'dc2')
    const check = (headers: typeof stamped.headers): boolean => {
      const { producerId, sequence } = readProvenance(headers)
      return filter.isDuplicate('orders:0', producerId, sequence)
    }
    expect(check(stamped.headers)).toBe(false)
    expect(check(copy.headers)).toBe(true)
  })

  it('caps tracked producers, evicting the least recently seen', () => {
    const filter = new DuplicateFilter({ maxProducers: 2 })
    filter.isDuplicate('s', 'p1', 1)
    filter.isDuplicate('s', 'p2', 1)
    filter.isDuplicate('s', 'p1', 2) // p1 is now the most recent, p2 the oldest
    filter.isDuplicate('s', 'p3', 1) // evicts p2
    expect(filter.size).toBe(2)
    expect(filter.isDuplicate('s', 'p1', 2)).toBe(true)
    expect(filter.isDuplicate('s', 'p3', 1)).toBe(true)
    // p2 was forgotten: its old record passes again (documented). That re-adds p2, evicting p1.
    expect(filter.isDuplicate('s', 'p2', 1)).toBe(false)
    expect(filter.size).toBe(2)
    expect(filter.isDuplicate('s', 'p1', 2)).toBe(false)
  })

  it('forgets everything on clear', () => {
    const filter = new DuplicateFilter()
    filter.isDuplicate('s', 'p1', 1)
    filter.clear()
    expect(filter.size).toBe(0)
    expect(filter.isDuplicate('s', 'p1', 1)).toBe(false)
  })

  it('validates maxProducers, naming the path', () => {
    expect(() => new DuplicateFilter({ maxProducers: 0 })).toThrow(InvalidOptionError)
    expect(() => new DuplicateFilter({ maxProducers: 1.5 })).toThrow(/`duplicateFilter.maxProducers`/)
    expect(() => new DuplicateFilter({ max: 1 } as never)).toThrow(/`duplicateFilter.max`/)
  })
})
