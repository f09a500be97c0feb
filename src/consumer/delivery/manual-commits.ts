/**
 * With `autoCommit: false`, checkpoints follow what the application commits: each commit kafkajs
 * makes for it becomes the partitions' positions.
 *
 * @module
 */
import type { EachBatchPayload, Offsets, TopicOffsets } from 'kafkajs'
import { partitionKey } from '../../util/partition-key.js'
import type { ProcessedPositions } from '../positions.js'

/**
 * The eachBatch payload's `commitOffsetsIfNecessary` with manual commits, noting what kafkajs
 * commits: the given offsets, at once; without them the resolved offsets, but only when
 * `autoCommitInterval` or `autoCommitThreshold` is set and due (kafkajs checks those here, not
 * `autoCommit`), otherwise nothing.
 */
export async function commitIfNecessary(
  positions: ProcessedPositions,
  payload: EachBatchPayload,
  offsets: Offsets | undefined,
  commitsWhenDue: boolean,
): Promise<void> {
  if (offsets) {
    // An object without `topics` makes kafkajs commit the resolved offsets.
    noteCommits(positions, offsets.topics ?? payload.uncommittedOffsets().topics)
    return payload.commitOffsetsIfNecessary(offsets)
  }
  if (!commitsWhenDue) return payload.commitOffsetsIfNecessary()
  // Only kafkajs knows whether its interval or threshold was due: it committed what is no longer uncommitted.
  const before = payload.uncommittedOffsets().topics
  await payload.commitOffsetsIfNecessary()
  const after = new Set(
    payload.uncommittedOffsets().topics.flatMap(({ topic, partitions }) => partitions.map((p) => partitionKey(topic, p.partition))),
  )
  noteCommits(
    positions,
    before.map(({ topic, partitions }) => ({ topic, partitions: partitions.filter((p) => !after.has(partitionKey(topic, p.partition))) })),
  )
}

/** What the application commits becomes the partitions' positions. */
export function noteCommits(positions: ProcessedPositions, topics: readonly TopicOffsets[]): void {
  for (const { topic, partitions } of topics) {
    for (const { partition, offset } of partitions) positions.commit(topic, partition, offset)
  }
}
