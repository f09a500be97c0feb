import { describe, expect, it } from 'vitest'
import { SplitWatch, type GroupSplit, type SplitObservation } from '../../../src/consumer/group-split.js'

const FRESH = 5000
const YIELD = 20_000
const ORDER = ['dc1', 'dc2', 'dc3']

function watch(options: { yieldAfterMs?: number | undefined, down?: string[] } = {}) {
  const splits: GroupSplit[] = []
  const ended: Array<{ durationMs: number, cluster: string }> = []
  const w = new SplitWatch({
    instance: 'me',
    yieldAfterMs: 'yieldAfterMs' in options ? options.yieldAfterMs : YIELD,
    freshMs: FRESH,
    rank: (c) => ORDER.indexOf(c),
    isUp: (c) => !(options.down ?? []).includes(c),
    onSplit: (s) => splits.push(s),
    onSplitEnded: (s, now, cluster) => ended.push({ durationMs: now - s.since, cluster }),
  })
  return { w, splits, ended }
}

const writer = (instance: string, deliveringOn: string, writtenAt: number) => ({ instance, deliveringOn, writtenAt })
const at = (now: number, o: Partial<SplitObservation>): SplitObservation => ({ now, delivering: 'dc1', chosen: 'dc1', following: undefined, writers: [], ...o })

