/**
 * Translation across a real MirrorMaker 2: checkpoints written on one cluster, replicated to the
 * other, translated there by timestamp and by MM2's own checkpoints, and back again (failback).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { readMm2Checkpoints } from '../../../src/offsets/checkpoint-reader.js'
import { ensureCheckpointTopic } from '../../../src/offsets/checkpoint-topic.js'
import { commitTranslatedOffsets } from '../../../src/offsets/commit-offsets.js'
import { translateOffsets } from '../../../src/offsets/translate.js'
import type { TranslateOffsetsRequest, TranslationResult } from '../../../src/offsets/translation-types.js'
import { bed, createTopic, readRecords, unique, waitFor, waitForRecords, withAdmin, type ReadRecord } from '../helpers.js'
import { clusters, policy, produceTimed, uniqueCheckpointTopic, waitForCheckpoint, writeCheckpoints } from '../offsets/support.js'

const topic = unique('xl')
const replicaTopic = `dc1.${topic}`
const checkpointTopic = uniqueCheckpointTopic()
const failoverGroup = unique('g-fo')
const t0 = Date.now() - 3_600_000
let source: ReadRecord[] = []
let replica: ReadRecord[] = []

async function translate(targetCluster: 'dc1' | 'dc2', request: Partial<TranslateOffsetsRequest>): Promise<TranslationResult> {
  return withAdmin(targetCluster, async (admin) => {
    const result = await translateOffsets({
      targetCluster,
      admin,
      kafka: bed().kafka(targetCluster),
      clusters,
      policy,
      checkpointTopic,
      group: '',
      topics: [],
      ...request,
    })
    console.log(
      `[offsets] translateOffsets onto ${targetCluster}: ${result.durationMs} ms (checkpoint read ${result.readMs} ms) for ${result.partitions.length} partition(s)`,
    )
    return result
  })
}

/** The position of a group that processed source records 0..n-1 on dc1. */
function positionAfter(n: number): { cluster: string; topic: string; partition: number; offset: string; timestamp: number } {
  const last = source[n - 1]!
  return { cluster: 'dc1', topic, partition: 0, offset: String(Number(last.offset) + 1), timestamp: Number(last.timestamp) }
}

async function waitForMm2(group: string, upstreamOffset: string): Promise<string> {
  const entry = await waitFor(
    `MM2 checkpoint of ${group} at ${upstreamOffset}`,
    async () => {
      const entries = await readMm2Checkpoints(bed().kafka('dc2'), ['dc1'], group, 10_000)
      return entries.find((e) => e.topic === replicaTopic && e.partition === 0 && e.upstreamOffset === upstreamOffset)
    },
    90_000,
    1000,
  )
  return entry.offset
}

const byOffset = (a: ReadRecord, b: ReadRecord): number => Number(a.offset) - Number(b.offset)

