import { afterEach, describe, expect, it, vi } from 'vitest'
import { format } from 'node:util'
import createDebug from 'debug'
import type { KafkaMessage } from 'kafkajs'
import { markDelivered, markProcessed, MAX_UNCOMMITTED, ProcessedPositions } from '../../../src/consumer/positions.js'

const message = (offset: string, timestamp: string): KafkaMessage => ({
  offset,
  timestamp,
  key: null,
  value: null,
  attributes: 0,
  headers: {},
})

describe('ProcessedPositions', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('drains the next offset, record timestamp and processing time of the last processed record per partition, once', () => {
    vi.useFakeTimers({ now: 50_000 })
    const positions = new ProcessedPositions('dc1')
    markProcessed(positions.slot('orders', 0), message('4', '1000'), Date.now())
    markProcessed(positions.slot('orders', 0), message('5', '1001'), Date.now())
    markProcessed(positions.slot('dc2.orders', 2), message('9', '2000'), Date.now())
    expect(positions.drain()).toEqual([
      { cluster: 'dc1', topic: 'orders', partition: 0, offset: '6', timestamp: 1001, at: 50_000 },
      { cluster: 'dc1', topic: 'dc2.orders', partition: 2, offset: '10', timestamp: 2000, at: 50_000 },
    ])
    expect(positions.drain()).toEqual([])
    markProcessed(positions.slot('orders', 0), message('6', '1002'), Date.now())
    expect(positions.drain().map((p) => p.offset)).toEqual(['7'])
  })

  it('keeps offsets above 2^53 exact', () => {
    const positions = new ProcessedPositions('dc1')
    markProcessed(positions.slot('t', 0), message('9007199254740993', '1'), Date.now())
    expect(positions.drain()[0]!.offset).toBe('9007199254740994')
  })

  it('dates positions by when their record was processed, however late they are collected', () => {
    vi.useFakeTimers({ now: 10_000 })
    const positions = new ProcessedPositions('dc1')
    markProcessed(positions.slot('t', 0), message('1', '5'), Date.now())
    vi.setSystemTime(20_000)
    markProcessed(positions.slot('t', 1), message('2', '6'), Date.now())
    vi.setSystemTime(90_000)
    expect(positions.checkpoints('g').map((c) => [c.partition, c.offset, c.writtenAt, c.group])).toEqual([
      [0, '2', 10_000, 'g'],
      [1, '3', 20_000, 'g'],
    ])
    expect(positions.drain().map((p) => p.at)).toEqual([10_000, 20_000])
  })
})

