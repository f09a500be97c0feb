/**
 * The `garbage-then-kill` fault's garbage: records that a bug, a half-written disk or a newer
 * kafkajs-dr could leave in the topics the library reads, aimed at the drill's own group and topic
 * so that the readers cannot skip them for being someone else's:
 * - kafkajs-dr's checkpoint topic on the failing cluster (MirrorMaker 2 copies it to the survivor):
 *   a truncated value, a value of a future format version, random bytes as key and value;
 * - MirrorMaker 2's checkpoint topic on the survivor (`<failing>.checkpoints.internal`): the same
 *   three kinds in MM2's format;
 * - the control topic of the `declared` policy on both clusters: random bytes, cut-off JSON, and a
 *   declaration of a future version naming a cluster that does not exist.
 * The library must skip each with a warning and keep going: never crash, never move wrongly.
 */
import { randomBytes } from 'node:crypto'
import { encodeCheckpointKey } from '../src/offsets/checkpoint-codec.js'
import { encodeMm2CheckpointKey } from '../src/offsets/mm2-checkpoint-codec.js'
import { DEFAULT_CHECKPOINT_TOPIC, DEFAULT_CONTROL_TOPIC } from '../src/index.js'
import type { KafkaBed } from '../test/bed/bed.js'

/** A value whose INT16 version is from the future, padded to a plausible length. */
function futureVersion(bytes: number): Buffer {
  const value = randomBytes(bytes)
  value.writeInt16BE(0x7000, 0)
  return value
}

/** Writes the garbage; returns what was written, in words. */
export async function writeGarbage(
  bed: KafkaBed,
  failing: string,
  survivor: string,
  service: { topic: string; groupId: string },
): Promise<string> {
  const checkpointKey = encodeCheckpointKey({ group: service.groupId, cluster: failing, topic: service.topic, partition: 0 })
  const mm2Key = encodeMm2CheckpointKey({ group: service.groupId, topic: service.topic, partition: 0 })
  const kinds = (key: Buffer): Array<{ key: Buffer; value: Buffer }> => [
    { key, value: futureVersion(26).subarray(0, 7) },
    { key, value: futureVersion(26) },
    { key: randomBytes(24), value: randomBytes(40) },
  ]
  const control = [
    { key: Buffer.from('active'), value: randomBytes(30) },
    { key: Buffer.from('active'), value: Buffer.from('{"version":1,"cluster":"dc') },
    {
      key: Buffer.from('active'),
      value: Buffer.from(
        JSON.stringify({
          version: 99,
          cluster: 'dc9',
          epoch: Number.MAX_SAFE_INTEGER,
          declaredAt: Date.now(),
          reason: 'garbage',
          by: 'drill',
        }),
      ),
    },
  ]
  const writes: Array<{ cluster: string; topic: string; messages: Array<{ key: Buffer; value: Buffer }> }> = [
    { cluster: failing, topic: DEFAULT_CHECKPOINT_TOPIC, messages: kinds(checkpointKey) },
    { cluster: survivor, topic: `${failing}.checkpoints.internal`, messages: kinds(mm2Key) },
    { cluster: failing, topic: DEFAULT_CONTROL_TOPIC, messages: control },
    { cluster: survivor, topic: DEFAULT_CONTROL_TOPIC, messages: control },
  ]
  for (const cluster of [failing, survivor]) {
    // The topics may not exist yet (no declaration was ever made; MM2 has not checkpointed yet).
    const admin = bed.kafka(cluster, 'kafkajs-dr-drill-garbage').admin()
    await admin.connect()
    try {
      const existing = new Set(await admin.listTopics())
      const missing = [...new Set(writes.filter((w) => w.cluster === cluster && !existing.has(w.topic)).map((w) => w.topic))]
      if (missing.length > 0)
        await admin.createTopics({
          topics: missing.map((topic) => ({ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] })),
          waitForLeaders: true,
        })
    } finally {
      await admin.disconnect()
    }
    const producer = bed.kafka(cluster, 'kafkajs-dr-drill-garbage').producer({ allowAutoTopicCreation: true })
    await producer.connect()
    try {
      for (const w of writes.filter((x) => x.cluster === cluster)) await producer.send({ topic: w.topic, messages: w.messages })
    } finally {
      await producer.disconnect()
    }
  }
  return writes.map((w) => `${w.messages.length} in ${w.topic} on ${w.cluster}`).join(', ')
}
