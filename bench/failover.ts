/**
 * Failover time with default settings: a producer sends one small record every 10 ms; dc1 is
 * killed -9; measured is the time from the kill to the first acknowledged send after it (which
 * can only come from dc2). dc1 is restarted between trials and each trial uses a fresh client.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { bed, createTopic, drClient, median, type Row } from './common.js'

const TRIALS = 5

async function trial(topic: string): Promise<number> {
  const dr = drClient()
  await dr.connect()
  if (dr.activeCluster !== 'dc1') throw new Error(`expected dc1 active, got ${dr.activeCluster}`)
  const producer = dr.producer()
  await producer.connect()
  let killedAt = 0
  let firstAckAfterKill = 0
  let stop = false
  const loop = (async () => {
    while (!stop) {
      try {
        await producer.send({ topic, messages: [{ value: 'x' }] })
        if (killedAt > 0 && firstAckAfterKill === 0) firstAckAfterKill = Date.now()
      } catch {
        /* counted as not acknowledged */
      }
      await delay(10)
    }
  })()
  await delay(1500)
  killedAt = Date.now()
  await bed.kill('dc1')
  while (firstAckAfterKill === 0 && Date.now() - killedAt < 60_000) await delay(5)
  stop = true
  await loop
  await producer.disconnect()
  await dr.disconnect()
  await bed.start('dc1')
  return firstAckAfterKill - killedAt
}

export async function benchFailover(): Promise<Row[]> {
  const topic = `bench-failover-${Date.now()}`
  await Promise.all([createTopic('dc1', topic, 1), createTopic('dc2', topic, 1)])
  const times: number[] = []
  for (let i = 0; i < TRIALS; i++) times.push(await trial(topic))
  console.log(`failover trials (ms): ${times.join(', ')}`)
  return [
    {
      measure: `kill -9 of active -> first acked send on survivor (default settings, ${TRIALS} trials)`,
      raw: 'n/a (no failover)',
      wrapper: `median ${median(times)} ms (max ${Math.max(...times)})`,
      ratio: median(times) <= 3000 ? 'meets goal' : 'misses goal',
      goal: 'median <= 3000 ms',
    },
  ]
}
