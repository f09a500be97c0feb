/**
 * What `failover()` tells its caller (issue #24): a switch where a participant failed rejects
 * with a FailoverError naming it, and one that succeeds lists the participants that moved. The
 * clusters are simulated (../helpers/simulated-clusters.ts), always up; real timers.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { MultiClusterKafka } from '../../../src/client/multi-cluster-kafka.js'
import type { MultiClusterKafkaOptions } from '../../../src/client/types.js'
import { FailoverError, NotConnectedError } from '../../../src/errors/index.js'
import { internalsOf } from '../../helpers/client-internals.js'
import { SimCluster, simKafka } from '../helpers/simulated-clusters.js'

const clients: MultiClusterKafka[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((dr) => dr.disconnect()))
})

async function connected(extra: Partial<MultiClusterKafkaOptions> = {}): Promise<MultiClusterKafka> {
  const now = Date.now()
  const dr = new MultiClusterKafka({
    clusters: {
      dc1: { kafka: simKafka(new SimCluster('dc1', [{ state: 'up', ms: 1 }], now), 0), priority: 1 },
      dc2: { kafka: simKafka(new SimCluster('dc2', [{ state: 'up', ms: 1 }], now), 0), priority: 2 },
    },
    health: { intervalMs: 60_000 },
    replicationLag: false,
    teardownTimeoutMs: 1000,
    ...extra,
  })
  clients.push(dr)
  await dr.connect()
  return dr
}

describe('MultiClusterKafka.failover outcome', () => {
  it('rejects with a FailoverError naming each participant that failed, and lists those that moved when it succeeds', async () => {
    const dr = await connected()
    expect(dr.activeCluster).toBe('dc1')
    const refused = new Error('no checkpoint for orders[1]')
    const ctx = internalsOf(dr).context
    ctx.addParticipant({ name: "consumer 'a'", onSwitch: async () => {} })
    ctx.addParticipant({
      name: "consumer 'b'",
      onSwitch: async ({ to }) => {
        if (to === 'dc2') throw refused
      },
    })
    const failed: unknown[] = []
    dr.on('failover:failed', (e) => failed.push(e.error))

    const error = await dr.failover('dc2').then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(FailoverError)
    expect(error).toMatchObject({
      code: 'ERR_FAILOVER_FAILED',
      cluster: 'dc2',
      cause: refused,
      errors: [refused],
      participants: [{ participant: "consumer 'b'", error: refused }],
    })
    expect((error as Error).message).toMatch(/consumer 'b': .*no checkpoint for orders\[1\]/)
    expect(failed).toEqual([error])
    expect(dr.activeCluster).toBe('dc2')

    await expect(dr.failover('dc1')).resolves.toEqual({ from: 'dc2', to: 'dc1', moved: ["consumer 'a'", "consumer 'b'"] })
    await expect(dr.failover('dc1')).resolves.toEqual({ from: 'dc1', to: 'dc1', moved: [] })
  })

  it("stops waiting for a planned switch's drain when the client is disconnected", async () => {
    // The simulated clusters have no heartbeats topic: the flow dc1 -> dc2 is never read, so the drain waits.
    const dr = await connected({ replicationLag: { thresholdMs: 10_000 } })
    const draining = dr.failover('dc2', { drain: { timeoutMs: 60_000 } }).then(
      () => undefined,
      (e: unknown) => e,
    )
    await new Promise((resolve) => setTimeout(resolve, 50))
    await dr.disconnect()
    const outcome = await Promise.race([draining, new Promise((resolve) => setTimeout(() => resolve('still draining'), 1500))])
    expect(outcome).toBeInstanceOf(NotConnectedError)
    expect(dr.activeCluster).toBe('dc1')
  })

  it('rejects a switch that a switch to another cluster replaced before it began', async () => {
    const dr = await connected()
    let release = (): void => {}
    const ctx = internalsOf(dr).context
    ctx.addParticipant({
      name: "consumer 'slow'",
      onSwitch: ({ to }) =>
        to === 'dc2'
          ? new Promise<void>((resolve) => {
              release = resolve
            })
          : Promise.resolve(),
    })
    const first = dr.failover('dc2')
    await new Promise((resolve) => setImmediate(resolve))
    const second = dr.failover('dc1').then(
      () => undefined,
      (e: unknown) => e,
    )
    const third = dr.failover('dc2')
    await new Promise((resolve) => setImmediate(resolve))
    release()
    await expect(first).resolves.toMatchObject({ to: 'dc2', moved: ["consumer 'slow'"] })
    await expect(third).resolves.toMatchObject({ to: 'dc2' })
    const replaced = await second
    expect(replaced).toBeInstanceOf(FailoverError)
    expect((replaced as Error).message).toMatch(/replaced by a switch to 'dc2'/)
  })
})
