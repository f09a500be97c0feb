/**
 * The cluster-id check on the real bed: dc2 is replaced by another cluster at the same address
 * (killed, its storage wiped and formatted with a new cluster id, started again). A client that
 * knew the old dc2 must refuse the new one: dc2 stays down with a ClusterIdChangedError, never
 * becomes active, not even when dc1 dies too, and no record is sent there.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { afterAll, describe, expect, it } from 'vitest'
import {
  ClusterIdChangedError,
  FailoverError,
  SendFailedError,
  type ClusterDownEvent,
  type ClusterUpEvent,
  type MultiClusterKafka,
  type SwitchInfo,
} from '../../../src/index.js'
import { createDrillTopic, drClient } from '../drill.js'
import { bed, highWatermark, unique, waitFor, withAdmin } from '../helpers.js'

/** The cluster id dc2 answers with now, asked with a fresh client (which has nothing to compare). */
async function clusterIdOf(cluster: string): Promise<string> {
  return (await withAdmin(cluster, (admin) => admin.describeCluster())).clusterId
}

function dc2Status(dr: MultiClusterKafka): ReturnType<MultiClusterKafka['status']>['clusters'][number] {
  return dr.status().clusters.find((c) => c.name === 'dc2')!
}

describe.skipIf(!bed().canInjectFaults)('cluster identity: a cluster replaced at the same address', () => {
  let dr: MultiClusterKafka | undefined

  afterAll(async () => {
    await dr?.disconnect()
    // dc2 is a new, empty cluster now. MirrorMaker 2 was stopped before it started (see below);
    // up() starts it again, creates the probe topic and waits until records flow both ways.
    await bed().up()
  }, 300_000)

  it('dc2 wiped and re-formatted with a new cluster id: refused as down, never active, never sent to', async () => {
    const topic = unique('ci')
    await createDrillTopic(topic)
    dr = drClient({ discovery: { policy: 'priority', failbackDelayMs: 1000 } })
    const downs: ClusterDownEvent[] = []
    const ups: ClusterUpEvent[] = []
    const switches: SwitchInfo[] = []
    dr.on('cluster:down', (e) => downs.push(e))
    dr.on('cluster:up', (e) => ups.push(e))
    dr.on('failover:start', (e) => switches.push(e))
    await dr.connect()
    const client = dr
    const oldId = dc2Status(client).clusterId!
    expect(oldId).toBe(await clusterIdOf('dc2'))
    const producer = client.producer({ deliveryTimeoutMs: 8000 })
    await producer.connect()
    try {
      await producer.send({ topic, messages: [{ key: 'before', value: 'before' }] })

      // Another cluster at dc2's address: same port, new storage, new cluster id. MirrorMaker 2
      // is stopped first: left running, it would recreate its internal topics on the new cluster
      // by auto-creation, with settings its next start refuses (cleanup.policy=delete).
      await bed().stop('mm2')
      await bed().kill('dc2')
      await rm(join(bed().stateDir, 'dc2', 'data'), { recursive: true, force: true })
      const replacedAt = Date.now()
      await bed().start('dc2')
      const newId = await clusterIdOf('dc2')
      console.log(`cluster ids of dc2: before ${oldId}, after the wipe ${newId}`)
      expect(newId).not.toBe(oldId)

      // The client refuses it: dc2 was down (refused connections) and is reported down again, now
      // with the id error; it stays down while the new cluster answers, probe after probe.
      const isIdError = (d: ClusterDownEvent): boolean => d.cluster === 'dc2' && d.error instanceof ClusterIdChangedError
      await waitFor('cluster:down of dc2 with ClusterIdChangedError', () => downs.some(isIdError), 30_000, 50)
      await delay(3000)
      const status = dc2Status(client)
      const dc2Downs = downs.filter((d) => d.cluster === 'dc2')
      console.log(`dc2 after the replacement: health ${status.health}, clusterId ${status.clusterId}, lastError ${status.lastError}`)
      console.log(`cluster:down events of dc2: ${dc2Downs.map((d) => `${d.error?.name}: ${d.error?.message}`).join(' | ')}`)
      expect(dc2Downs.at(-1)!.error).toMatchObject({
        name: 'ClusterIdChangedError',
        code: 'ERR_CLUSTER_ID_CHANGED',
        cluster: 'dc2',
        expected: oldId,
        actual: newId,
      })
      expect(dc2Downs.filter(isIdError)).toHaveLength(1) // once, not at every probe
      expect(dc2Downs[0]!.error).not.toBeInstanceOf(ClusterIdChangedError) // the kill came first
      expect(status.health).toBe('down')
      expect(status.clusterId).toBe(oldId)
      expect(status.lastError).toContain(oldId)
      expect(status.lastError).toContain(newId)
      expect(ups.filter((u) => u.cluster === 'dc2' && u.timestamp >= replacedAt)).toEqual([])

      // An operator cannot force it either: the typed error names both ids.
      const refused = await client.failover('dc2', { reason: 'drill' }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(refused).toBeInstanceOf(FailoverError)
      const cause = (refused as FailoverError).cause
      expect(cause).toBeInstanceOf(ClusterIdChangedError)
      expect(cause).toMatchObject({ code: 'ERR_CLUSTER_ID_CHANGED', cluster: 'dc2', expected: oldId, actual: newId })
      expect(client.activeCluster).toBe('dc1')

      // dc1 dies too: the new dc2 is the only cluster that answers, and still not taken.
      await bed().kill('dc1')
      await waitFor('dc1 down', () => client.status().clusters.find((c) => c.name === 'dc1')?.health === 'down', 20_000, 50)
      const started = Date.now()
      const lost = await producer.send({ topic, messages: [{ key: 'during', value: 'during' }] }).then(
        () => undefined,
        (e: unknown) => e,
      )
      console.log(`send with dc1 dead and dc2 replaced: ${(lost as Error | undefined)?.name} after ${Date.now() - started} ms`)
      expect(lost).toBeInstanceOf(SendFailedError)
      expect(dc2Status(client).health).toBe('down')

      // dc1 back: sends go on there.
      await bed().start('dc1')
      await producer.send({ topic, messages: [{ key: 'after', value: 'after' }] })
      expect(client.activeCluster).toBe('dc1')
      expect(switches.filter((s) => s.to === 'dc2')).toEqual([])
      // Nothing reached the new dc2 (the drill topic was created on the old one; a send would
      // have created it again, auto-creation is on).
      expect(await withAdmin('dc2', (admin) => admin.listTopics())).not.toContain(topic)
      expect(await highWatermark('dc2', topic)).toBe(0)
      expect(await highWatermark('dc1', topic)).toBeGreaterThanOrEqual(2)
    } finally {
      await producer.disconnect()
    }
  }, 300_000) // two broker restarts (a new storage format for one) on a loaded 2-core bed
})
