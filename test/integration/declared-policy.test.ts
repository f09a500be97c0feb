/**
 * The `declared` policy on the real bed: an operator's declaration, written to every reachable
 * cluster, moves every instance, and all instances agree.
 */
import { describe, expect, it } from 'vitest'
import { declareActiveCluster, readDeclaration } from '../../src/index.js'
import { drClient } from './drill.js'
import { bed, unique, waitFor } from './helpers.js'

describe('declared policy', () => {
  it('moves every instance to the declared cluster and back; the newest epoch wins', async () => {
    const controlTopic = unique('control')
    const instances = [drClient({ discovery: { policy: 'declared', controlTopic } }), drClient({ discovery: { policy: 'declared', controlTopic } })]
    const kafkas = { dc1: bed().kafka('dc1'), dc2: bed().kafka('dc2') }
    try {
      await Promise.all(instances.map((dr) => dr.connect()))
      // No declaration yet: both start on the most preferred healthy cluster.
      expect(instances.map((dr) => dr.activeCluster)).toEqual(['dc1', 'dc1'])

      const first = await declareActiveCluster(kafkas, { cluster: 'dc2', reason: 'drill', topic: controlTopic })
      expect(first.written.sort()).toEqual(['dc1', 'dc2'])
      expect(first.declaration.epoch).toBe(1)
      await waitFor('both instances on dc2', () => instances.every((dr) => dr.activeCluster === 'dc2'), 30_000)
      expect(instances.map((dr) => dr.status().lastSwitch?.to)).toEqual(['dc2', 'dc2'])

      const second = await declareActiveCluster(kafkas, { cluster: 'dc1', reason: 'drill over', topic: controlTopic })
      expect(second.declaration.epoch).toBe(2)
      await waitFor('both instances back on dc1', () => instances.every((dr) => dr.activeCluster === 'dc1'), 30_000)
      expect(await readDeclaration(kafkas.dc2, controlTopic)).toMatchObject({ cluster: 'dc1', epoch: 2, reason: 'drill over' })
      await expect(declareActiveCluster(kafkas, { cluster: 'dc9', topic: controlTopic })).rejects.toMatchObject({ code: 'ERR_FAILOVER_FAILED' })
    } finally {
      await Promise.all(instances.map((dr) => dr.disconnect()))
    }
  })

  it('a custom discovery function decides the active cluster', async () => {
    let wanted = 'dc2'
    const dr = drClient({ discovery: { policy: (view) => (view.clusters.some((c) => c.name === wanted && c.health === 'up') ? wanted : undefined) } })
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
