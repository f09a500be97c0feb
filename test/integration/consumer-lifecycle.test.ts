/**
 * The consumer's lifecycle around switches on the real bed: a stopped consumer stays stopped
 * through later switches until `run()`, a `run()` that failed can be made again, a session
 * that kafkajs gives up (a handler's `TypeError`) is replaced, and a disconnect during a standby's
 * first join leaves no member behind.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import type { FailoverEachMessagePayload } from '../../src/index.js'
import { drClient } from './drill.js'
import { bed, createTopic, unique, waitFor, waitForRecords } from './helpers.js'

async function produce(cluster: 'dc1' | 'dc2', topic: string, prefix: string, count: number): Promise<string[]> {
  const producer = bed().kafka(cluster).producer()
  await producer.connect()
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`)
  // Distinct CreateTimes: timestamp translation is exact only between records that do not share one.
  const base = Date.now() - 10 * count
  await producer.send({ topic, messages: ids.map((id, i) => ({ key: id, value: id, timestamp: String(base + 10 * i) })) })
  await producer.disconnect()
  return ids
}

function recorder(calls: Array<{ id: string; cluster: string; at: number }>): (payload: FailoverEachMessagePayload) => Promise<void> {
  return async ({ message, cluster }) => {
    calls.push({ id: message.value!.toString(), cluster, at: Date.now() })
  }
}

describe('consumer lifecycle', () => {
  it('stop() holds through a later switch; run() afterwards resumes on the new cluster without loss', async () => {
    const topic = unique('life')
    await createTopic('dc1', topic, 3)
    await createTopic('dc2', topic, 3)
    const dr = drClient()
    await dr.connect()
    const consumer = dr.consumer({ groupId: unique('g-life'), checkpoint: { intervalMs: 200 } })
    const calls: Array<{ id: string; cluster: string; at: number }> = []
    try {
      await consumer.connect()
      await consumer.subscribe({ topics: [topic], fromBeginning: true })
      await consumer.run({ eachMessage: recorder(calls) })
      const first = await produce('dc1', topic, 'a', 300)
      await waitFor('first records', () => first.every((id) => calls.some((c) => c.id === id)), 60_000, 50)
      await delay(1000) // a checkpoint of the last one

      await consumer.stop()
      const stoppedAt = Date.now()
      expect(consumer.cluster).toBeUndefined()
      const second = await produce('dc1', topic, 'b', 300)
      await waitForRecords('dc2', `dc1.${topic}`, 600, 120_000, 250)
      await dr.failover('dc2', { reason: 'lifecycle test: switch while stopped' })
      await delay(3000)
      // Stopped means stopped: neither the switch nor the new-copy check started it again.
      expect(calls.filter((c) => c.at >= stoppedAt)).toEqual([])
      expect(consumer.cluster).toBeUndefined()

      await consumer.run({ eachMessage: recorder(calls) })
      await waitFor('every record after run() again', () => [...first, ...second].every((id) => calls.some((c) => c.id === id)), 60_000, 50)
      expect(consumer.cluster).toBe('dc2')
      expect(calls.filter((c) => c.at >= stoppedAt).every((c) => c.cluster === 'dc2')).toBe(true)
      // Resumed from the translated checkpoint: the records of before the stop are not read again
      // (at most the boundary record of each partition).
      const repeated = calls.filter((c) => c.at >= stoppedAt && c.id.startsWith('a-')).length
      expect(repeated).toBeLessThanOrEqual(3)
      console.log(
        `[lifecycle] stop, switch, run again: ${calls.filter((c) => c.at >= stoppedAt).length} records after run() on dc2, ${repeated} of before the stop repeated`,
      )
    } finally {
      await consumer.disconnect()
      await dr.disconnect()
    }
  })

  it('a run() that failed (its topic did not exist) can be made again once the cause is gone', async () => {
    const topic = unique('life-missing')
    const dr = drClient()
    await dr.connect()
    const consumer = dr.consumer({ groupId: unique('g-life2') })
    const calls: Array<{ id: string; cluster: string; at: number }> = []
    try {
      await consumer.connect()
      await consumer.subscribe({ topics: [topic], fromBeginning: true })
      await expect(consumer.run({ eachMessage: recorder(calls) })).rejects.toThrow()
      expect(consumer.cluster).toBeUndefined()
      await createTopic('dc1', topic, 1)
      await consumer.run({ eachMessage: recorder(calls) })
      const ids = await produce('dc1', topic, 'c', 50)
      await waitFor('records after the second run()', () => ids.every((id) => calls.some((c) => c.id === id)), 60_000, 50)
      expect(consumer.cluster).toBe('dc1')
    } finally {
      await consumer.disconnect()
      await dr.disconnect()
    }
  })

  it('a handler that throws a TypeError (kafkajs stops a consumer for good on it) costs a restart, not the stream', async () => {
    const topic = unique('life-crash')
    await createTopic('dc1', topic, 2)
    const dr = drClient()
    await dr.connect()
    const consumer = dr.consumer({ groupId: unique('g-life3') })
    const calls: Array<{ id: string; cluster: string; at: number }> = []
    const crashes: Array<{ delivering: boolean; restartInMs: number | undefined; cause: unknown }> = []
    consumer.on('consumer:session-crashed', (e) =>
      crashes.push({ delivering: e.delivering, restartInMs: e.restartInMs, cause: e.error.cause }),
    )
    const restarted: string[] = []
    consumer.on('consumer:moved', (e) => {
      if (e.reason === 'restart') restarted.push(e.to)
    })
    let thrown = false
    try {
      await consumer.connect()
      await consumer.subscribe({ topics: [topic], fromBeginning: true })
      await consumer.run({
        eachMessage: async (payload) => {
          // A bug that one record trips once: kafkajs does not retry a TypeError, and its consumer stops.
          if (!thrown && payload.message.value!.toString() === 'd-20') {
            thrown = true
            throw new TypeError('a handler bug')
          }
          await recorder(calls)(payload)
        },
      })
      const ids = await produce('dc1', topic, 'd', 100)
      await waitFor('every record, after the crash', () => ids.every((id) => calls.some((c) => c.id === id)), 60_000, 50)
      expect(thrown).toBe(true)
      expect(crashes).toHaveLength(1)
      expect(crashes[0]).toMatchObject({ delivering: true, restartInMs: 1000 })
      // kafkajs wraps what the handler threw.
      expect((crashes[0]!.cause as Error).message).toBe('a handler bug')
      expect(restarted).toEqual(['dc1'])
      expect(consumer.cluster).toBe('dc1')
      const more = await produce('dc1', topic, 'e', 50)
      await waitFor('records after the restart', () => more.every((id) => calls.some((c) => c.id === id)), 60_000, 50)
    } finally {
      await consumer.disconnect()
      await dr.disconnect()
    }
  })

  // kafkajs sends no LeaveGroup for a consumer disconnected during its first join, nor for one
  // disconnected in the microtasks right after it: the broker keeps that member for its session
  // (30 s), holding the group's next generation. Another member that rejoins only at its
  // heartbeat holds the standby's join: for up to 1 s (it returns during the teardown's wait of
  // 1.5 s) or 2.5 s (it is still under way then).
  for (const holdMs of [1000, 2500]) {
    it(`disconnect() while a standby's first join is held up to ${holdMs} ms leaves no member behind on that cluster`, async () => {
      const topic = unique('life-join')
      const groupId = unique('g-life-join')
      await createTopic('dc1', topic, 1)
      await createTopic('dc2', topic, 1)
      const holder = bed()
        .kafka('dc2', 'holder')
        .consumer({ groupId, heartbeatInterval: holdMs, sessionTimeout: 10_000, maxWaitTimeInMs: 100 })
      const dr = drClient()
      const consumer = dr.consumer({ groupId })
      // One admin, polled often: the join is held for a second at most.
      const admin = bed().kafka('dc2').admin()
      const describe = async () => (await admin.describeGroups([groupId])).groups[0]!
      try {
        await admin.connect()
        await holder.connect()
        await holder.subscribe({ topics: [topic] })
        const joined = new Promise<void>((resolve) => holder.on(holder.events.GROUP_JOIN, () => resolve()))
        await holder.run({ eachMessage: async () => {} })
        await joined
        await dr.connect()
        await consumer.connect()
        await consumer.subscribe({ topics: [topic] })
        await consumer.run({ eachMessage: async () => {} })
        // The standby's JoinGroup has reached dc2: the group waits for the holder to rejoin.
        await waitFor('the standby joining on dc2', async () => (await describe()).state === 'PreparingRebalance', 30_000, 10)
        const started = Date.now()
        await consumer.disconnect()
        const disconnectMs = Date.now() - started
        // Well within the standby member's 30 s session: it left, once its join returned.
        const settled = await waitFor(
          'only the holder in the group on dc2',
          async () => {
            const group = await describe()
            return group.state === 'Stable' && group.members.length === 1 && group.members[0]!.clientId === 'holder'
              ? Date.now() - started
              : undefined
          },
          15_000,
          100,
        )
        console.log(
          `[lifecycle] join held up to ${holdMs} ms: disconnect() took ${disconnectMs} ms; the group on dc2 had only the holder ${settled} ms after it began`,
        )
        expect(disconnectMs).toBeLessThan(4000)
      } finally {
        await consumer.disconnect()
        await dr.disconnect()
        await holder.disconnect()
        await admin.disconnect()
      }
    })
  }
})
