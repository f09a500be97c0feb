import { describe, expect, it } from 'vitest'
import { StallDetector } from '../../bed/supervisor.js'

describe('StallDetector (when the bed supervisor restarts MirrorMaker 2)', () => {
  const STALL = 15_000
  const STARTUP = 120_000

  it('calls a flow that delivered before stalled once it has delivered nothing for the bound while everything was up', () => {
    const d = new StallDetector(STALL, STARTUP)
    d.up(100, 0)
    expect(d.judge('dc2 -> dc1', true, 1000)).toBe('delivering')
    d.up(100, 20_000)
    expect(d.judge('dc2 -> dc1', false, 20_000)).toBe('stalled')
  })

  it('does not count the time a cluster was paused or down: after it returns MM2 gets the full bound to catch up', () => {
    const d = new StallDetector(STALL, STARTUP)
    d.up(100, 0)
    d.judge('dc2 -> dc1', true, 0)
    d.notUp() // dc1 paused for a minute
    expect(d.judge('dc2 -> dc1', false, 60_000)).toBe('waiting')
    d.up(100, 61_000) // dc1 resumed
    expect(d.judge('dc2 -> dc1', false, 61_000)).toBe('waiting')
    expect(d.judge('dc2 -> dc1', false, 61_000 + STALL - 1)).toBe('waiting')
    expect(d.judge('dc2 -> dc1', false, 61_000 + STALL)).toBe('stalled')
  })

  it('a flow that delivers again is never stalled', () => {
    const d = new StallDetector(STALL, STARTUP)
    d.up(100, 0)
    d.judge('dc1 -> dc2', true, 0)
    d.up(100, 100_000)
    expect(d.judge('dc1 -> dc2', true, 100_000)).toBe('delivering')
  })

  it('gives a newly started MM2 (a new pid) the start-up bound before its first heartbeat on each flow', () => {
    const d = new StallDetector(STALL, STARTUP)
    d.up(100, 0)
    d.judge('dc1 -> dc2', true, 0)
    d.up(200, 10_000) // MM2 restarted
    expect(d.judge('dc1 -> dc2', false, 10_000 + STALL)).toBe('waiting')
    d.up(200, 10_000 + STARTUP)
    expect(d.judge('dc1 -> dc2', false, 10_000 + STARTUP)).toBe('stalled')
  })

  it("counts only heartbeats stamped after the current MM2 started: the replaced MM2's last ones prove nothing", () => {
    const d = new StallDetector(STALL, STARTUP)
    d.up(100, 0)
    expect(d.freshSince(100_000)).toBe(100_000 - STALL)
    d.up(200, 100_000) // a new MM2, first seen now
    expect(d.freshSince(101_000)).toBe(100_000)
    expect(d.freshSince(100_000 + STALL + 1000)).toBe(100_000 + 1000)
  })

  it('reports how long everything has been up', () => {
    const d = new StallDetector(STALL, STARTUP)
    expect(d.upFor(5000)).toBe(0)
    d.up(1, 1000)
    expect(d.upFor(5000)).toBe(4000)
    d.notUp()
    expect(d.upFor(6000)).toBe(0)
  })
})