describe('translateOffsets across MirrorMaker 2', () => {
  beforeAll(async () => {
    await createTopic('dc1', topic, 1)
    await Promise.all(clusters.map((c) => withAdmin(c, (admin) => ensureCheckpointTopic(admin, checkpointTopic))))
    // MM2 translates a group's offset only from an offset sync at or below it, keeps few old syncs
    // and, when its checkpoint task restarts without its checkpoints, only the newest: the failover
    // group commits 30 while 30 is the end of the topic, and MM2's checkpoint of it comes first.
    await produceTimed('dc1', topic, 30, t0)
    await waitForRecords('dc2', replicaTopic, 30, 90_000)
    await withAdmin('dc1', (admin) => admin.setOffsets({ groupId: failoverGroup, topic, partitions: [{ partition: 0, offset: '30' }] }))
    await waitForMm2(failoverGroup, '30')
    await produceTimed('dc1', topic, 70, t0 + 30 * 10)
    await waitForRecords('dc2', replicaTopic, 100, 90_000)
    source = (await readRecords('dc1', topic, 100)).sort(byOffset)
    replica = (await readRecords('dc2', replicaTopic, 100)).sort(byOffset)
    expect(new Set(source.map((r) => r.timestamp)).size).toBe(100) // distinct timestamps: exact expectations below
  })

  it("failover dc1 -> dc2: the timestamp translation lands on the last processed record, above MM2's lower bound", async () => {
    const group = failoverGroup
    // The group's Kafka commit (30, made in beforeAll) lags its checkpoints: MM2 only knows 30.
    await writeCheckpoints(
      'dc1',
      checkpointTopic,
      group,
      Array.from({ length: 60 }, (_, i) => positionAfter(i + 1)),
    )
    await waitForCheckpoint('dc2', [`dc1.${checkpointTopic}`], group, (c) => c.offset === '60')
    const mm2Offset = await waitForMm2(group, '30')

    const result = await translate('dc2', { group, topics: [replicaTopic] })
    const lastProcessed = replica.find((r) => r.timestamp === source[59]!.timestamp)!
    const nextUnprocessed = replica.find((r) => r.timestamp === source[60]!.timestamp)!
    expect(result).toMatchObject({ group, targetCluster: 'dc2', refused: [], unmapped: [], missing: [], missingTopics: [] })
    expect(result.partitions).toHaveLength(1)
    const [p] = result.partitions
    expect(p).toMatchObject({ topic: replicaTopic, partition: 0, method: 'timestamp', offset: lastProcessed.offset })
    expect(p!.checkpoint).toMatchObject({
      group,
      cluster: 'dc1',
      topic,
      partition: 0,
      offset: '60',
      timestamp: Number(source[59]!.timestamp),
    })
    // Never skips: at or before the next unprocessed record; with distinct timestamps exactly one
    // duplicate (the last processed record itself).
    expect(BigInt(p!.offset)).toBe(BigInt(nextUnprocessed.offset) - 1n)
    // MM2's bound is there too, lower (it only knew offset 30): the max rule picked the timestamp.
    expect(p!.candidates).toEqual({ timestamp: lastProcessed.offset, mm2: mm2Offset })
    expect(BigInt(mm2Offset)).toBeLessThanOrEqual(30n)

    await withAdmin('dc2', async (admin) => {
      const committed = await commitTranslatedOffsets(admin, result, { kafka: bed().kafka('dc2') })
      console.log(`[offsets] commitTranslatedOffsets (single join): ${committed.durationMs} ms`)
      const offsets = await admin.fetchOffsets({ groupId: group, topics: [replicaTopic] })
      expect(offsets[0]!.partitions).toEqual([{ partition: 0, offset: lastProcessed.offset, metadata: null }])
    })
  })

  it("takes MM2's bound when it is the higher one (the checkpoint is behind the committed offset)", async () => {
    const group = unique('g-mm2')
    await withAdmin('dc1', (admin) => admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '100' }] }))
    await writeCheckpoints('dc1', checkpointTopic, group, [positionAfter(10)])
    await waitForCheckpoint('dc2', [`dc1.${checkpointTopic}`], group, (c) => c.offset === '10')
    const mm2Offset = await waitForMm2(group, '100')

    const [p] = (await translate('dc2', { group, topics: [replicaTopic] })).partitions
    const timestampBound = replica.find((r) => r.timestamp === source[9]!.timestamp)!.offset
    expect(p!.candidates).toEqual({ timestamp: timestampBound, mm2: mm2Offset })
    expect(BigInt(mm2Offset)).toBeGreaterThan(BigInt(timestampBound))
    expect(p).toMatchObject({ method: 'mm2', offset: mm2Offset })
    expect(BigInt(p!.offset)).toBeLessThanOrEqual(100n)

    // With MM2 disabled, the timestamp bound alone.
    const [alone] = (await translate('dc2', { group, topics: [replicaTopic], translators: ['timestamp'] })).partitions
    expect(alone).toMatchObject({ method: 'timestamp', offset: timestampBound, candidates: { timestamp: timestampBound } })
  })

  it('failback dc2 -> dc1: a dc2 checkpoint of dc1.<topic> translates to <topic> on dc1; a newer native checkpoint is used as is', async () => {
    const group = unique('g-fb')
    await writeCheckpoints('dc1', checkpointTopic, group, [positionAfter(20)]) // old position on dc1
    await new Promise((resolve) => setTimeout(resolve, 20))
    const processedOnDc2 = replica[80]!
    await writeCheckpoints('dc2', checkpointTopic, group, [
      {
        cluster: 'dc2',
        topic: replicaTopic,
        partition: 0,
        offset: String(Number(processedOnDc2.offset) + 1),
        timestamp: Number(processedOnDc2.timestamp),
      },
    ])
    await waitForCheckpoint('dc1', [`dc2.${checkpointTopic}`], group, (c) => c.cluster === 'dc2')

    const back = await translate('dc1', { group, topics: [topic] })
    const expected = source.find((r) => r.timestamp === processedOnDc2.timestamp)!.offset
    expect(back.partitions).toHaveLength(1)
    expect(back.partitions[0]).toMatchObject({
      topic,
      partition: 0,
      method: 'timestamp',
      offset: expected,
      checkpoint: { cluster: 'dc2', topic: replicaTopic },
    })
    expect(back.checkpointsRead).toBe(2) // the old native one and the replicated dc2 one

    await new Promise((resolve) => setTimeout(resolve, 20))
    await writeCheckpoints('dc1', checkpointTopic, group, [positionAfter(90)])
    const native = await translate('dc1', { group, topics: [topic] })
    expect(native.partitions[0]).toMatchObject({ topic, partition: 0, method: 'native', offset: '90', candidates: {} })
  })
})
