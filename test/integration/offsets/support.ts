/** Helpers shared by the offsets integration tests. */
import { CheckpointWriter, type CheckpointPosition } from '../../../src/offsets/checkpoint-writer.js'
import { ensureCheckpointTopic } from '../../../src/offsets/checkpoint-topic.js'
import { readCheckpoints } from '../../../src/offsets/checkpoint-reader.js'
import type { Checkpoint } from '../../../src/offsets/checkpoint-codec.js'
import { DefaultReplicationPolicy } from '../../../src/topology/replication-policy.js'
import { bed, unique, waitFor, withAdmin } from '../helpers.js'

/** The bed's naming: MM2's default prefix policy. */
export const policy = new DefaultReplicationPolicy({ clusters: ['dc1', 'dc2'] })
export const clusters = ['dc1', 'dc2'] as const

/** A checkpoint topic name of its own per test file (outside MM2's exclusions, so MM2 replicates it). */
export function uniqueCheckpointTopic(): string {
  return `${unique('ckpt')}.checkpoints`
}

/**
 * Produces `count` records to one partition with CreateTime `t0 + i * step` (distinct and
 * increasing), in one batch so they land in order.
 */
export async function produceTimed(cluster: string, topic: string, count: number, t0: number, step = 10, partition = 0): Promise<number[]> {
  const timestamps = Array.from({ length: count }, (_, i) => t0 + i * step)
  const producer = bed().kafka(cluster).producer()
  await producer.connect()
  try {
    await producer.send({
      topic,
      messages: timestamps.map((ts, i) => ({ key: `k${i}`, value: `v${i}`, partition, timestamp: String(ts) })),
    })
  } finally {
    await producer.disconnect()
  }
  return timestamps
}

/** Creates the checkpoint topic on `cluster` and writes `positions` for `group` through a real CheckpointWriter. */
export async function writeCheckpoints(cluster: string, topic: string, group: string, positions: CheckpointPosition[]): Promise<void> {
  await withAdmin(cluster, (admin) => ensureCheckpointTopic(admin, topic))
  const producer = bed().kafka(cluster).producer()
  await producer.connect()
  const writer = new CheckpointWriter({ group, topic, targets: () => [{ cluster, producer }] })
  try {
    for (const position of positions) writer.record(position)
    const result = await writer.close()
    if (result.failed.length > 0 || result.pending > 0) throw new Error(`checkpoints not written: ${JSON.stringify(result)}`)
  } finally {
    await producer.disconnect()
  }
}

/** Waits until `topics` on `cluster` hold a checkpoint of `group` matching `match` (MM2 replicates them). */
export async function waitForCheckpoint(
  cluster: string,
  topics: string[],
  group: string,
  match: (c: Checkpoint) => boolean,
  timeoutMs = 90_000,
): Promise<Checkpoint> {
  return waitFor(
    `checkpoint of ${group} in ${topics.join(', ')} on ${cluster}`,
    async () => {
      const checkpoints = await readCheckpoints(bed().kafka(cluster), topics, { group, timeoutMs: 10_000 })
      return checkpoints.find(match)
    },
    timeoutMs,
    500,
  )
}
