import type { Admin, Kafka } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { InvalidOptionError, UnknownClusterError } from '../../../src/errors/index.js'
import { translateOffsets } from '../../../src/offsets/translate.js'
import type { TranslateOffsetsRequest } from '../../../src/offsets/translation-types.js'
import { DefaultReplicationPolicy } from '../../../src/topology/replication-policy.js'

describe('translateOffsets request validation', () => {
  const admin = { fetchTopicOffsets() {}, fetchTopicOffsetsByTimestamp() {}, describeConfigs() {}, listTopics() {} } as unknown as Admin
  const kafka = { consumer() {}, admin() {} } as unknown as Kafka
  const valid: TranslateOffsetsRequest = {
    group: 'g',
    targetCluster: 'dc2',
    admin,
    kafka,
    clusters: ['dc1', 'dc2'],
    policy: new DefaultReplicationPolicy({ clusters: ['dc1', 'dc2'] }),
    topics: ['dc1.orders'],
  }

  it('rejects bad requests before any I/O, naming the option', async () => {
    await expect(translateOffsets({ ...valid, targetCluster: 'dc9' })).rejects.toBeInstanceOf(UnknownClusterError)
    await expect(translateOffsets({ ...valid, translators: ['timestamp', 'magic' as 'mm2'] })).rejects.toThrow(/translators\[1\]/)
    await expect(translateOffsets({ ...valid, translators: ['mm2', 'mm2'] })).rejects.toThrow(/without repeats/)
    await expect(translateOffsets({ ...valid, translators: [] })).rejects.toThrow(/translators/)
    await expect(translateOffsets({ ...valid, onMissingCheckpoint: 'skip' as 'latest' })).rejects.toThrow(/onMissingCheckpoint/)
    await expect(translateOffsets({ ...valid, timestampSafetyMarginMs: -1 })).rejects.toThrow(/timestampSafetyMarginMs/)
    await expect(translateOffsets({ ...valid, admin: {} as Admin })).rejects.toThrow(/`admin`/)
    await expect(translateOffsets({ ...valid, topics: 'dc1.orders' as unknown as string[] })).rejects.toBeInstanceOf(InvalidOptionError)
    await expect(translateOffsets({ ...valid, extra: true } as TranslateOffsetsRequest)).rejects.toThrow(/Unknown option `request\.extra`/)
  })
})
