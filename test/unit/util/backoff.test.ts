import { describe, expect, it } from 'vitest'
import { backoff } from '../../../src/util/backoff.js'

describe('backoff', () => {
  it('doubles from the first delay up to the cap (a move, a positioning)', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 100].map((attempt) => backoff(attempt, { initialMs: 250, maxMs: 5000 }))
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000])
  })

  it('stays at the cap for any count (crashes in a row)', () => {
    const delays = [1, 2, 5, 6, 2000].map((count) => backoff(count, { initialMs: 1000, maxMs: 30_000 }))
    expect(delays).toEqual([1000, 2000, 16_000, 30_000, 30_000])
  })
})
