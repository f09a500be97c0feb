import { describe, expect, it } from 'vitest'
import { InvalidOptionError, UnknownClusterError } from '../../../src/errors/index.js'
import {
  DefaultReplicationPolicy,
  IdentityReplicationPolicy,
  createReplicationPolicy,
  translatePhysicalTopic,
} from '../../../src/topology/index.js'
import type { ReplicationPolicy } from '../../../src/topology/index.js'

const two = ['dc1', 'dc2'] as const
const three = ['dc1', 'dc2', 'dc3'] as const

function invalidOption(fn: () => unknown): InvalidOptionError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError)
    return error as InvalidOptionError
  }
  throw new Error('expected an InvalidOptionError')
}

describe('DefaultReplicationPolicy', () => {
  const policy = new DefaultReplicationPolicy({ clusters: two })

  it('names local data plainly and remote data with the origin prefix', () => {
    expect(policy.physicalTopic('orders', 'dc1', 'dc1')).toBe('orders')
    expect(policy.physicalTopic('orders', 'dc1', 'dc2')).toBe('dc1.orders')
    expect(policy.physicalTopic('orders', 'dc2', 'dc1')).toBe('dc2.orders')
  })

  it('parses prefixed names back to origin and logical topic', () => {
    expect(policy.parse('dc1.orders', 'dc2')).toEqual({ logicalTopic: 'orders', originCluster: 'dc1' })
    expect(policy.parse('orders', 'dc2')).toEqual({ logicalTopic: 'orders', originCluster: 'dc2' })
    expect(policy.parse('dc2.orders', 'dc1')).toEqual({ logicalTopic: 'orders', originCluster: 'dc2' })
  })

  it('keeps a logical topic that contains the separator intact', () => {
    expect(policy.physicalTopic('orders.v2', 'dc1', 'dc2')).toBe('dc1.orders.v2')
    expect(policy.parse('dc1.orders.v2', 'dc2')).toEqual({ logicalTopic: 'orders.v2', originCluster: 'dc1' })
  })

  it('reads a prefix that is not a known cluster as part of a local name', () => {
    expect(policy.parse('foo.bar', 'dc1')).toEqual({ logicalTopic: 'foo.bar', originCluster: 'dc1' })
    expect(policy.parse('dc9.orders', 'dc1')).toEqual({ logicalTopic: 'dc9.orders', originCluster: 'dc1' })
  })

  it("reads the cluster's own name as a prefix as a local topic (MM2 never replicates back)", () => {
    expect(policy.parse('dc1.orders', 'dc1')).toEqual({ logicalTopic: 'dc1.orders', originCluster: 'dc1' })
  })

  it('does not treat a leading or trailing separator as a prefix', () => {
    expect(policy.parse('.orders', 'dc1')).toEqual({ logicalTopic: '.orders', originCluster: 'dc1' })
    expect(policy.parse('dc2.', 'dc1')).toEqual({ logicalTopic: 'dc2.', originCluster: 'dc1' })
  })

  it('follows multi-hop names to the first origin, like MM2 originalTopic', () => {
    const p = new DefaultReplicationPolicy({ clusters: three })
    expect(p.parse('dc1.dc3.orders', 'dc2')).toEqual({ logicalTopic: 'orders', originCluster: 'dc3' })
  })

  it('lists every copy of a logical topic visible on a cluster, local first', () => {
    const p = new DefaultReplicationPolicy({ clusters: three })
    expect(p.physicalTopicsFor('orders', 'dc2', three)).toEqual(['orders', 'dc1.orders', 'dc3.orders'])
    expect(policy.physicalTopicsFor('orders', 'dc1', two)).toEqual(['orders', 'dc2.orders'])
  })

  it('uses a custom separator both ways', () => {
    const p = new DefaultReplicationPolicy({ clusters: two, separator: '__' })
    expect(p.separator).toBe('__')
    expect(p.physicalTopic('orders', 'dc1', 'dc2')).toBe('dc1__orders')
    expect(p.parse('dc1__orders', 'dc2')).toEqual({ logicalTopic: 'orders', originCluster: 'dc1' })
    expect(p.parse('dc1.orders', 'dc2')).toEqual({ logicalTopic: 'dc1.orders', originCluster: 'dc2' })
  })

  it('rejects clusters it does not know', () => {
    expect(() => policy.physicalTopic('orders', 'dc3', 'dc1')).toThrow(UnknownClusterError)
    expect(() => policy.parse('orders', 'dc3')).toThrow(UnknownClusterError)
  })

  it('rejects a cluster name containing the separator, naming the path', () => {
    const error = invalidOption(() => new DefaultReplicationPolicy({ clusters: ['us.west', 'us.east'] }))
    expect(error.path).toBe('replication.separator')
    expect(error.message).toContain('`replication.separator`')
    expect(error.message).toContain("'us.west'")
  })

  it('rejects a separator with characters illegal in topic names', () => {
    expect(invalidOption(() => new DefaultReplicationPolicy({ clusters: two, separator: '/' })).path).toBe('replication.separator')
  })
})

