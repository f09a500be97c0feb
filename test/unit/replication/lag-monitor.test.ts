/**
 * The replication-lag monitor over a fake admin that answers ListOffsets by time from a list of
 * record timestamps, as a broker would: which flows are watched, the newest-timestamp search, the
 * lagging / recovered events, and a target that does not answer.
 */
import type { Admin } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import type { ClusterConnection } from '../../../src/cluster/index.js'
import { newestTimestamp } from '../../../src/replication/heartbeats.js'
import { ReplicationLagMonitor, type ReplicationFlowStatus } from '../../../src/replication/lag-monitor.js'
import { DefaultReplicationPolicy, IdentityReplicationPolicy } from '../../../src/topology/replication-policy.js'

/** A one-partition topic per name: its records' timestamps, in offset order. */
type Topics = Map<string, number[]>

function fakeAdmin(topics: Topics, calls = { count: 0 }): Admin {
  const log = (topic: string): number[] => {
    calls.count++
    const records = topics.get(topic)
    if (records === undefined)
      throw Object.assign(new Error('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' })
    return records
  }
  return {
    async fetchTopicOffsets(topic: string) {
      return [{ partition: 0, offset: String(log(topic).length), high: String(log(topic).length), low: '0' }]
    },
    async fetchTopicOffsetsByTimestamp(topic: string, timestamp: number) {
      const records = log(topic)
      // The earliest offset whose timestamp is at or after `timestamp`; none: the high watermark.
      const index = records.findIndex((t) => t >= timestamp)
      return [{ partition: 0, offset: String(index === -1 ? records.length : index) }]
    },
  } as unknown as Admin
}

function connection(name: string, admin: Admin | (() => Promise<Admin>)): ClusterConnection {
  return { name, priority: 1, admin: typeof admin === 'function' ? admin : async () => admin } as unknown as ClusterConnection
}

const OPTIONS = { intervalMs: 60_000, thresholdMs: 5000, timeoutMs: 1000 }

describe('newestTimestamp', () => {
  it('finds the newest record to the resolution, with fewer requests from a known earlier answer', async () => {
    const now = 1_000_000_000
    const topics: Topics = new Map([['t', [now - 90_000, now - 40_000, now - 2_345]]])
    const cold = { count: 0 }
    const found = await newestTimestamp(fakeAdmin(topics, cold), 't', { now, resolutionMs: 100 })
    expect(now - 2_345 - found!).toBeGreaterThanOrEqual(0)
    expect(now - 2_345 - found!).toBeLessThan(100)
    const warm = { count: 0 }
    const again = await newestTimestamp(fakeAdmin(topics, warm), 't', { now, resolutionMs: 100, atLeast: found })
    expect(again).toBe(found)
    expect(warm.count).toBeLessThan(cold.count)
  })

  it('answers undefined for an empty topic and rejects for a missing one', async () => {
    const admin = fakeAdmin(new Map([['empty', []]]))
    expect(await newestTimestamp(admin, 'empty')).toBeUndefined()
    await expect(newestTimestamp(admin, 'missing')).rejects.toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' })
  })
})

