/**
 * The hazards of translation on real brokers: a replica with LogAppendTime, partitions without a
 * checkpoint, partition counts that differ, and committing to a group that is not empty.
 */
import kafkajs from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { GroupNotEmptyError, MissingCheckpointError, TranslationRefusedError } from '../../../src/errors/index.js'
import { readMm2Checkpoints } from '../../../src/offsets/checkpoint-reader.js'
import { commitTranslatedOffsets } from '../../../src/offsets/commit-offsets.js'
import { translateOffsets } from '../../../src/offsets/translate.js'
import type { TranslateOffsetsRequest, TranslationResult } from '../../../src/offsets/translation-types.js'
import { bed, createTopic, readRecords, unique, waitFor, waitForRecords, withAdmin } from '../helpers.js'
import { clusters, policy, produceTimed, uniqueCheckpointTopic, writeCheckpoints } from './support.js'

async function translateOnDc2(request: Partial<TranslateOffsetsRequest> & { group: string; topics: string[] }): Promise<TranslationResult> {
  return withAdmin('dc2', (admin) =>
    translateOffsets({ targetCluster: 'dc2', admin, kafka: bed().kafka('dc2'), clusters, policy, ...request }),
  )
}

describe('translation hazards', () => {
  it('refuses timestamp translation onto a LogAppendTime replica and falls back to MM2', async () => {
    const topic = unique('lat')
    const replicaTopic = `dc1.${topic}`
    const group = unique('g-lat')
    const checkpointTopic = uniqueCheckpointTopic()
    // The replica exists before MM2 creates it, with LogAppendTime; MM2 replicates into it and
    // does not sync message.timestamp.type.
    await createTopic('dc2', replicaTopic, 1, [{ name: 'message.timestamp.type', value: 'LogAppendTime' }])
    await createTopic('dc1', topic, 1)
    const timestamps = await produceTimed('dc1', topic, 20, Date.now() - 3_600_000)
    await waitForRecords('dc2', replicaTopic, 20, 90_000)
    const replica = await readRecords('dc2', replicaTopic, 20)
    // The hazard itself: the replica's timestamps are not the records' CreateTime.
    expect(replica.some((r) => timestamps.includes(Number(r.timestamp)))).toBe(false)
    const type = await withAdmin(
      'dc2',
      async (admin) =>
        (
          await admin.describeConfigs({
            includeSynonyms: false,
            resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: replicaTopic, configNames: ['message.timestamp.type'] }],
          })
        ).resources[0]!.configEntries[0]!.configValue,
    )
    expect(type).toBe('LogAppendTime')

    await withAdmin('dc1', (admin) => admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '15' }] }))
    // Written straight to dc2's own checkpoint topic ("write to all clusters"): no wait for MM2.
    await writeCheckpoints('dc2', checkpointTopic, group, [
      { cluster: 'dc1', topic, partition: 0, offset: '15', timestamp: timestamps[14]! },
    ])
    const mm2 = await waitFor(
      'MM2 checkpoint',
      async () => (await readMm2Checkpoints(bed().kafka('dc2'), ['dc1'], group, 10_000)).find((e) => e.upstreamOffset === '15'),
      90_000,
      1000,
    )

    const result = await translateOnDc2({ group, topics: [replicaTopic], checkpointTopic })
    expect(result.refused).toHaveLength(1)
    expect(result.refused[0]).toMatchObject({ topic: replicaTopic, partition: 0, translator: 'timestamp' })
    expect(result.refused[0]!.error).toBeInstanceOf(TranslationRefusedError)
    expect(result.refused[0]!.error).toMatchObject({ code: 'ERR_TRANSLATION_REFUSED', cluster: 'dc2', topic: replicaTopic })
    expect(result.partitions).toEqual([
      expect.objectContaining({ topic: replicaTopic, partition: 0, method: 'mm2', offset: mm2.offset, candidates: { mm2: mm2.offset } }),
    ])
    expect(BigInt(mm2.offset)).toBeLessThanOrEqual(15n)

    // Timestamp alone: nothing usable, so the missing-checkpoint policy decides, visibly.
    const alone = await translateOnDc2({ group, topics: [replicaTopic], checkpointTopic, translators: ['timestamp'] })
    expect(alone.partitions).toEqual([expect.objectContaining({ method: 'earliest', offset: '0' })])
    expect(alone.missing).toEqual([
      expect.objectContaining({ topic: replicaTopic, partition: 0, reason: 'untranslatable', resolvedTo: 'earliest' }),
    ])
    await expect(
      translateOnDc2({ group, topics: [replicaTopic], checkpointTopic, translators: ['timestamp'], onMissingCheckpoint: 'error' }),
    ).rejects.toBeInstanceOf(MissingCheckpointError)

    // Identity (for offset-preserving replicators) gives the checkpoint's offset unchanged; here it
    // is the larger bound, so it wins the max (and would be wrong with MM2: opt-in only).
    const identity = await translateOnDc2({ group, topics: [replicaTopic], checkpointTopic, translators: ['timestamp', 'mm2', 'identity'] })
    expect(identity.partitions).toEqual([
      expect.objectContaining({
        method: BigInt(mm2.offset) < 15n ? 'identity' : 'mm2',
        offset: '15',
        candidates: { mm2: mm2.offset, identity: '15' },
      }),
    ])
  })

  it('applies onMissingCheckpoint: earliest, latest or error', async () => {
    const topic = unique('miss')
    const group = unique('g-miss')
    await createTopic('dc2', topic, 2)
    await produceTimed('dc2', topic, 10, Date.now() - 60_000, 1, 0)
    await produceTimed('dc2', topic, 6, Date.now() - 60_000, 1, 1)
    await withAdmin('dc2', async (admin) => {
      // kafkajs's deleteTopicRecords needs the topic's metadata loaded first (KafkaJSTopicMetadataNotLoaded).
      await admin.fetchTopicMetadata({ topics: [topic] })
      await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '4' }] })
    })
    const checkpointTopic = uniqueCheckpointTopic() // never created: reading skips it

    const earliest = await translateOnDc2({ group, topics: [topic], checkpointTopic })
    expect(earliest.partitions.map((p) => [p.partition, p.offset, p.method])).toEqual([
      [0, '4', 'earliest'],
      [1, '0', 'earliest'],
    ])
    expect(earliest.missing.map((m) => [m.partition, m.reason, m.resolvedTo])).toEqual([
      [0, 'no-checkpoint', 'earliest'],
      [1, 'no-checkpoint', 'earliest'],
    ])
    const latest = await translateOnDc2({ group, topics: [topic], checkpointTopic, onMissingCheckpoint: 'latest' })
    expect(latest.partitions.map((p) => [p.partition, p.offset, p.method])).toEqual([
      [0, '10', 'latest'],
      [1, '6', 'latest'],
    ])
    const error = await translateOnDc2({ group, topics: [topic], checkpointTopic, onMissingCheckpoint: 'error' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MissingCheckpointError)
    expect((error as Error).message).toContain(`${topic}[0], ${topic}[1]`)

    const absent = await translateOnDc2({ group, topics: [`no-such-${topic}`], checkpointTopic })
    expect(absent).toMatchObject({ partitions: [], missingTopics: [`no-such-${topic}`] })
  })

  it('reports a checkpoint for a partition the target topic lacks as unmapped', async () => {
    const logical = unique('parts')
    const replicaTopic = `dc1.${logical}` // only on dc2, with 2 partitions; dc1 had 3
    const group = unique('g-parts')
    const checkpointTopic = uniqueCheckpointTopic()
    await createTopic('dc2', replicaTopic, 2)
    const timestamps = await produceTimed('dc2', replicaTopic, 10, Date.now() - 60_000, 10, 0)
    await produceTimed('dc2', replicaTopic, 10, Date.now() - 60_000, 10, 1)
    await writeCheckpoints('dc2', checkpointTopic, group, [
      { cluster: 'dc1', topic: logical, partition: 0, offset: '999', timestamp: timestamps[4]! },
      // Processed a record not replicated yet: no record at or after it, kafkajs answers the high watermark.
      { cluster: 'dc1', topic: logical, partition: 1, offset: '999', timestamp: Date.now() },
      { cluster: 'dc1', topic: logical, partition: 2, offset: '7', timestamp: timestamps[6]! },
    ])
    const result = await translateOnDc2({ group, topics: [replicaTopic], checkpointTopic })
    expect(result.partitions.map((p) => [p.partition, p.offset, p.method])).toEqual([
      [0, '4', 'timestamp'],
      [1, '10', 'timestamp'],
    ])
    expect(result.unmapped).toEqual([
      {
        checkpoint: expect.objectContaining({ cluster: 'dc1', topic: logical, partition: 2, offset: '7' }),
        targetTopic: replicaTopic,
        reason: 'partition-missing',
      },
    ])
  })

  for (const path of ['single join (kafka given)', 'admin.setOffsets per topic'] as const) {
    it(`commits translated offsets (${path}) and refuses a group with running members`, async () => {
      const topics = [unique('commit-a'), unique('commit-b')]
      const group = unique('g-commit')
      for (const topic of topics) {
        await createTopic('dc2', topic, 2)
        await produceTimed('dc2', topic, 5, Date.now() - 60_000, 1, 1)
      }
      const kafka = path === 'single join (kafka given)' ? bed().kafka('dc2') : undefined
      const result = await translateOnDc2({ group, topics, onMissingCheckpoint: 'latest', checkpointTopic: uniqueCheckpointTopic() })
      await withAdmin('dc2', async (admin) => {
        const committed = await commitTranslatedOffsets(admin, result, { kafka })
        console.log(`[offsets] commitTranslatedOffsets, ${path}, 2 topics: ${committed.durationMs} ms`)
        expect(committed).toMatchObject({ topics, partitions: 4 })
        const offsets = await admin.fetchOffsets({ groupId: group, topics })
        expect(offsets.map((t) => [t.topic, t.partitions.map((p) => p.offset).sort()])).toEqual(topics.map((t) => [t, ['0', '5']]))
      })

      const member = bed().kafka('dc2').consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 500 })
      await member.connect()
      try {
        await member.subscribe({ topics })
        await member.run({ eachMessage: async () => {} })
        await withAdmin('dc2', async (admin) => {
          await waitFor('group to be Stable', async () => (await admin.describeGroups([group])).groups[0]!.state === 'Stable', 30_000)
          const error = await commitTranslatedOffsets(admin, result, { kafka }).catch((e: unknown) => e)
          expect(error).toBeInstanceOf(GroupNotEmptyError)
          expect(error).toMatchObject({ code: 'ERR_GROUP_NOT_EMPTY', retriable: true, group, cluster: 'dc2', committedTopics: [] })
        })
      } finally {
        await member.disconnect()
      }
    })
  }
})