describe('IdentityReplicationPolicy', () => {
  const policy = new IdentityReplicationPolicy()

  it('uses the same name on every cluster, whatever the origin', () => {
    expect(policy.physicalTopic('orders', 'dc1', 'dc2')).toBe('orders')
    expect(policy.physicalTopic('orders', 'dc2', 'dc2')).toBe('orders')
    expect(policy.physicalTopicsFor('orders', 'dc1', two)).toEqual(['orders'])
  })

  it('cannot tell the origin from the name, so reports the cluster read on', () => {
    expect(policy.parse('dc2.orders', 'dc1')).toEqual({ logicalTopic: 'dc2.orders', originCluster: 'dc1' })
  })
})

describe('translatePhysicalTopic', () => {
  const prefix2 = new DefaultReplicationPolicy({ clusters: two })
  const prefix3 = new DefaultReplicationPolicy({ clusters: three })

  it('maps a replica back to its source and a source to its replica (2 clusters)', () => {
    expect(translatePhysicalTopic('dc2.orders', 'dc1', 'dc2', prefix2)).toBe('orders')
    expect(translatePhysicalTopic('orders', 'dc1', 'dc2', prefix2)).toBe('dc1.orders')
  })

  it('is symmetric: translating back gives the original name', () => {
    for (const topic of ['orders', 'dc2.orders']) {
      const there = translatePhysicalTopic(topic, 'dc1', 'dc2', prefix2)
      expect(translatePhysicalTopic(there, 'dc2', 'dc1', prefix2)).toBe(topic)
    }
  })

  it("maps a third cluster's replica to that cluster's replica (3 clusters)", () => {
    expect(translatePhysicalTopic('dc3.orders', 'dc1', 'dc2', prefix3)).toBe('dc3.orders')
    expect(translatePhysicalTopic('dc3.orders', 'dc1', 'dc3', prefix3)).toBe('orders')
    expect(translatePhysicalTopic('orders', 'dc1', 'dc3', prefix3)).toBe('dc1.orders')
  })

  it('keeps names unchanged under the identity policy', () => {
    expect(translatePhysicalTopic('orders', 'dc1', 'dc2', new IdentityReplicationPolicy())).toBe('orders')
  })
})

describe('createReplicationPolicy', () => {
  it('builds the prefix policy by default and by name', () => {
    expect(createReplicationPolicy(undefined, two)).toBeInstanceOf(DefaultReplicationPolicy)
    const policy = createReplicationPolicy('prefix', two)
    expect(policy.name).toBe('prefix')
    expect(policy.physicalTopic('orders', 'dc1', 'dc2')).toBe('dc1.orders')
  })

  it('builds the identity policy by name', () => {
    expect(createReplicationPolicy('identity', two)).toBeInstanceOf(IdentityReplicationPolicy)
  })

  it('builds a prefix policy with a custom separator', () => {
    const policy = createReplicationPolicy({ type: 'prefix', separator: '_' }, two)
    expect(policy.physicalTopic('orders', 'dc1', 'dc2')).toBe('dc1_orders')
  })

  it('returns a custom policy object as given', () => {
    const custom: ReplicationPolicy = {
      name: 'custom',
      physicalTopic: (topic, origin, on) => (origin === on ? topic : `${topic}-from-${origin}`),
      parse: (topic, on) => ({ logicalTopic: topic, originCluster: on }),
      physicalTopicsFor: (topic) => [topic],
    }
    expect(createReplicationPolicy(custom, two)).toBe(custom)
    const instance = new IdentityReplicationPolicy()
    expect(createReplicationPolicy(instance, two)).toBe(instance)
  })

  it('rejects an unknown policy name, naming the path', () => {
    const error = invalidOption(() => createReplicationPolicy('mirror' as never, two))
    expect(error.path).toBe('replication')
    expect(error.message).toBe("Expected `replication` to be one of 'prefix', 'identity', got 'mirror'")
  })

  it('rejects values of the wrong type', () => {
    expect(invalidOption(() => createReplicationPolicy(42 as never, two)).path).toBe('replication')
    expect(invalidOption(() => createReplicationPolicy(null as never, two)).path).toBe('replication')
  })

  it('rejects unknown keys, a missing or wrong type and a bad separator', () => {
    expect(invalidOption(() => createReplicationPolicy({ type: 'prefix', sep: '_' } as never, two)).path).toBe('replication.sep')
    expect(invalidOption(() => createReplicationPolicy({ separator: '_' } as never, two)).path).toBe('replication.type')
    expect(invalidOption(() => createReplicationPolicy({ type: 'identity' } as never, two)).path).toBe('replication.type')
    expect(invalidOption(() => createReplicationPolicy({ type: 'prefix', separator: '' }, two)).path).toBe('replication.separator')
  })

  it('rejects a custom policy missing a method', () => {
    const broken = { name: 'broken', physicalTopic: () => 'x', parse: 'nope' }
    const error = invalidOption(() => createReplicationPolicy(broken as never, two))
    expect(error.path).toBe('replication.parse')
    expect(error.message).toContain('a function')
  })

  it('rejects an empty or repeated cluster list', () => {
    expect(invalidOption(() => createReplicationPolicy('prefix', [])).path).toBe('clusters')
    expect(invalidOption(() => createReplicationPolicy('prefix', ['dc1', 'dc1'])).path).toBe('clusters[1]')
  })
})
