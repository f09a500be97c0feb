import { describe, expect, it } from 'vitest'
import { SplitWatch, type GroupSplit, type SplitObservation } from '../../../src/consumer/group-split.js'

const FRESH = 5000
const YIELD = 20_000
const ORDER = ['dc1', 'dc2', 'dc3']

function watch(options: { yieldAfterMs?: number | undefined; down?: string[] } = {}) {
  const splits: GroupSplit[] = []
  const ended: Array<{ durationMs: number; cluster: string | undefined }> = []
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

/** A checkpoint's writer: on `deliveringOn`, where its discovery chose `chose` (an anchor when they agree). */
const writer = (instance: string, deliveringOn: string, writtenAt: number, chose = deliveringOn) => ({
  instance,
  deliveringOn,
  chose,
  writtenAt,
})
const at = (now: number, o: Partial<SplitObservation>): SplitObservation => ({
  now,
  delivering: 'dc1',
  chosen: 'dc1',
  following: undefined,
  writers: [],
  ...o,
})
const following = { delivering: 'dc2', chosen: 'dc1', following: 'dc2' }

describe('SplitWatch: seeing a split', () => {
  it('sees none while every other instance delivers where this one does, and ignores its own and stale checkpoints', () => {
    const { w, splits } = watch()
    expect(
      w.tick(at(10_000, { writers: [writer('a', 'dc1', 9_500), writer('me', 'dc2', 9_900), writer('b', 'dc2', 4_000)] })),
    ).toBeUndefined()
    expect(w.current).toBeUndefined()
    expect(splits).toEqual([])
  })

  it('reports a split once, with how many instances are elsewhere', () => {
    const { w, splits } = watch()
    const others = (now: number) => [writer('a', 'dc2', now - 500), writer('b', 'dc2', now - 800), writer('c', 'dc1', now - 100)]
    w.tick(at(10_000, { writers: others(10_000) }))
    w.tick(at(11_000, { writers: others(11_000) }))
    expect(splits).toEqual([{ since: 10_000, cluster: 'dc1', elsewhere: { dc2: 2 }, yieldsAt: 30_000 }])
    expect(w.othersDeliverOn).toEqual(['dc2', 'dc1'])
  })

  it('places each instance where its newest checkpoint says, and ends the split with how long it lasted', () => {
    const { w, ended } = watch()
    w.tick(at(10_000, { writers: [writer('a', 'dc2', 9_900), writer('b', 'dc2', 9_900)] }))
    // a moved to dc1: its checkpoints from dc2 are still fresh, but its newest is from dc1.
    w.tick(at(12_000, { writers: [writer('a', 'dc2', 10_500), writer('a', 'dc1', 11_900), writer('b', 'dc2', 11_900)] }))
    expect(w.current?.elsewhere).toEqual({ dc2: 1 })
    expect(ended).toEqual([])
    w.tick(
      at(13_000, {
        writers: [writer('a', 'dc2', 10_500), writer('a', 'dc1', 12_900), writer('b', 'dc2', 11_900), writer('b', 'dc1', 12_950)],
      }),
    )
    expect(ended).toEqual([{ durationMs: 3_000, cluster: 'dc1' }])
    expect(w.current).toBeUndefined()
  })

  it('looks at nothing while this instance is between clusters; a move ends the split seen from the old cluster and reports the one from the new', () => {
    const { w, splits, ended } = watch()
    w.tick(at(10_000, { writers: [writer('a', 'dc2', 9_900)] }))
    expect(w.tick(at(11_000, { delivering: undefined, writers: [writer('a', 'dc2', 10_900)] }))).toBeUndefined()
    expect(w.current?.since).toBe(10_000)
    w.tick(at(12_000, { delivering: 'dc3', chosen: 'dc3', writers: [writer('a', 'dc2', 11_900)] }))
    expect(splits.map((s) => [s.cluster, s.since])).toEqual([
      ['dc1', 10_000],
      ['dc3', 12_000],
    ])
    expect(ended).toEqual([{ durationMs: 2_000, cluster: 'dc3' }])
  })

  it('clear() (the consumer stopped) ends an open split with no cluster and forgets it', () => {
    const { w, ended } = watch()
    w.tick(at(10_000, { writers: [writer('a', 'dc2', 9_900)] }))
    w.clear(12_000)
    expect(ended).toEqual([{ durationMs: 2_000, cluster: undefined }])
    expect(w.current).toBeUndefined()
    expect(w.othersDeliverOn).toEqual([])
  })
})

describe('SplitWatch: bounding a split', () => {
  it('on the preferred side, joins the others after yieldAfterMs', () => {
    const { w } = watch()
    const others = (now: number) => [writer('a', 'dc2', now - 500)]
    w.tick(at(10_000, { writers: others(10_000) }))
    expect(w.tick(at(29_999, { writers: others(29_999) }))).toBeUndefined()
    expect(w.tick(at(30_000, { writers: others(30_000) }))).toEqual({ follow: 'dc2' })
  })

  it('joins the least preferred cluster anchors deliver on, and only one that is up', () => {
    const writers = (t: number) => [writer('a', 'dc2', t), writer('b', 'dc3', t)]
    const { w } = watch()
    w.tick(at(10_000, { writers: writers(9_900) }))
    expect(w.tick(at(30_000, { writers: writers(29_900) }))).toEqual({ follow: 'dc3' })
    const down = watch({ down: ['dc3'] })
    down.w.tick(at(10_000, { writers: writers(9_900) }))
    expect(down.w.tick(at(30_000, { writers: writers(29_900) }))).toEqual({ follow: 'dc2' })
  })

  it('never yields on the less preferred side, with yielding off, or to instances that only follow (no anchor there)', () => {
    const lessPreferred = watch()
    lessPreferred.w.tick(at(10_000, { delivering: 'dc2', chosen: 'dc2', writers: [writer('a', 'dc1', 9_900)] }))
    expect(lessPreferred.splits[0]).toMatchObject({ cluster: 'dc2', elsewhere: { dc1: 1 }, yieldsAt: undefined })
    expect(lessPreferred.w.tick(at(60_000, { delivering: 'dc2', chosen: 'dc2', writers: [writer('a', 'dc1', 59_900)] }))).toBeUndefined()

    const off = watch({ yieldAfterMs: undefined })
    off.w.tick(at(10_000, { writers: [writer('a', 'dc2', 9_900)] }))
    expect(off.splits[0]!.yieldsAt).toBeUndefined()
    expect(off.w.tick(at(60_000, { writers: [writer('a', 'dc2', 59_900)] }))).toBeUndefined()

    // b delivers on dc2 but its discovery chose dc1 (it follows, or is on its way here).
    const noAnchor = watch()
    noAnchor.w.tick(at(10_000, { writers: [writer('b', 'dc2', 9_900, 'dc1')] }))
    expect(noAnchor.splits[0]).toMatchObject({ elsewhere: { dc2: 1 }, yieldsAt: undefined })
    expect(noAnchor.w.tick(at(60_000, { writers: [writer('b', 'dc2', 59_900, 'dc1')] }))).toBeUndefined()
  })
})

describe('SplitWatch: coming back after following the group', () => {
  it('stays while an anchor is where it went, whatever others on the chosen cluster do (no calling back and forth)', () => {
    const { w } = watch()
    // y is anchored on dc2 (cannot reach dc1); x, on dc1 and anchored there, has not given way yet.
    for (const now of [31_000, 40_000, 60_000, 90_000]) {
      expect(w.tick(at(now, { ...following, writers: [writer('y', 'dc2', now - 100), writer('x', 'dc1', now - 100)] }))).toBeUndefined()
    }
  })

  it('comes back when the anchors are gone, even with other followers beside it (they do not hold one another)', () => {
    const { w } = watch()
    const f2 = (t: number) => writer('f2', 'dc2', t, 'dc1')
    expect(w.tick(at(30_000, { ...following, writers: [writer('y', 'dc2', 29_900), f2(29_900)] }))).toBeUndefined()
    // y stopped at 31 s: its checkpoints age out; f2 (following too) goes on writing from dc2.
    expect(w.tick(at(35_000, { ...following, writers: [writer('y', 'dc2', 31_000), f2(34_900)] }))).toBeUndefined()
    expect(w.tick(at(36_001, { ...following, writers: [writer('y', 'dc2', 31_000), f2(35_900)] }))).toEqual({ unfollow: true })
  })

  it('comes back when the anchor moved to the chosen cluster, once the follow is freshMs old', () => {
    const { w } = watch()
    w.tick(at(30_000, { ...following, writers: [writer('y', 'dc2', 29_900)] }))
    expect(w.tick(at(33_000, { ...following, writers: [writer('y', 'dc2', 31_000), writer('y', 'dc1', 32_900)] }))).toBeUndefined()
    expect(w.tick(at(35_000, { ...following, writers: [writer('y', 'dc2', 31_000), writer('y', 'dc1', 34_900)] }))).toEqual({
      unfollow: true,
    })
  })

  it('gives a follow it did not decide (a start bridged to where its group delivers) the same freshness period', () => {
    const { w } = watch()
    expect(w.tick(at(50_000, { ...following, writers: [writer('a', 'dc2', 46_000)] }))).toBeUndefined()
    expect(w.tick(at(53_000, { ...following, writers: [writer('a', 'dc2', 46_000)] }))).toBeUndefined()
    expect(w.tick(at(55_000, { ...following, writers: [writer('a', 'dc2', 46_000)] }))).toEqual({ unfollow: true })
  })

  it('comes back at once when the cluster it followed to goes down', () => {
    const { w } = watch({ down: ['dc2'] })
    expect(w.tick(at(31_000, { ...following, writers: [writer('y', 'dc2', 30_900)] }))).toEqual({ unfollow: true })
  })

  it('forgetFollow() (discovery chose anew) starts the freshness period over at the next follow', () => {
    const { w } = watch()
    w.tick(at(10_000, { ...following, writers: [writer('a', 'dc2', 9_900)] }))
    w.forgetFollow()
    w.tick(at(20_000, { delivering: 'dc2', chosen: 'dc2', writers: [] }))
    expect(w.tick(at(22_000, { ...following, writers: [] }))).toBeUndefined()
    expect(w.tick(at(27_000, { ...following, writers: [] }))).toEqual({ unfollow: true })
  })
})