describe('ProcessedPositions with manual commits', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  /** Delivers records `from`..`to` (timestamps 1000 + offset) to one partition at the current time. */
  function deliver(positions: ProcessedPositions, from: number, to: number, partition = 0): void {
    for (let offset = from; offset <= to; offset++)
      markDelivered(positions.slot('orders', partition), message(String(offset), String(1000 + offset)), Date.now())
  }

  it('dates a commit of offset N by the record at N-1: its timestamp, and the time it was delivered', () => {
    vi.useFakeTimers({ now: 10_000 })
    const positions = new ProcessedPositions('dc1')
    deliver(positions, 10, 12)
    vi.setSystemTime(20_000)
    deliver(positions, 13, 14)
    expect(positions.commit('orders', 0, '13')).toBe(true)
    expect(positions.drain()).toEqual([{ cluster: 'dc1', topic: 'orders', partition: 0, offset: '13', timestamp: 1012, at: 10_000 }])
    expect(positions.drain()).toEqual([])
    // Offsets as kafkajs accepts them: a number, leading zeros.
    expect(positions.commit('orders', 0, 15)).toBe(true)
    expect(positions.checkpoints('g')).toEqual([
      { group: 'g', cluster: 'dc1', topic: 'orders', partition: 0, offset: '15', timestamp: 1014, writtenAt: 20_000 },
    ])
  })

  it('never checkpoints a delivered record that was not committed, processed or not', () => {
    const positions = new ProcessedPositions('dc1')
    deliver(positions, 0, 99)
    deliver(positions, 0, 9, 1)
    expect(positions.drain()).toEqual([])
    expect(positions.checkpoints('g')).toEqual([])
    expect(positions.commit('orders', 0, '50')).toBe(true)
    deliver(positions, 100, 199)
    expect(positions.drain().map((p) => [p.partition, p.offset])).toEqual([[0, '50']])
    expect(positions.checkpoints('g').map((c) => [c.partition, c.offset])).toEqual([[0, '50']])
    // A slot of manual commits ignores a processed record even if one were marked.
    markProcessed(positions.slot('orders', 1), message('9', '1009'), Date.now())
    expect(positions.drain()).toEqual([])
  })

  it('does not move on a commit it cannot date, and says so in the debug log', () => {
    const lines: string[] = []
    const previousNamespaces = createDebug.disable()
    const previousLog = createDebug.log
    createDebug.enable('kafkajs-dr:consumer')
    createDebug.log = (...args: unknown[]) => {
      lines.push(format(...args))
    }
    try {
      const positions = new ProcessedPositions('dc1')
      // A partition this cluster's sessions never delivered.
      expect(positions.commit('orders', 3, '7')).toBe(false)
      deliver(positions, 200, 210)
      // Below every record delivered: the record before it was never seen here.
      expect(positions.commit('orders', 0, '150')).toBe(false)
      expect(positions.drain()).toEqual([])
      expect(positions.commit('orders', 0, '205')).toBe(true)
      // Records below a commit are forgotten: a later commit below it cannot be dated and leaves the position.
      expect(positions.commit('orders', 0, '203')).toBe(false)
      expect(positions.commit('orders', 0, '-1')).toBe(false)
      expect(positions.commit('orders', 0, 'x')).toBe(false)
      expect(positions.drain().map((p) => [p.offset, p.timestamp])).toEqual([['205', 1204]])
      expect(lines.filter((l) => l.includes('not checkpointed')).map((l) => /dc1\/orders\[\d\] at \d+/.exec(l)?.[0])).toEqual([
        'dc1/orders[3] at 7',
        'dc1/orders[0] at 150',
        'dc1/orders[0] at 203',
      ])
    } finally {
      createDebug.log = previousLog
      createDebug.enable(previousNamespaces)
    }
  })

  it('dates a commit past a gap (compaction, a transaction marker) by the last record before it', () => {
    const positions = new ProcessedPositions('dc1')
    for (const offset of [10, 11, 14])
      markDelivered(positions.slot('orders', 0), message(String(offset), String(1000 + offset)), Date.now())
    expect(positions.commit('orders', 0, '13')).toBe(true) // 12 is a transaction marker: 11 is the last record before 13
    expect(positions.drain().map((p) => [p.offset, p.timestamp])).toEqual([['13', 1011]])
  })

  it('replaces held records on a record delivered again (a retried handler, a seek back)', () => {
    const positions = new ProcessedPositions('dc1')
    const slot = positions.slot('orders', 0)
    deliver(positions, 0, 5)
    markDelivered(slot, message('3', '2003'), Date.now()) // re-delivered: same offset, here another timestamp to tell them apart
    expect(slot.uncommitted!.size).toBe(4)
    expect(positions.commit('orders', 0, '4')).toBe(true)
    expect(positions.drain().map((p) => [p.offset, p.timestamp])).toEqual([['4', 2003]])
    // A commit of the same offset again is no change (and no log line).
    expect(positions.commit('orders', 0, '4')).toBe(false)
    expect(slot.uncommitted!.size).toBe(0)
  })

  it('holds a bounded number of uncommitted records and still dates a commit of the newest ones', () => {
    const positions = new ProcessedPositions('dc1')
    const slot = positions.slot('orders', 0)
    deliver(positions, 0, MAX_UNCOMMITTED + 5)
    expect(slot.uncommitted!.size).toBeLessThanOrEqual(MAX_UNCOMMITTED)
    expect(positions.commit('orders', 0, '100')).toBe(false) // forgotten
    expect(positions.commit('orders', 0, String(MAX_UNCOMMITTED + 6))).toBe(true)
    expect(positions.drain().map((p) => [p.offset, p.timestamp])).toEqual([[String(MAX_UNCOMMITTED + 6), 1000 + MAX_UNCOMMITTED + 5]])
    expect(slot.uncommitted!.size).toBe(0)
  })
})