describe('ReplicationLagMonitor', () => {
  it('watches every ordered pair under prefix naming, none under identity naming', () => {
    const clusters = ['dc1', 'dc2', 'dc3'].map((n) => connection(n, fakeAdmin(new Map())))
    const prefix = new ReplicationLagMonitor(clusters, new DefaultReplicationPolicy({ clusters: ['dc1', 'dc2', 'dc3'] }), OPTIONS, {
      healthOf: () => 'up',
      onLagging() {},
      onRecovered() {},
    })
    expect(
      prefix
        .status()
        .map((f) => `${f.source}->${f.target}:${f.heartbeatsTopic}`)
        .sort(),
    ).toEqual([
      'dc1->dc2:dc1.heartbeats',
      'dc1->dc3:dc1.heartbeats',
      'dc2->dc1:dc2.heartbeats',
      'dc2->dc3:dc2.heartbeats',
      'dc3->dc1:dc3.heartbeats',
      'dc3->dc2:dc3.heartbeats',
    ])
    const identity = new ReplicationLagMonitor(clusters, new IdentityReplicationPolicy(), OPTIONS, {
      healthOf: () => 'up',
      onLagging() {},
      onRecovered() {},
    })
    expect(identity.status()).toEqual([])
  })

  it('reports lagging once above the threshold and recovered once back, with the lag of each check', async () => {
    const dc2Topics: Topics = new Map([['dc1.heartbeats', [Date.now() - 8000]]])
    const lagging: ReplicationFlowStatus[] = []
    const recovered: ReplicationFlowStatus[] = []
    const monitor = new ReplicationLagMonitor(
      [connection('dc1', fakeAdmin(new Map())), connection('dc2', fakeAdmin(dc2Topics))],
      new DefaultReplicationPolicy({ clusters: ['dc1', 'dc2'] }),
      OPTIONS,
      { healthOf: () => 'up', onLagging: (f) => lagging.push(f), onRecovered: (f) => recovered.push(f) },
    )
    const stale = await monitor.check('dc1', 'dc2')
    expect(stale!.lagMs).toBeGreaterThanOrEqual(8000)
    await monitor.check('dc1', 'dc2')
    expect(lagging.map((f) => [f.source, f.target, f.lagging])).toEqual([['dc1', 'dc2', true]])
    expect(lagging[0]!.lagMs).toBeGreaterThan(OPTIONS.thresholdMs)
    expect(monitor.flow('dc1', 'dc2')!.lagging).toBe(true)

    // A fresh heartbeat arrives: one recovery, the lag of that check.
    dc2Topics.get('dc1.heartbeats')!.push(Date.now() - 600)
    const back = await monitor.check('dc1', 'dc2')
    expect(back!.lagMs).toBeGreaterThanOrEqual(500)
    expect(back!.lagMs).toBeLessThan(1000)
    await monitor.check('dc1', 'dc2')
    expect(recovered.map((f) => [f.source, f.target, f.lagging])).toEqual([['dc1', 'dc2', false]])
    expect(lagging).toHaveLength(1)
  })

  it('keeps the last reading and names the cause when the target has no heartbeats topic', async () => {
    const monitor = new ReplicationLagMonitor(
      [connection('dc1', fakeAdmin(new Map())), connection('dc2', fakeAdmin(new Map()))],
      new DefaultReplicationPolicy({ clusters: ['dc1', 'dc2'] }),
      OPTIONS,
      { healthOf: () => 'up', onLagging() {}, onRecovered() {} },
    )
    await expect(monitor.check('dc1', 'dc2')).rejects.toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' })
    const flow = monitor.flow('dc1', 'dc2')!
    expect(flow.lagMs).toBeUndefined()
    expect(flow.lastError).toMatch(/no topic dc1\.heartbeats on 'dc2' \(is MirrorMaker 2 replicating dc1 -> dc2 with heartbeats on\?\)/)
  })

  it('gives up on a target that does not answer within timeoutMs', async () => {
    const hung = connection('dc2', () => new Promise<Admin>(() => {}))
    const monitor = new ReplicationLagMonitor(
      [connection('dc1', fakeAdmin(new Map())), hung],
      new DefaultReplicationPolicy({ clusters: ['dc1', 'dc2'] }),
      { ...OPTIONS, timeoutMs: 100 },
      { healthOf: () => 'up', onLagging() {}, onRecovered() {} },
    )
    const started = Date.now()
    await expect(monitor.check('dc1', 'dc2')).rejects.toThrow(/reading dc1\.heartbeats on 'dc2'/)
    expect(Date.now() - started).toBeLessThan(1000)
    expect(monitor.flow('dc1', 'dc2')!.lastError).toMatch(/dc1\.heartbeats/)
  })
})
