import { describe, expect, it } from 'vitest'
import { HealthTracker } from '../../../src/discovery/health-tracker.js'

const T0 = 1_000_000

/** A tracker with the library's default thresholds (2 failures down, 3 successes up). */
function tracker(failureThreshold = 2, successThreshold = 3): HealthTracker {
  return new HealthTracker({ failureThreshold, successThreshold }, T0)
}

/** Records `results` at T0+1, T0+2, ... and returns what each call returned. */
function feed(t: HealthTracker, results: boolean[], start = T0 + 1): Array<string | undefined> {
  return results.map((ok, i) => t.record(ok, start + i))
}

describe('HealthTracker', () => {
  it('starts unknown, with since set to the construction time', () => {
    const t = tracker()
    expect(t.state).toBe('unknown')
    expect(t.since).toBe(T0)
  })

  it('lets the first success decide at once, whatever successThreshold says', () => {
    const t = tracker(5, 5)
    expect(t.record(true, T0 + 10)).toBe('up')
    expect(t.state).toBe('up')
    expect(t.since).toBe(T0 + 10)
  })

  it('lets the first failure decide at once, whatever failureThreshold says', () => {
    const t = tracker(5, 5)
    expect(t.record(false, T0 + 10)).toBe('down')
    expect(t.state).toBe('down')
    expect(t.since).toBe(T0 + 10)
  })

  it('marks an up cluster down only after failureThreshold consecutive failures', () => {
    const t = tracker(3, 1)
    t.record(true, T0)
    expect(feed(t, [false, false, false])).toEqual([undefined, undefined, 'down'])
    expect(t.state).toBe('down')
  })

  it('marks a down cluster up only after successThreshold consecutive successes', () => {
    const t = tracker(1, 3)
    t.record(false, T0)
    expect(feed(t, [true, true, true])).toEqual([undefined, undefined, 'up'])
    expect(t.state).toBe('up')
  })

  it('with thresholds of 1 follows every result', () => {
    const t = tracker(1, 1)
    expect(feed(t, [true, false, true, false])).toEqual(['up', 'down', 'up', 'down'])
  })

  it('a success between failures resets the failure count: interleaved results keep an up cluster up', () => {
    const t = tracker(2, 3)
    t.record(true, T0)
    expect(feed(t, [false, true, false, true, false, true])).toEqual([undefined, undefined, undefined, undefined, undefined, undefined])
    expect(t.state).toBe('up')
    // Two in a row now do it.
    expect(feed(t, [false, false], T0 + 100)).toEqual([undefined, 'down'])
  })

  it('a failure between successes resets the success count: interleaved results keep a down cluster down', () => {
    const t = tracker(2, 3)
    t.record(false, T0)
    expect(feed(t, [true, true, false, true, true, false])).toEqual([undefined, undefined, undefined, undefined, undefined, undefined])
    expect(t.state).toBe('down')
    expect(feed(t, [true, true, true], T0 + 100)).toEqual([undefined, undefined, 'up'])
  })

  it('successes while up do not count towards a later recovery, nor failures while down towards a later fall', () => {
    const t = tracker(2, 2)
    feed(t, [true, true, true, true]) // up, with many successes
    expect(feed(t, [false, false], T0 + 10)).toEqual([undefined, 'down'])
    // Down now: recovery needs 2 fresh successes.
    expect(t.record(true, T0 + 20)).toBeUndefined()
    expect(t.record(true, T0 + 21)).toBe('up')
    // Up again: falling needs 2 fresh failures.
    expect(t.record(false, T0 + 30)).toBeUndefined()
    expect(t.record(false, T0 + 31)).toBe('down')
  })

  it('returns undefined and keeps `since` when a result does not change the state', () => {
    const t = tracker(2, 2)
    t.record(true, T0 + 5)
    expect(t.record(true, T0 + 50)).toBeUndefined()
    expect(t.record(false, T0 + 60)).toBeUndefined()
    expect(t.record(true, T0 + 70)).toBeUndefined()
    expect(t.since).toBe(T0 + 5)
  })

  it('moves `since` to the time of each change', () => {
    const t = tracker(1, 2)
    t.record(true, T0 + 1)
    expect(t.since).toBe(T0 + 1)
    t.record(false, T0 + 2)
    expect(t.since).toBe(T0 + 2)
    t.record(true, T0 + 3)
    expect(t.since).toBe(T0 + 2)
    t.record(true, T0 + 4)
    expect(t.state).toBe('up')
    expect(t.since).toBe(T0 + 4)
  })

  it('defaults `now` to Date.now()', () => {
    const before = Date.now()
    const t = new HealthTracker({ failureThreshold: 1, successThreshold: 1 })
    t.record(true)
    const after = Date.now()
    expect(t.since).toBeGreaterThanOrEqual(before)
    expect(t.since).toBeLessThanOrEqual(after)
  })
})