describe('SplitWatch', () => {
  it('sees no split while every other instance delivers where this one does, and ignores its own and stale checkpoints', () => {
    const { w, splits } = watch()
    expect(w.tick(at(10_000, { writers: [writer('a', 'dc1', 9_500), writer('me', 'dc2', 9_900), writer('b', 'dc2', 4_000)] }))).toBeUndefined()
    expect(w.current).toBeUndefined()
    expect(splits).toEqual([])
  })

  it('reports a split once, with the instances elsewhere, and on the preferred side joins them after yieldAfterMs', () => {
    const { w, splits } = watch()
    const others = (now: number) => [writer('a', 'dc2', now - 500), writer('b', 'dc2', now - 800), writer('c', 'dc1', now - 100)]
    expect(w.tick(at(10_000, { writers: others(10_000) }))).toBeUndefined()
    expect(splits).toEqual([{ since: 10_000, cluster: 'dc1', elsewhere: { dc2: 2 }, yieldsAt: 30_000 }])
    expect(w.tick(at(29_999, { writers: others(29_999) }))).toBeUndefined()
    expect(w.tick(at(30_000, { writers: others(30_000) }))).toEqual({ follow: 'dc2' })
    expect(splits).toHaveLength(1)
  })

  it('joins the least preferred cluster others deliver on, and only one that is up', () => {
    const { w } = watch()
    const writers = [writer('a', 'dc2', 9_900), writer('b', 'dc3', 9_900)]
    w.tick(at(10_000, { writers }))
    expect(w.tick(at(30_000, { writers: writers.map((x) => ({ ...x, writtenAt: 29_900 })) }))).toEqual({ follow: 'dc3' })
    const down = watch({ down: ['dc3'] })
    down.w.tick(at(10_000, { writers }))
    expect(down.w.tick(at(30_000, { writers: writers.map((x) => ({ ...x, writtenAt: 29_900 })) }))).toEqual({ follow: 'dc2' })
  })

  it('never yields on the less preferred side, or with yielding off: it only reports', () => {
    const lessPreferred = watch()
    lessPreferred.w.tick(at(10_000, { delivering: 'dc2', chosen: 'dc2', writers: [writer('a', 'dc1', 9_900)] }))
    expect(lessPreferred.splits[0]).toMatchObject({ cluster: 'dc2', elsewhere: { dc1: 1 }, yieldsAt: undefined })
    expect(lessPreferred.w.tick(at(60_000, { delivering: 'dc2', chosen: 'dc2', writers: [writer('a', 'dc1', 59_900)] }))).toBeUndefined()

    const off = watch({ yieldAfterMs: undefined })
    off.w.tick(at(10_000, { writers: [writer('a', 'dc2', 9_900)] }))
    expect(off.splits[0]!.yieldsAt).toBeUndefined()
    expect(off.w.tick(at(60_000, { writers: [writer('a', 'dc2', 59_900)] }))).toBeUndefined()
  })

  it('ends the split when the others deliver here again (an instance is where its newest checkpoint says), with how long it lasted', () => {
    const { w, ended } = watch()
    w.tick(at(10_000, { writers: [writer('a', 'dc2', 9_900), writer('b', 'dc2', 9_900)] }))
    // a moved to dc1: its checkpoints from dc2 are still fresh, but its newest is from dc1.
    w.tick(at(12_000, { writers: [writer('a', 'dc2', 10_500), writer('a', 'dc1', 11_900), writer('b', 'dc2', 11_900)] }))
    expect(w.current?.elsewhere).toEqual({ dc2: 1 })
    expect(ended).toEqual([])
    w.tick(at(13_000, { writers: [writer('a', 'dc2', 10_500), writer('a', 'dc1', 12_900), writer('b', 'dc2', 11_900), writer('b', 'dc1', 12_950)] }))
    expect(ended).toEqual([{ durationMs: 3_000, cluster: 'dc1' }])
    expect(w.current).toBeUndefined()
  })

  it('after joining the others, comes back only when others deliver on the chosen cluster after instances that gave way a moment later are done', () => {
    const { w } = watch()
    w.tick(at(10_000, { writers: [writer('y', 'dc2', 9_900), writer('x2', 'dc1', 9_900)] }))
    expect(w.tick(at(30_000, { writers: [writer('y', 'dc2', 29_900), writer('x2', 'dc1', 29_900)] }))).toEqual({ follow: 'dc2' })
    // x2 gives way 1 s later: its last checkpoints from dc1 do not call this instance back.
    const following = { delivering: 'dc2', chosen: 'dc1', following: 'dc2' }
    expect(w.tick(at(31_500, { ...following, writers: [writer('y', 'dc2', 31_400), writer('x2', 'dc1', 30_900)] }))).toBeUndefined()
    expect(w.tick(at(34_000, { ...following, writers: [writer('y', 'dc2', 33_900), writer('x2', 'dc2', 33_900), writer('x2', 'dc1', 30_900)] }))).toBeUndefined()
    // y (the one that could not reach dc1) delivers there at last: back to dc1.
    expect(w.tick(at(40_000, { ...following, writers: [writer('y', 'dc1', 39_900), writer('x2', 'dc2', 39_900)] }))).toEqual({ unfollow: true })
  })

  it('after joining the others, comes back when nobody else delivers there any more, or that cluster goes down', () => {
    const { w } = watch()
    w.tick(at(10_000, { writers: [writer('y', 'dc2', 9_900)] }))
    expect(w.tick(at(30_000, { writers: [writer('y', 'dc2', 29_900)] }))).toEqual({ follow: 'dc2' })
    const following = { delivering: 'dc2', chosen: 'dc1', following: 'dc2' }
    expect(w.tick(at(33_000, { ...following, writers: [writer('y', 'dc2', 29_900)] }))).toBeUndefined()
    expect(w.tick(at(35_000, { ...following, writers: [writer('y', 'dc2', 29_900)] }))).toEqual({ unfollow: true })

    const down = watch({ down: ['dc2'] })
    expect(down.w.tick(at(31_000, { ...following, writers: [writer('y', 'dc2', 30_900)] }))).toEqual({ unfollow: true })
  })

  it('looks at nothing while this instance is between clusters, and starts a new split on a new cluster', () => {
    const { w, splits, ended } = watch()
    w.tick(at(10_000, { writers: [writer('a', 'dc2', 9_900)] }))
    expect(w.tick(at(11_000, { delivering: undefined, writers: [writer('a', 'dc2', 10_900)] }))).toBeUndefined()
    expect(w.current?.since).toBe(10_000)
    w.tick(at(12_000, { delivering: 'dc3', chosen: 'dc3', writers: [writer('a', 'dc2', 11_900)] }))
    expect(splits.map((s) => [s.cluster, s.since])).toEqual([['dc1', 10_000], ['dc3', 12_000]])
    expect(ended).toEqual([{ durationMs: 2_000, cluster: 'dc3' }])
  })
})

describe('SplitWatch and a follow it did not decide (a start bridged to where the group delivers)', () => {
  it('gives the follow a freshness period before it looks for a reason to come back', () => {
    const { w } = watch()
    const following = { delivering: 'dc2', chosen: 'dc1', following: 'dc2' }
    // The others' last checkpoints from dc2 are 4 s old; nobody delivers on dc1.
    expect(w.tick(at(50_000, { ...following, writers: [writer('a', 'dc2', 46_000)] }))).toBeUndefined()
    expect(w.tick(at(53_000, { ...following, writers: [writer('a', 'dc2', 46_000)] }))).toBeUndefined()
    expect(w.tick(at(55_000, { ...following, writers: [writer('a', 'dc2', 46_000)] }))).toEqual({ unfollow: true })
  })
})
