import { describe, expect, it } from 'vitest'
import { MissingCheckpointError } from '../../../src/errors/index.js'
import type { Checkpoint } from '../../../src/offsets/checkpoint-codec.js'
import { clampOffset, maxLowerBound, resolveMissing, selectCheckpoints } from '../../../src/offsets/translation-plan.js'
import { DefaultReplicationPolicy } from '../../../src/topology/replication-policy.js'

const policy = new DefaultReplicationPolicy({ clusters: ['dc1', 'dc2'] })
const cp = (over: Partial<Checkpoint>): Checkpoint => ({
  group: 'g',
  cluster: 'dc1',
  topic: 'orders',
  partition: 0,
  offset: '10',
  timestamp: 1000,
  writtenAt: 1,
  ...over,
})
const onTarget = (entries: Record<string, number[] | undefined>): Map<string, Set<number> | undefined> =>
  new Map(Object.entries(entries).map(([t, ps]) => [t, ps === undefined ? undefined : new Set(ps)]))

describe('selectCheckpoints', () => {
  it('maps a dc1 checkpoint to the replica on dc2 and a dc2 checkpoint of a replica back to the origin topic', () => {
    const { selected } = selectCheckpoints(
      [cp({ cluster: 'dc1', topic: 'orders', partition: 0 }), cp({ cluster: 'dc1', topic: 'dc2.orders', partition: 1 })],
      'dc2',
      policy,
      onTarget({ 'dc1.orders': [0], orders: [1] }),
    )
    expect([...selected.values()].map((s) => [s.topic, s.partition, s.native])).toEqual([
      ['dc1.orders', 0, false],
      ['orders', 1, false],
    ])
  })

  it('keeps the newest writtenAt per target partition, whichever cluster wrote it', () => {
    const old = cp({ cluster: 'dc2', topic: 'dc1.orders', offset: '5', writtenAt: 100 }) // native on dc2
    const newer = cp({ cluster: 'dc1', topic: 'orders', offset: '50', writtenAt: 200 })
    const { selected } = selectCheckpoints([newer, old], 'dc2', policy, onTarget({ 'dc1.orders': [0] }))
    expect(selected.size).toBe(1)
    expect([...selected.values()][0]).toMatchObject({ checkpoint: newer, native: false })
    const reversed = selectCheckpoints([old, newer], 'dc2', policy, onTarget({ 'dc1.orders': [0] })).selected
    expect([...reversed.values()][0]!.checkpoint).toBe(newer)
  })

  it('prefers the native checkpoint on a writtenAt tie', () => {
    const remote = cp({ cluster: 'dc1', topic: 'orders', writtenAt: 100 })
    const native = cp({ cluster: 'dc2', topic: 'dc1.orders', writtenAt: 100 })
    for (const order of [
      [remote, native],
      [native, remote],
    ]) {
      const { selected } = selectCheckpoints(order, 'dc2', policy, onTarget({ 'dc1.orders': [0] }))
      expect([...selected.values()][0]).toMatchObject({ checkpoint: native, native: true })
    }
  })

  it('reports checkpoints for partitions or topics the target lacks, and ignores topics not asked for', () => {
    const missingPartition = cp({ partition: 2 })
    const missingTopic = cp({ topic: 'payments' })
    const unknownCluster = cp({ cluster: 'dc9' })
    const notAsked = cp({ topic: 'audit' })
    const { selected, unmapped } = selectCheckpoints(
      [missingPartition, missingTopic, unknownCluster, notAsked, cp({})],
      'dc2',
      policy,
      onTarget({ 'dc1.orders': [0, 1], 'dc1.payments': undefined }),
    )
    expect(selected.size).toBe(1)
    expect(unmapped).toEqual([
      { checkpoint: missingPartition, targetTopic: 'dc1.orders', reason: 'partition-missing' },
      { checkpoint: missingTopic, targetTopic: 'dc1.payments', reason: 'topic-missing' },
      { checkpoint: unknownCluster, reason: 'unknown-cluster' },
    ])
  })
})

describe('maxLowerBound', () => {
  it('takes the largest bound, compared as integers not strings', () => {
    expect(maxLowerBound({ timestamp: '9', mm2: '10' }, ['timestamp', 'mm2'])).toEqual({ offset: 10n, method: 'mm2' })
    expect(maxLowerBound({ timestamp: '59', mm2: '31' }, ['timestamp', 'mm2'])).toEqual({ offset: 59n, method: 'timestamp' })
    expect(maxLowerBound({ timestamp: '9007199254740993', mm2: '9007199254740992' }, ['mm2', 'timestamp'])).toEqual({
      offset: 9007199254740993n,
      method: 'timestamp',
    })
  })

  it('names the first translator in the order on a tie, and ignores disabled or empty ones', () => {
    expect(maxLowerBound({ timestamp: '7', mm2: '7' }, ['mm2', 'timestamp'])).toEqual({ offset: 7n, method: 'mm2' })
    expect(maxLowerBound({ timestamp: '7', identity: '100' }, ['timestamp', 'mm2'])).toEqual({ offset: 7n, method: 'timestamp' })
    expect(maxLowerBound({}, ['timestamp', 'mm2'])).toBeUndefined()
  })
})

describe('clampOffset', () => {
  it('keeps offsets within the watermarks', () => {
    expect(clampOffset(5n, '10', '20')).toBe(10n)
    expect(clampOffset(15n, '10', '20')).toBe(15n)
    expect(clampOffset(25n, '10', '20')).toBe(20n)
  })
})

describe('resolveMissing', () => {
  const target = (partition: number) => ({ topic: 't', partition, low: '3', high: '42' })
  const ctx = { group: 'g', cluster: 'dc2' }

  it('earliest is the low watermark, latest the high watermark', () => {
    const missing = [{ target: target(0), reason: 'no-checkpoint' as const }]
    expect(resolveMissing(missing, 'earliest', ctx)).toEqual([
      { topic: 't', partition: 0, reason: 'no-checkpoint', resolvedTo: 'earliest', offset: '3' },
    ])
    expect(resolveMissing(missing, 'latest', ctx)).toEqual([
      { topic: 't', partition: 0, reason: 'no-checkpoint', resolvedTo: 'latest', offset: '42' },
    ])
  })

  it('error throws MissingCheckpointError listing every partition', () => {
    const missing = [
      { target: target(0), reason: 'no-checkpoint' as const },
      { target: target(1), reason: 'untranslatable' as const, checkpoint: cp({}) },
    ]
    let thrown: unknown
    try {
      resolveMissing(missing, 'error', ctx)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(MissingCheckpointError)
    expect(thrown).toMatchObject({ code: 'ERR_MISSING_CHECKPOINT', group: 'g', cluster: 'dc2' })
    expect((thrown as Error).message).toContain('t[0], t[1] (checkpoint not translatable)')
  })

  it('nothing missing is never an error', () => {
    expect(resolveMissing([], 'error', ctx)).toEqual([])
  })
})
