/**
 * The bed's own machinery, in the full suite (`npm run test:full`): the brokers switch to Kafka's
 * default group settings and back (the per-change suite does the same around
 * consumer-failover-kafka-defaults.test.ts), the supervisor restarts a stalled MirrorMaker 2, and
 * a replication stopped on purpose stays stopped.
 */
import { readFile } from 'node:fs/promises'
import { setTimeout as delay } from 'node:timers/promises'
import kafkajs from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import type { BrokerProfile } from '../../bed/bed.js'
import { bed, createTopic, readRecords, unique, waitForRecords, withAdmin } from '../helpers.js'

describe('the bed, switched and supervised', () => {
  afterAll(async () => {
    // Leave the bed whole for the next file, whatever happened here.
    if (bed().canInjectFaults) await bed().up()
  })

  it("switches both brokers to Kafka's default group settings and back, keeping their data", async (ctx) => {
    if (!bed().canInjectFaults) ctx.skip("external clusters: their settings are not the bed's to change")
    const original = bed().brokerProfile as BrokerProfile
    const topic = unique('bed-profile')
    await createTopic('dc1', topic, 1)
    const producer = bed().kafka('dc1').producer()
    await producer.connect()
    await producer.send({ topic, messages: [{ key: 'survives', value: 'profile switch' }] })
    await producer.disconnect()
    try {
      const toDefaults = await bed().setBrokerProfile('kafka-defaults')
      expect(bed().brokerProfile).toBe('kafka-defaults')
      expect(await brokerSetting('dc1', 'group.initial.rebalance.delay.ms')).toBe('3000')
      expect(await brokerSetting('dc2', 'group.initial.rebalance.delay.ms')).toBe('3000')
      // The same profile again restarts nothing.
      expect(await bed().setBrokerProfile('kafka-defaults')).toEqual({ changed: false, ms: 0 })

      const toBed = await bed().setBrokerProfile('bed')
      expect(toBed.changed).toBe(true)
      expect(bed().brokerProfile).toBe('bed')
      expect(await brokerSetting('dc1', 'group.initial.rebalance.delay.ms')).toBe('0')
      expect(await brokerSetting('dc2', 'group.initial.rebalance.delay.ms')).toBe('0')
      console.log(
        `broker profile switch (graceful restart of both brokers and MM2, until replication delivers): to kafka-defaults ${toDefaults.ms} ms, back to bed ${toBed.ms} ms`,
      )
    } finally {
      await bed().setBrokerProfile(original)
    }
    const [record] = await readRecords('dc1', topic, 1)
    expect(record).toMatchObject({ key: 'survives', value: 'profile switch' })
  }, 420_000)

  it('the supervisor restarts MirrorMaker 2 when its flow dc2 -> dc1 stalls after dc1 hung, and replication delivers again', async (ctx) => {
    if (!bed().canInjectFaults) ctx.skip('external clusters: fault injection unavailable')
    const topic = unique('bed-stall')
    await createTopic('dc2', topic, 1)
    await produceOne('dc2', topic, 'before')
    await waitForRecords('dc1', `dc2.${topic}`, 1, 90_000)
    const supervisorBefore = (await readLog(bed().logFile('supervisor'))).length
    const mm2Before = (await readLog(bed().logFile('mm2'))).length

    // dc1 hangs longer than the Connect worker's session (10 s) plus its coordinator discovery
    // (3 s): the dc2 -> dc1 worker, whose Connect group lives on dc1, revokes its own tasks.
    bed().pause('dc1')
    await delay(25_000)
    // When dc1 wakes up, two of its timers race: its group coordinator expiring the silent worker
    // (the worker then rejoins as a new member, and MM2 holds the tasks it ran back as "lost" for
    // scheduled.rebalance.max.delay.ms, 5 minutes) and its controller fencing its own broker (the
    // group is unloaded and reloaded with the worker still a member: no stall). The first wins
    // most of the time, not always. MM2 hung across dc1's wake-up makes the order certain.
    bed().pause('mm2')
    bed().resume('dc1')
    await delay(20_000)
    bed().resume('mm2')
    const resumedAt = Date.now()
    await produceOne('dc2', topic, 'after')

    // Waits through the supervisor's restart of MM2 (MM2 is briefly not running meanwhile).
    await bed().waitForReplication(240_000)
    await waitForRecords('dc1', `dc2.${topic}`, 2, 60_000)
    const restoredMs = Date.now() - resumedAt

    const lines = (await readLog(bed().logFile('supervisor')))
      .slice(supervisorBefore)
      .split('\n')
      .filter((l) => l.trim() !== '')
    const restart = lines.find((l) => l.includes('restarting MirrorMaker 2') && l.includes('flow dc2 -> dc1 has not delivered'))
    expect(restart, `supervisor log since the fault:\n${lines.join('\n')}`).toBeDefined()
    // On its own MM2 would hand the tasks out again only 300 s after the rejoin.
    expect(restoredMs).toBeLessThan(240_000)
    const held = (await readLog(bed().logFile('mm2')))
      .slice(mm2Before)
      .split('\n')
      .find((l) => l.includes('dc2->dc1') && /connectorIds=\[\].*delay=[1-9]/.test(l))
    console.log(
      `flow dc2 -> dc1 delivered again ${restoredMs} ms after MM2 resumed; MM2: ${held?.replace(/Assignment\{.*(delay=\d+).*/, '... $1') ?? '(no delayed assignment logged)'}\nsupervisor:\n  ${lines.join('\n  ')}`,
    )
  }, 420_000)

  it('stopReplication keeps MirrorMaker 2 down (the supervisor leaves it alone) until startReplication', async (ctx) => {
    if (!bed().canInjectFaults) ctx.skip('external clusters: fault injection unavailable')
    await bed().stopReplication()
    try {
      expect(bed().status().mm2).toBe('stopped')
      // Replication cannot come, and waiting for it says so at once instead of timing out.
      await expect(bed().waitForReplication(60_000)).rejects.toThrow(/stopped on purpose/)
      // Longer than the supervisor's bound and a check: it would have acted by now.
      await delay(bed().replicationStallMs + 5000)
      expect(bed().status().mm2).toBe('stopped')
      expect(bed().status().supervisor).toBe('running')
    } finally {
      await bed().startReplication()
    }
    expect(bed().status().mm2).toBe('running')
  }, 240_000)
})

async function produceOne(cluster: string, topic: string, value: string): Promise<void> {
  const producer = bed().kafka(cluster).producer()
  await producer.connect()
  try {
    await producer.send({ topic, messages: [{ value }] })
  } finally {
    await producer.disconnect()
  }
}

/** A broker's effective setting, as an admin client reads it. */
async function brokerSetting(cluster: string, name: string): Promise<string | undefined> {
  return withAdmin(cluster, async (admin) => {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: kafkajs.ConfigResourceTypes.BROKER, name: '1', configNames: [name] }],
    })
    return resources[0]?.configEntries.find((e) => e.configName === name)?.configValue
  })
}

async function readLog(file: string): Promise<string> {
  return readFile(file, 'utf8').catch(() => '')
}
