/**
 * Producer failover on the real bed: a continuous keyed stream while dc1 is killed -9. Every
 * acknowledged record must be found on dc1 or dc2 afterwards, and, since the drill's
 * deliveryTimeoutMs (20 s) is far longer than detection, no send may be rejected: the sends caught
 * by the fault must be re-sent on dc2 and acknowledged there. The other faults (sticky policy,
 * SIGSTOP, flaps, both clusters down) are in full/producer-faults.test.ts; the per-change suite
 * meets them in the quick chaos scenarios.
 */
import { setTimeout as delay } from 'node:timers/promises'
import kafkajs from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import { NoActiveClusterError } from '../../src/index.js'
import { createDrillTopic, drClient, runProducerDrill } from './drill.js'
import { bed, unique, waitFor } from './helpers.js'
import { expectEveryAckedStoredAndNothingRejected, STREAM } from './producer-checks.js'
import type { MultiClusterKafka } from '../../src/index.js'

describe.skipIf(!bed().canInjectFaults)('producer failover (fault injection on the local bed)', () => {
  let dr: MultiClusterKafka | undefined

  afterAll(async () => {
    await dr?.disconnect()
    // Leave the bed whole for the next file.
    await bed().up()
  })

  it('kill -9 of the active cluster: sends move to dc2 and, with priority, fail back when dc1 returns', async () => {
    const topic = unique('pf-kill')
    await createDrillTopic(topic)
    dr = drClient({ discovery: { policy: 'priority', failbackDelayMs: 3000 } })
    await dr.connect()
    expect(dr.activeCluster).toBe('dc1')
    const client = dr
    const ledger = await runProducerDrill(client, topic, STREAM, async () => {
      await delay(4000)
      await bed().kill('dc1')
      await waitFor('switch to dc2', () => client.activeCluster === 'dc2', 20_000, 20)
      await delay(3000)
      await bed().start('dc1')
      await waitFor('failback to dc1 complete', () => client.activeCluster === 'dc1' && !client.status().switching, 30_000, 50)
    })
    expect(ledger.switches.map((s) => [s.from, s.to, s.kind])).toEqual([
      ['dc1', 'dc2', 'failover'],
      ['dc2', 'dc1', 'failback'],
    ])
    await expectEveryAckedStoredAndNothingRejected('kill -9 / priority', topic, ledger)
    await dr.disconnect()
  })
})

describe('multi-cluster client against the bed', () => {
  it('connects, reports status and rejects a manual failover to an unknown cluster', async () => {
    const dr = drClient({ discovery: { failbackDelayMs: 1000 } })
    await dr.connect()
    try {
      const status = dr.status()
      expect(status.active).toBe('dc1')
      expect(status.clusters.map((c) => [c.name, c.health])).toEqual([
        ['dc1', 'up'],
        ['dc2', 'up'],
      ])
      expect(status.clusters[0]!.clusterId).toMatch(/.+/)
      await expect(dr.failover('nope')).rejects.toMatchObject({ code: 'ERR_UNKNOWN_CLUSTER' })
      await dr.failover('dc2', { reason: 'drill' })
      expect(dr.activeCluster).toBe('dc2')
      expect(dr.status().lastSwitch).toMatchObject({ from: 'dc1', to: 'dc2', kind: 'manual', reason: 'drill' })
      await delay(1000)
      expect(dr.activeCluster).toBe('dc2') // pinned: priority does not pull it back
      dr.unpin()
      await waitFor('priority policy takes dc1 back', () => dr.activeCluster === 'dc1', 30_000)
    } finally {
      await dr.disconnect()
    }
  })

  it('rejects connect() with NoActiveClusterError when no cluster answers', async () => {
    const dr = drClient({
      clusters: {
        dc1: { kafka: { brokers: ['127.0.0.1:1'], logLevel: kafkajs.logLevel.NOTHING } },
        dc2: { kafka: { brokers: ['127.0.0.1:2'], logLevel: kafkajs.logLevel.NOTHING } },
      },
      localCluster: undefined,
      connectTimeoutMs: 1500,
    })
    const started = Date.now()
    const error = await dr.connect().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NoActiveClusterError)
    expect((error as Error).message).toMatch(/dc1: down.*dc2: down/)
    expect(Date.now() - started).toBeLessThan(10_000)
    await dr.disconnect()
  })
})
