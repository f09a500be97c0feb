import { describe, expect, it } from 'vitest'
import { RecordLedger } from '../../../src/drill/ledger.js'
import { firstAcknowledgedAfter, longestAcknowledgementGap, type SendRecord } from '../../../src/drill/load.js'

describe('drill record ledger', () => {
  it('counts lost, duplicates and records consumed before their send resolved', () => {
    const ledger = new RecordLedger()
    const a = ledger.send(3, 1000) // records 0, 1, 2
    const b = ledger.send(2, 1100) // records 3, 4
    expect([a, b]).toEqual([0, 3])
    expect(ledger.consume(0, 1150)).toBe('first') // consumed before its send resolved
    ledger.settle(a, 3, true)
    ledger.settle(b, 2, false)
    ledger.consume(1, 1200)
    expect(ledger.consume(1, 1300)).toBe('duplicate')
    ledger.consume(1, 1400)
    ledger.consume(4, 1500) // rejected, but landed after all
    expect(ledger.consume(99, 1600)).toBeUndefined() // never sent by this drill
    const counts = ledger.snapshot()
    expect(counts).toEqual({
      produced: 5,
      acknowledged: 3,
      rejected: 2,
      deliveries: 5,
      consumed: 3,
      acknowledgedConsumed: 2,
      duplicates: 2,
      duplicateRecords: 1,
    })
    expect(ledger.unconsumedAcknowledged).toBe(1)
    expect(ledger.lost()).toEqual([2])
    expect(ledger.consumedUnacknowledged()).toBe(1)
    expect(ledger.waits()).toEqual({ median: 200, p99: 400, max: 400 })
  })

  it('grows past its first arrays', () => {
    const ledger = new RecordLedger()
    const first = ledger.send(10_000, 0)
    ledger.settle(first, 10_000, true)
    for (let seq = 0; seq < 10_000; seq++) ledger.consume(seq, 5)
    expect(ledger.unconsumedAcknowledged).toBe(0)
    expect(ledger.lost()).toEqual([])
  })
})

describe('drill load figures', () => {
  const sends: SendRecord[] = [
    { count: 1, startedAt: 0, settledAt: 100, ok: true },
    { count: 1, startedAt: 50, settledAt: 2600, ok: true }, // re-sent to the survivor
    { count: 1, startedAt: 60, settledAt: 900, ok: false },
    { count: 1, startedAt: 2000, settledAt: 2700, ok: true },
  ]

  it('finds the first acknowledgement after a moment', () => {
    expect(firstAcknowledgedAfter(sends, 1000)?.settledAt).toBe(2600)
    expect(firstAcknowledgedAfter(sends, 3000)).toBeUndefined()
  })

  it('finds the longest time without an acknowledgement, to the end of the load', () => {
    expect(longestAcknowledgementGap(sends, 0, 3000)).toEqual({ ms: 2500, endedAt: 2600 })
    expect(longestAcknowledgementGap(sends, 0, 6000)).toEqual({ ms: 3300, endedAt: 6000 })
  })
})
