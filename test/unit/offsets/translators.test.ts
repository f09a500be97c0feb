import type { Admin } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { TranslationRefusedError } from '../../../src/errors/index.js'
import type { Checkpoint } from '../../../src/offsets/checkpoint-codec.js'
import type { TimestampLookup, TimestampQuery } from '../../../src/cluster/offsets-by-timestamp.js'
import { Mm2Lookup, TimestampTranslator } from '../../../src/offsets/translators.js'
import type { TargetPartition } from '../../../src/offsets/translation-plan.js'
import { partitionKey } from '../../../src/util/partition-key.js'

/**
 * A target cluster whose topics have a timestamp type and records at fixed timestamps (offset i
 * has timestamp ts[i]): an admin for the types, and a batched lookup that records each batch.
 */
function fakeTarget(topics: Record<string, { type: string; partitions: number[][] }>) {
  const calls = { describeConfigs: 0, batches: [] as TimestampQuery[][] }
  const admin = {
    async describeConfigs({ resources }: { resources: Array<{ name: string }> }) {
      calls.describeConfigs++
      return {
        resources: resources.map((r) => ({
          resourceName: r.name,
          configEntries: [{ configName: 'message.timestamp.type', configValue: topics[r.name]!.type }],
        })),
      }
    },
  } as unknown as Admin
  const lookup: TimestampLookup = async (queries) => {
    calls.batches.push([...queries])
    return new Map(
      queries.map((q) => {
        const at = topics[q.topic]!.partitions[q.partition]!.findIndex((t) => t >= q.timestamp)
        return [partitionKey(q.topic, q.partition), at === -1 ? undefined : String(at)]
      }),
    )
  }
  return { admin, lookup, calls }
}

const cp = (over: Partial<Checkpoint>): Checkpoint => ({
  group: 'g',
  cluster: 'dc1',
  topic: 'orders',
  partition: 0,
  offset: '3',
  timestamp: 120,
  writtenAt: 1,
  ...over,
})
const target = (topic: string, partition: number, high: string): TargetPartition => ({ topic, partition, low: '0', high })

describe('TimestampTranslator', () => {
  const topics = {
    'dc1.orders': {
      type: 'CreateTime',
      partitions: [
        [100, 110, 120, 130],
        [100, 200],
      ],
    },
    'dc1.appended': { type: 'LogAppendTime', partitions: [[5, 6, 7]] },
  }
  const p0 = target('dc1.orders', 0, '4')
  const p1 = target('dc1.orders', 1, '2')
  const appended = target('dc1.appended', 0, '3')

  /** Each of `cases` translated by a translator prepared with it alone. */
  async function translateEach(margin: number, cases: Array<[TargetPartition, Checkpoint]>) {
    const results: unknown[] = []
    for (const [t, checkpoint] of cases) {
      const { admin, lookup } = fakeTarget(topics)
      const translator = new TimestampTranslator(admin, lookup, 'dc2', margin)
      await translator.prepare([{ target: t, checkpoint }])
      results.push(translator.translate(t, checkpoint))
    }
    return results
  }

  it("finds the first offset whose timestamp is at least the last processed record's; the end where none has arrived yet", async () => {
    expect(
      await translateEach(0, [
        [p0, cp({ timestamp: 120 })],
        [p0, cp({ timestamp: 121 })],
        [p0, cp({ timestamp: 999 })],
        [p1, cp({ partition: 1, timestamp: 150 })],
      ]),
    ).toEqual(['2', '3', '4', '1'])
  })

  it('rewinds by the safety margin but never asks for a negative timestamp', async () => {
    expect(
      await translateEach(15, [
        [p0, cp({ timestamp: 125 })],
        [p0, cp({ timestamp: 3 })],
      ]),
    ).toEqual(['1', '0'])
    const { admin, lookup, calls } = fakeTarget(topics)
    await new TimestampTranslator(admin, lookup, 'dc2', 15).prepare([{ target: p0, checkpoint: cp({ timestamp: 3 }) }])
    expect(calls.batches).toEqual([[{ topic: 'dc1.orders', partition: 0, timestamp: 0 }]])
  })

  it('refuses LogAppendTime topics with a typed error, and looks nothing up there', async () => {
    const { admin, lookup, calls } = fakeTarget(topics)
    const t = new TimestampTranslator(admin, lookup, 'dc2', 0)
    await t.prepare([{ target: appended, checkpoint: cp({ timestamp: 6 }) }])
    const refused = t.translate(appended, cp({ timestamp: 6 }))
    expect(refused).toBeInstanceOf(TranslationRefusedError)
    expect(refused).toMatchObject({ code: 'ERR_TRANSLATION_REFUSED', cluster: 'dc2', topic: 'dc1.appended', partition: 0, group: 'g' })
    expect(calls.batches).toEqual([[]])
  })

  it('gives nothing for a checkpoint without a timestamp', async () => {
    expect(await translateEach(0, [[p0, cp({ timestamp: -1 })]])).toEqual([undefined])
  })

  it('describes every topic in one request and looks every partition up in one batch', async () => {
    const { admin, lookup, calls } = fakeTarget(topics)
    const t = new TimestampTranslator(admin, lookup, 'dc2', 0)
    await t.prepare([
      { target: p0, checkpoint: cp({}) },
      { target: p1, checkpoint: cp({ partition: 1, timestamp: 150 }) },
      { target: appended, checkpoint: cp({}) },
    ])
    expect([t.translate(p0, cp({})), t.translate(p1, cp({ partition: 1, timestamp: 150 }))]).toEqual(['2', '1'])
    expect(calls.describeConfigs).toBe(1)
    expect(calls.batches).toEqual([
      [
        { topic: 'dc1.orders', partition: 0, timestamp: 120 },
        { topic: 'dc1.orders', partition: 1, timestamp: 150 },
      ],
    ])
  })
})

describe('Mm2Lookup', () => {
  it("finds MM2's checkpoint by source cluster, group, target topic and partition", () => {
    const entry = { group: 'g', topic: 'dc1.orders', partition: 0, upstreamOffset: '60', offset: '57', metadata: '', sourceCluster: 'dc1' }
    const lookup = new Mm2Lookup([entry, { ...entry, group: 'other', offset: '99' }, { ...entry, sourceCluster: 'dc3', offset: '98' }], 'g')
    expect(lookup.translate('dc1', 'dc1.orders', 0)).toBe('57')
    expect(lookup.translate('dc1', 'dc1.orders', 1)).toBeUndefined()
    expect(lookup.translate('dc2', 'dc1.orders', 0)).toBeUndefined()
  })
})
