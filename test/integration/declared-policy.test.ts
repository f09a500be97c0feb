/**
 * The `declared` policy on the real bed: an operator's declaration, written to every reachable
 * cluster, moves every instance, and all instances agree.
 */
import { describe, expect, it } from 'vitest'
import { declareActiveCluster, readDeclaration, type DeclarationIgnoredEvent } from '../../src/index.js'
import { drClient } from './drill.js'
import { bed, unique, waitFor } from './helpers.js'

describe('declared policy', () => {
  it('moves every instance to the declared cluster and back; the newest epoch wins', async () => {
    const controlTopic = unique('control')
    const instances = [
      drClient({ discovery: { policy: 'declared', controlTopic } }),
      drClient({ discovery: { policy: 'declared', controlTopic } }),
    ]
    const kafkas = { dc1: bed().kafka('dc1'), dc2: bed().kafka('dc2') }
    try {
      await Promise.all(instances.map((dr) => dr.connect()))
      // No declaration yet: both start on the most preferred healthy cluster.
      expect(instances.map((dr) => dr.activeCluster)).toEqual(['dc1', 'dc1'])

      let started = Date.now()
      const first = await declareActiveCluster(kafkas, { cluster: 'dc2', reason: 'drill', topic: controlTopic })
      const declareMs = Date.now() - started
      expect(first.written.sort()).toEqual(['dc1', 'dc2'])
      expect(first.declaration.epoch).toBeGreaterThanOrEqual(first.declaration.declaredAt - 1)
      await waitFor('both instances on dc2', () => instances.every((dr) => dr.activeCluster === 'dc2'), 30_000, 10)
      const followMs = Date.now() - started
      expect(instances.map((dr) => dr.status().lastSwitch?.to)).toEqual(['dc2', 'dc2'])

      started = Date.now()
      const second = await declareActiveCluster(kafkas, { cluster: 'dc1', reason: 'drill over', topic: controlTopic })
      expect(second.declaration.epoch).toBeGreaterThan(first.declaration.epoch)
      await waitFor('both instances back on dc1', () => instances.every((dr) => dr.activeCluster === 'dc1'), 30_000, 10)
      console.log(
        `[declared] declareActiveCluster ${declareMs} ms; every instance on dc2 ${followMs} ms after the call began, back on dc1 ${Date.now() - started} ms`,
      )
      expect(await readDeclaration(kafkas.dc2, controlTopic)).toMatchObject({
        cluster: 'dc1',
        epoch: second.declaration.epoch,
        reason: 'drill over',
      })
      // A declaration never goes below the epoch it is told is in force, whatever the clock says.
      const forced = await declareActiveCluster(kafkas, {
        cluster: 'dc1',
        topic: controlTopic,
        minEpoch: second.declaration.epoch + 60_000,
      })
      expect(forced.declaration.epoch).toBe(second.declaration.epoch + 60_001)
      await expect(declareActiveCluster(kafkas, { cluster: 'dc9', topic: controlTopic })).rejects.toMatchObject({
        code: 'ERR_FAILOVER_FAILED',
      })
    } finally {
      await Promise.all(instances.map((dr) => dr.disconnect()))
    }
  })

  it('skips garbage in the control topic with a warning event, and still follows a valid declaration', async () => {
    const controlTopic = unique('control-garbage')
    const dr = drClient({ discovery: { policy: 'declared', controlTopic } })
    const ignored: DeclarationIgnoredEvent[] = []
    dr.on('declaration:ignored', (e) => ignored.push(e))
    const kafkas = { dc1: bed().kafka('dc1'), dc2: bed().kafka('dc2') }
    const producer = kafkas.dc1.producer({ allowAutoTopicCreation: true })
    try {
      await dr.connect()
      expect(dr.activeCluster).toBe('dc1')
      await producer.connect()
      // Not JSON, cut short, a future format version, and a well-formed declaration of a cluster
      // that does not exist with the highest epoch there is (which would outrank every later one).
      await producer.send({
        topic: controlTopic,
        messages: [
          { key: 'active', value: Buffer.from([0xde, 0xad, 0xbe, 0xef]) },
          { key: 'active', value: '{"version":1,"cluster":"dc' },
          { key: 'active', value: JSON.stringify({ version: 99, cluster: 'dc2', epoch: Date.now() + 1e9 }) },
          { key: 'active', value: JSON.stringify({ version: 1, cluster: 'dc9', epoch: Number.MAX_SAFE_INTEGER, declaredAt: Date.now() }) },
        ],
      })
      await waitFor('four warnings', () => ignored.filter((e) => e.cluster === 'dc1').length >= 4, 30_000, 50)
      expect(ignored.filter((e) => e.cluster === 'dc1').map((e) => e.reason)).toEqual([
        expect.stringMatching(/not JSON \(4 bytes\)/),
        expect.stringMatching(/not JSON/),
        expect.stringMatching(/format version 99 \(this release reads 1\)/),
        expect.stringMatching(/declares unknown cluster 'dc9'/),
      ])
      expect(dr.activeCluster).toBe('dc1')
      // The operator's next declaration still takes effect.
      await declareActiveCluster(kafkas, { cluster: 'dc2', reason: 'after the garbage', topic: controlTopic })
      await waitFor('on dc2', () => dr.activeCluster === 'dc2', 30_000, 10)
    } finally {
      await producer.disconnect()
      await dr.disconnect()
    }
  })

  it('a custom discovery function decides the active cluster', async () => {
    let wanted = 'dc2'
    const dr = drClient({
      discovery: { policy: (view) => (view.clusters.some((c) => c.name === wanted && c.health === 'up') ? wanted : undefined) },
    })
    try {
      await dr.connect()
      expect(dr.activeCluster).toBe('dc2')
      wanted = 'dc1'
      await waitFor('custom policy moves to dc1', () => dr.activeCluster === 'dc1', 10_000)
      expect(dr.status().policy).toBe('custom')
    } finally {
      await dr.disconnect()
    }
  })
})
