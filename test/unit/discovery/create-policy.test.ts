import { describe, expect, it } from 'vitest'
import type { ClusterConnection } from '../../../src/cluster/index.js'
import { createPolicy, type ResolvedDiscoveryOptions } from '../../../src/discovery/create-policy.js'
import { DeclaredPolicy } from '../../../src/discovery/declared.js'
import type { DiscoveryPolicy, DiscoveryView } from '../../../src/discovery/types.js'

const NOW = 1_000_000
const DEFAULTS: ResolvedDiscoveryOptions = {
  policy: 'priority',
  autoFailback: true,
  failbackDelayMs: 30_000,
  controlTopic: 'kafkajs-dr.control',
  decideTimeoutMs: 30_000,
}
const clusters = [
  { name: 'dc1', priority: 1 },
  { name: 'dc2', priority: 2 },
] as unknown as ClusterConnection[]

/** dc1 up for `dc1UpForMs`, dc2 up for an hour and active. */
function failbackView(dc1UpForMs: number): DiscoveryView {
  return {
    now: NOW,
    active: 'dc2',
    clusters: [
      { name: 'dc1', priority: 1, local: false, health: 'up', since: NOW - dc1UpForMs },
      { name: 'dc2', priority: 2, local: false, health: 'up', since: NOW - 3_600_000 },
    ],
  }
}

describe('createPolicy', () => {
  it('builds the priority policy with the failback options', async () => {
    const policy = createPolicy({ ...DEFAULTS, failbackDelayMs: 10_000 }, clusters, 1500)
    expect(policy.name).toBe('priority')
    expect(await policy.decide(failbackView(10_000))).toBe('dc1')
    expect(await policy.decide(failbackView(9_999))).toBe('dc2')
  })

  it('passes autoFailback: false on to the priority policy', async () => {
    const policy = createPolicy({ ...DEFAULTS, autoFailback: false }, clusters, 1500)
    expect(await policy.decide(failbackView(3_600_000))).toBe('dc2')
  })

  it('builds the sticky policy', async () => {
    const policy = createPolicy({ ...DEFAULTS, policy: 'sticky' }, clusters, 1500)
    expect(policy.name).toBe('sticky')
    expect(await policy.decide(failbackView(3_600_000))).toBe('dc2')
  })

  it('builds the declared policy', () => {
    const policy = createPolicy({ ...DEFAULTS, policy: 'declared' }, clusters, 1500)
    expect(policy).toBeInstanceOf(DeclaredPolicy)
    expect(policy.name).toBe('declared')
  })

  it('wraps a function, named after it', async () => {
    function byDns(): string {
      return 'dc2'
    }
    const policy = createPolicy({ ...DEFAULTS, policy: byDns }, clusters, 1500)
    expect(policy.name).toBe('byDns')
    expect(policy.decide).toBe(byDns)
  })

  it('names an anonymous function custom', () => {
    const policy = createPolicy({ ...DEFAULTS, policy: [() => 'dc1'][0]! }, clusters, 1500)
    expect(policy.name).toBe('custom')
  })

  it('uses a policy object as given', () => {
    const given: DiscoveryPolicy = { name: 'consul', decide: () => 'dc1' }
    expect(createPolicy({ ...DEFAULTS, policy: given }, clusters, 1500)).toBe(given)
  })
})
