/**
 * A physical copy that appears while a consumer runs: the consumer on dc1 subscribes to `T` when
 * only `T` exists there; later dc2 gets `T` data, MirrorMaker 2 creates `dc2.T` on dc1, and the
 * consumer must read it (from its start) without repeating or losing what it read of `T`.
 */
import { describe, expect, it } from 'vitest'
import type { ConsumerMovedEvent } from '../../src/index.js'
import { uniqueCheckpointTopic } from './offsets/support.js'
import { drClient } from './drill.js'
import { bed, createTopic, unique, waitFor, withAdmin } from './helpers.js'

async function produce(cluster: string, topic: string, prefix: string, count: number): Promise<string[]> {
  const producer = bed().kafka(cluster).producer()
  await producer.connect()
  try {
    const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`)
    await producer.send({ topic, messages: ids.map((id) => ({ key: id, value: id })) })
    return ids
  } finally {
    await producer.disconnect()
  }
}

describe('physical copies that appear while consuming', () => {
  it('restarts on the same cluster to read a new copy from its start; nothing lost or repeated', async () => {
    const topic = unique('copies')
    const group = unique('g-copies')
    await createTopic('dc1', topic, 2)
    const dr = drClient({ discovery: { policy: 'sticky' } })
    await dr.connect()
    const consumer = dr.consumer({ groupId: group, newCopyCheckIntervalMs: 1000, checkpoint: { topic: uniqueCheckpointTopic() } })
    const calls = new Map<string, number>()
    const origins = new Map<string, string>()
    const moves: ConsumerMovedEvent[] = []
    consumer.on('consumer:moved', (e) => moves.push(e))
    try {
      await consumer.connect()
      await consumer.subscribe({ topics: [topic], fromBeginning: true })
      await consumer.run({
        eachMessage: async ({ message, originCluster, physicalTopic }) => {
          const id = message.value!.toString()
          calls.set(id, (calls.get(id) ?? 0) + 1)
          origins.set(id, `${originCluster}/${physicalTopic}`)
        },
      })
      const local = await produce('dc1', topic, 'dc1', 200)
      await waitFor('dc1 records handled', () => local.every((id) => calls.has(id)), 60_000, 100)
      expect(await withAdmin('dc1', async (admin) => (await admin.listTopics()).includes(`dc2.${topic}`))).toBe(false)

      // dc2 gets the topic and data; MM2 creates and fills dc2.<topic> on dc1.
      await createTopic('dc2', topic, 2)
      const remote = await produce('dc2', topic, 'dc2', 300)
      await waitFor('dc2 records handled on dc1', () => remote.every((id) => calls.has(id)), 90_000, 100)
      const more = await produce('dc1', topic, 'dc1-after', 100)
      await waitFor('later dc1 records handled', () => more.every((id) => calls.has(id)), 60_000, 100)

      const repeated = [...calls.values()].filter((n) => n > 1).length
      console.log(
        `[copies] moves: ${moves.map((m) => `${m.from}->${m.to} (${m.reason}) by ${m.via} in ${m.durationMs} ms`).join('; ')}; repeated ${repeated} of ${calls.size}`,
      )
      expect(moves.filter((m) => m.reason === 'new-copies')).toHaveLength(1)
      expect(moves[0]).toMatchObject({ from: 'dc1', to: 'dc1', reason: 'new-copies' })
      expect(remote.every((id) => origins.get(id) === `dc2/dc2.${topic}`)).toBe(true)
      expect([...local, ...more].every((id) => origins.get(id) === `dc1/${topic}`)).toBe(true)
      // The restart resumes `T` at this instance's exact positions: nothing of it is repeated.
      expect(repeated).toBe(0)
    } finally {
      await consumer.disconnect()
      await dr.disconnect()
    }
  })
})
