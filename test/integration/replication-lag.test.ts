/**
 * Replication lag on the real bed, from MirrorMaker 2's heartbeats: both flows read about a
 * second while MM2 runs; a planned switch with `drain` goes through and reports the lag it left
 * behind; with MM2 stopped the lag grows past the threshold (`replication:lagging`), a planned
 * switch waits and then refuses clearly (DrainTimeoutError, nothing switched), and once MM2 is
 * back the flow recovers and the same switch drains.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { DrainTimeoutError, type FailoverCompleteEvent, type MultiClusterKafka, type ReplicationLagEvent } from '../../src/index.js'
import { drClient } from './drill.js'
import { bed, waitFor } from './helpers.js'

const THRESHOLD_MS = 4000

describe.skipIf(!bed().canInjectFaults)('replication lag and planned switches (MirrorMaker 2 stopped and started on the local bed)', () => {
  let dr: MultiClusterKafka | undefined

  afterAll(async () => {
    await dr?.disconnect()
    await bed().up()
  })

  it('reads each flow, drains a planned switch, and refuses one while MirrorMaker 2 is stopped', async () => {
    dr = drClient({
      discovery: { policy: 'priority', autoFailback: false },
      replicationLag: { intervalMs: 500, thresholdMs: THRESHOLD_MS },
    })
    const client = dr
    const lagging: ReplicationLagEvent[] = []
    const recovered: ReplicationLagEvent[] = []
    const completed: FailoverCompleteEvent[] = []
    dr.on('replication:lagging', (e) => lagging.push(e))
    dr.on('replication:recovered', (e) => recovered.push(e))
    dr.on('failover:complete', (e) => completed.push(e))
    await dr.connect()

    // Both flows, named after MM2's heartbeat replicas, about a second behind. The test before
    // may have restarted a cluster moments ago (the full suite once read 4.6 s here, seconds after
    // app-crash's restart of dc1): MM2's heartbeats take a few seconds to reach the other side again.
    const started = Date.now()
    const readings: string[] = []
    const flows = await waitFor(
      'both flows read, under the threshold',
      () => {
        const f = client.status().replication
        if (!(f.length === 2 && f.every((x) => x.lagMs !== undefined))) return undefined
        readings.push(f.map((x) => `${x.source}->${x.target} ${x.lagMs} ms`).join(', '))
        return f.every((x) => x.lagMs! < THRESHOLD_MS) && f
      },
      30_000,
      100,
    )
    console.log(`healthy flows after ${Date.now() - started} ms: ${readings.at(-1)} (first reading: ${readings[0]})`)
    expect(flows.map((f) => [f.source, f.target, f.heartbeatsTopic]).sort()).toEqual([
      ['dc1', 'dc2', 'dc1.heartbeats'],
      ['dc2', 'dc1', 'dc2.heartbeats'],
    ])

    // A planned switch while MM2 runs: drained at once, and the switch reports what it left behind.
    const planned = await dr.failover('dc2', { reason: 'planned', drain: { maxLagMs: 3000, timeoutMs: 15_000 } })
    expect(planned.from).toBe('dc1')
    expect(planned.to).toBe('dc2')
    expect(planned.drain!.lagMs!).toBeLessThanOrEqual(3000)
    await waitFor('failover:complete', () => completed.length === 1, 10_000, 50)
    expect(completed[0]!.replicationLagMs).toBeDefined()
    expect(completed[0]!.replicationLagMs!).toBeLessThan(THRESHOLD_MS)
    console.log(
      `planned switch: drained in ${planned.drain!.waitedMs} ms at ${planned.drain!.lagMs} ms lag; failover:complete replicationLagMs ${completed[0]!.replicationLagMs}`,
    )

    // MM2 stopped: dc2 -> dc1 falls behind, the event fires, and a planned switch back refuses.
    await bed().stopReplication()
    const stoppedAt = Date.now()
    // Checks made since: the flow may have lagged once already at the start (see above).
    const event = await waitFor(
      'replication:lagging for dc2 -> dc1',
      () => lagging.find((e) => e.source === 'dc2' && e.target === 'dc1' && e.timestamp >= stoppedAt),
      30_000,
      100,
    )
    expect(event.lagMs).toBeGreaterThan(THRESHOLD_MS)
    expect(event.thresholdMs).toBe(THRESHOLD_MS)
    expect(client.status().replication.find((f) => f.source === 'dc2')!.lagging).toBe(true)
    const refusedAt = Date.now()
    const refusal = await client.failover('dc1', { drain: { maxLagMs: 2000, timeoutMs: 3000 } }).then(
      () => undefined,
      (error: unknown) => error,
    )
    const waitedMs = Date.now() - refusedAt
    expect(refusal).toBeInstanceOf(DrainTimeoutError)
    expect((refusal as DrainTimeoutError).lagMs!).toBeGreaterThan(2000)
    expect((refusal as Error).message).toMatch(
      /Planned switch dc2 -> dc1 not made: replication dc2 -> dc1 was still \d+ ms behind after 3000 ms/,
    )
    expect(waitedMs).toBeGreaterThanOrEqual(3000)
    expect(client.activeCluster).toBe('dc2')
    console.log(
      `MM2 stopped: lagging after ${event.timestamp - stoppedAt} ms at ${event.lagMs} ms; drain refused after ${waitedMs} ms: ${(refusal as Error).message}`,
    )

    // MM2 back: the flow recovers and the same planned switch drains.
    const restartedAt = Date.now()
    await bed().startReplication()
    const back = await waitFor(
      'replication:recovered for dc2 -> dc1',
      () => recovered.find((e) => e.source === 'dc2' && e.target === 'dc1' && e.timestamp >= restartedAt),
      90_000,
      200,
    )
    expect(back.lagMs).toBeLessThanOrEqual(THRESHOLD_MS)
    const again = await client.failover('dc1', { drain: { maxLagMs: 3000, timeoutMs: 30_000 } })
    expect(again.drain!.lagMs!).toBeLessThanOrEqual(3000)
    expect(client.activeCluster).toBe('dc1')
    console.log(
      `MM2 started: recovered after ${back.timestamp - stoppedAt} ms from the stop; second planned switch drained in ${again.drain!.waitedMs} ms`,
    )
  })
})
