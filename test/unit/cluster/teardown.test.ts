/** ClusterConnection.teardown: bounded, and a cluster whose teardown timed out is not waited for again. */
import type { Kafka } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { ClusterConnection, disconnectWithin } from '../../../src/cluster/index.js'

const hung = { disconnect: () => new Promise<void>(() => {}) }
const quick = { disconnect: async () => {} }

describe('ClusterConnection.teardown', () => {
  it('waits at most the bound for a hung client, then does not wait on that cluster again', async () => {
    const cluster = new ClusterConnection('dc1', 1, {} as Kafka)
    let started = Date.now()
    expect(await cluster.teardown(hung, 200)).toBe(false)
    expect(Date.now() - started).toBeGreaterThanOrEqual(190)
    started = Date.now()
    expect(await cluster.teardown(hung, 200)).toBe(false)
    expect(Date.now() - started).toBeLessThan(50)
    // Another cluster is not affected.
    expect(await new ClusterConnection('dc2', 2, {} as Kafka).teardown(quick, 200)).toBe(true)
  })

  it('disconnectWithin: 0 ms starts the disconnect without waiting; a throw is swallowed', async () => {
    let called = false
    expect(await disconnectWithin({ disconnect: async () => { called = true } }, 0)).toBe(false)
    expect(called).toBe(true)
    expect(await disconnectWithin({ disconnect: async () => { throw new Error('socket closed') } }, 100)).toBe(false)
  })
})
