import { afterEach, describe, expect, it, vi } from 'vitest'
import type { KafkaMessage } from 'kafkajs'
import { markProcessed, ProcessedPositions } from '../../../src/consumer/positions.js'

const message = (offset: string, timestamp: string): KafkaMessage => ({ offset, timestamp, key: null, value: null, attributes: 0, headers: {} } as unknown as KafkaMessage)

describe('ProcessedPositions', () => {
  afterEach(() => { vi.useRealTimers() })

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
    expect(positions.checkpoints('g').map((c) => [c.partition, c.offset, c.writtenAt, c.group])).toEqual([[0, '2', 10_000, 'g'], [1, '3', 20_000, 'g']])
    expect(positions.drain().map((p) => p.at)).toEqual([10_000, 20_000])
  })
})
