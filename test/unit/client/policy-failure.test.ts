/**
 * A discovery policy that fails (issue #24): a start() that rejects makes connect() reject with a
 * DiscoveryPolicyError and leaves the client able to connect again; a decide() that never settles
 * is reported by `discovery:policy-failed` and does not freeze discovery. Simulated clusters
 * (../helpers/simulated-clusters.ts), always up; real timers.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { MultiClusterKafka } from '../../../src/client/multi-cluster-kafka.js'
import type { MultiClusterKafkaOptions } from '../../../src/client/types.js'
import type { DiscoveryPolicyFailedEvent } from '../../../src/client/events.js'
import { DiscoveryPolicyError } from '../../../src/errors/index.js'
import type { DiscoveryPolicy } from '../../../src/discovery/types.js'
import { SimCluster, simKafka } from '../helpers/simulated-clusters.js'

const clients: MultiClusterKafka[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((dr) => dr.disconnect()))
})

function client(policy: DiscoveryPolicy, extra: Partial<MultiClusterKafkaOptions> = {}): MultiClusterKafka {
  const now = Date.now()
  const dr = new MultiClusterKafka({
    clusters: {
      dc1: { kafka: simKafka(new SimCluster('dc1', [{ state: 'up', ms: 1 }], now), 0), priority: 1 },
      dc2: { kafka: simKafka(new SimCluster('dc2', [{ state: 'up', ms: 1 }], now), 0), priority: 2 },
    },
    health: { intervalMs: 50 },
    replicationLag: false,
    teardownTimeoutMs: 1000,
    connectTimeoutMs: 2000,
    ...extra,
    discovery: { policy, ...extra.discovery },
  })
  clients.push(dr)
  return dr
}

describe('MultiClusterKafka with a failing discovery policy', () => {
  it("connect() rejects with a DiscoveryPolicyError when the policy's start() rejects, and can be tried again", async () => {
    const refused = new Error('service registry unreachable')
    let starts = 0
    const dr = client({
      name: 'registry',
      decide: () => 'dc1',
      start: async () => {
        if (++starts === 1) throw refused
      },
    })
    const error = await dr.connect().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(DiscoveryPolicyError)
    expect(error).toMatchObject({ code: 'ERR_DISCOVERY_POLICY', policy: 'registry', operation: 'start', cause: refused })
    await dr.connect()
    expect(dr.activeCluster).toBe('dc1')
  })

  it('reports a decision that never settles by discovery:policy-failed, and goes on deciding', async () => {
    let calls = 0
    const dr = client(
      { name: 'registry', decide: () => (++calls === 1 ? new Promise<string>(() => {}) : 'dc1') },
      { discovery: { decideTimeoutMs: 50 } },
    )
    const failed: DiscoveryPolicyFailedEvent[] = []
    dr.on('discovery:policy-failed', (e) => failed.push(e))
    await dr.connect()
    expect(dr.activeCluster).toBe('dc1')
    expect(failed).toHaveLength(1)
    expect(failed[0]).toMatchObject({
      policy: 'registry',
      timedOut: true,
      error: expect.objectContaining({ code: 'ERR_DISCOVERY_POLICY', operation: 'decide' }),
    })
  })
})
