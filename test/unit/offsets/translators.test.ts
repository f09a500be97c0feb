import type { Admin } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { TranslationRefusedError } from '../../../src/errors/index.js'
import type { Checkpoint } from '../../../src/offsets/checkpoint-codec.js'
import { Mm2Lookup, TimestampTranslator } from '../../../src/offsets/translators.js'

/** An admin whose topics have a timestamp type and records at fixed timestamps (offset i has timestamp ts[i]). */
function fakeAdmin(topics: Record<string, { type: string, partitions: number[][] }>) {
  const calls = { describeConfigs: 0, lookups: [] as Array<[string, number]> }
  const admin = {
    async describeConfigs({ resources }: { resources: Array<{ name: string }> }) {
      calls.describeConfigs++
      return { resources: resources.map((r) => ({ resourceName: r.name, configEntries: [{ configName: 'message.timestamp.type', configValue: topics[r.name]!.type }] })) }
    },
    async fetchTopicOffsetsByTimestamp(topic: string, timestamp: number) {
      calls.lookups.push([topic, timestamp])
      return topics[topic]!.partitions.map((ts, partition) => {
        const at = ts.findIndex((t) => t >= timestamp)
        return { partition, offset: String(at === -1 ? ts.length : at) } // kafkajs: none -> high watermark
      })
    },
  }
  return { admin: admin as unknown as Admin, calls }
}

const cp = (over: Partial<Checkpoint>): Checkpoint => ({ group: 'g', cluster: 'dc1', topic: 'orders', partition: 0, offset: '3', timestamp: 120, writtenAt: 1, ...over })

describe('TimestampTranslator', () => {
  const topics = {
    'dc1.orders': { type: 'CreateTime', partitions: [[100, 110, 120, 130], [100, 200]] },
    'dc1.appended': { type: 'LogAppendTime', partitions: [[5, 6, 7]] },
  }

  it('finds the first offset whose timestamp is at least the last processed record\'s', async () => {
    const { admin } = fakeAdmin(topics)
    const t = new TimestampTranslator(admin, 'dc2', 0)
    expect(await t.translate('dc1.orders', cp({ timestamp: 120 }))).toBe('2')
    expect(await t.translate('dc1.orders', cp({ timestamp: 121 }))).toBe('3')
    expect(await t.translate('dc1.orders', cp({ timestamp: 999 }))).toBe('4') // not replicated yet: the end
    expect(await t.translate('dc1.orders', cp({ partition: 1, timestamp: 150 }))).toBe('1')
  })

  it('rewinds by the safety margin but never asks for a negative timestamp', async () => {
    const { admin, calls } = fakeAdmin(topics)
    const t = new TimestampTranslator(admin, 'dc2', 15)
    expect(await t.translate('dc1.orders', cp({ timestamp: 125 }))).toBe('1')
    expect(await t.translate('dc1.orders', cp({ timestamp: 3 }))).toBe('0')
    expect(calls.lookups).toEqual([['dc1.orders', 110], ['dc1.orders', 0]])
  })

  it('refuses LogAppendTime topics with a typed error', async () => {
    const { admin, calls } = fakeAdmin(topics)
    const t = new TimestampTranslator(admin, 'dc2', 0)
    const refused = await t.translate('dc1.appended', cp({ timestamp: 6 }))
    expect(refused).toBeInstanceOf(TranslationRefusedError)
    expect(refused).toMatchObject({ code: 'ERR_TRANSLATION_REFUSED', cluster: 'dc2', topic: 'dc1.appended', partition: 0, group: 'g' })
    expect(calls.lookups).toEqual([])
  })

  it('gives nothing for a checkpoint without a timestamp', async () => {
    const { admin } = fakeAdmin(topics)
    expect(await new TimestampTranslator(admin, 'dc2', 0).translate('dc1.orders', cp({ timestamp: -1 }))).toBeUndefined()
  })

  it('describes every topic once and looks each (topic, timestamp) up once', async () => {
    const { admin, calls } = fakeAdmin(topics)
    const t = new TimestampTranslator(admin, 'dc2', 0)
    await t.prepare(['dc1.orders', 'dc1.appended'])
    await Promise.all([t.translate('dc1.orders', cp({ partition: 0 })), t.translate('dc1.orders', cp({ partition: 1 })), t.translate('dc1.appended', cp({}))])
    expect(calls.describeConfigs).toBe(1)
    expect(calls.lookups).toEqual([['dc1.orders', 120]])
  })
})

describe('Mm2Lookup', () => {
  it('finds MM2\'s checkpoint by source cluster, group, target topic and partition', () => {
    const entry = { group: 'g', topic: 'dc1.orders', partition: 0, upstreamOffset: '60', offset: '57', metadata: '', sourceCluster: 'dc1' }
    const lookup = new Mm2Lookup([entry, { ...entry, group: 'other', offset: '99' }, { ...entry, sourceCluster: 'dc3', offset: '98' }], 'g')
    expect(lookup.translate('dc1', 'dc1.orders', 0)).toBe('57')
    expect(lookup.translate('dc1', 'dc1.orders', 1)).toBeUndefined()
    expect(lookup.translate('dc2', 'dc1.orders', 0)).toBeUndefined()
  })
})
