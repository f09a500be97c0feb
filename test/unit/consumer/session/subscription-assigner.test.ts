import kafkajs from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { decodeInstanceIdentity } from '../../../../src/consumer/session/instance-identity.js'
import {
  assignBySubscription,
  createSubscriptionAssigner,
  subscriptionAssigner,
  SUBSCRIPTION_ASSIGNER_NAME,
} from '../../../../src/consumer/session/subscription-assigner.js'

const { AssignerProtocol } = kafkajs

describe('assignBySubscription', () => {
  it('gives each member only partitions of topics it subscribed to, every partition to someone', () => {
    // An instance of a direct dual-read: one member reads dc1's `orders`, another `dc2.orders`; a second instance likewise.
    const subscriptions = new Map([
      ['a-orders', ['orders']],
      ['a-dc2', ['dc2.orders']],
      ['b-orders', ['orders']],
      ['b-dc2', ['dc2.orders']],
    ])
    const partitions = new Map([
      ['orders', [0, 1, 2, 3]],
      ['dc2.orders', [0, 1, 2]],
    ])
    const assignment = assignBySubscription(subscriptions, partitions)
    expect(assignment.get('a-orders')).toEqual({ orders: [0, 2] })
    expect(assignment.get('b-orders')).toEqual({ orders: [1, 3] })
    expect(assignment.get('a-dc2')).toEqual({ 'dc2.orders': [0, 2] })
    expect(assignment.get('b-dc2')).toEqual({ 'dc2.orders': [1] })
  })

  it('balances members that read several topics across them, and leaves topics nobody reads unassigned', () => {
    const subscriptions = new Map([
      ['m1', ['t1', 't2']],
      ['m2', ['t1', 't2']],
      ['m3', ['t2']],
    ])
    const partitions = new Map([
      ['t1', [0, 1]],
      ['t2', [0, 1, 2, 3]],
      ['t3', [0]],
    ])
    const assignment = assignBySubscription(subscriptions, partitions)
    const counts = [...assignment.values()].map((a) => Object.values(a).flat().length)
    expect(counts.reduce((x, y) => x + y, 0)).toBe(6)
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1)
    expect(assignment.get('m3')!.t1).toBeUndefined()
    expect([...assignment.values()].some((a) => a.t3 !== undefined)).toBe(false)
  })
})

describe('subscriptionAssigner (the kafkajs assigner)', () => {
  it("reads every member's subscription, loads metadata of all their topics, and encodes the assignment", async () => {
    const loaded: string[][] = []
    const cluster = {
      addMultipleTargetTopics: async (topics: string[]) => {
        loaded.push(topics)
      },
      findTopicPartitionMetadata: (topic: string) => (topic === 'orders' ? [{ partitionId: 1 }, { partitionId: 0 }] : [{ partitionId: 0 }]),
    }
    const assigner = subscriptionAssigner({ cluster, groupId: 'g', logger: {} } as never)
    expect(assigner.name).toBe(SUBSCRIPTION_ASSIGNER_NAME)
    const member = (memberId: string, topics: string[]) => ({ memberId, memberMetadata: assigner.protocol({ topics }).metadata })
    // The leader subscribed only to `orders`: kafkajs would assign only that topic, to both.
    const result = await assigner.assign({ members: [member('leader', ['orders']), member('other', ['dc2.orders'])], topics: ['orders'] })
    expect(loaded).toEqual([['orders', 'dc2.orders']])
    const decoded = Object.fromEntries(
      result.map((r) => [r.memberId, AssignerProtocol.MemberAssignment.decode(r.memberAssignment)!.assignment]),
    )
    expect(decoded).toEqual({ leader: { orders: [0, 1] }, other: { 'dc2.orders': [0] } })
  })
  it('assigns a topic whose metadata cannot be loaded (deleted meanwhile) to nobody, instead of failing the join', async () => {
    const cluster = {
      addMultipleTargetTopics: async (topics: string[]) => {
        if (topics.includes('gone')) throw new Error('UNKNOWN_TOPIC_OR_PARTITION')
      },
      findTopicPartitionMetadata: (topic: string) => {
        if (topic === 'gone') throw new Error('not loaded')
        return [{ partitionId: 0 }]
      },
    }
    const assigner = subscriptionAssigner({ cluster, groupId: 'g', logger: {} } as never)
    const member = (memberId: string, topics: string[]) => ({ memberId, memberMetadata: assigner.protocol({ topics }).metadata })
    const result = await assigner.assign({ members: [member('a', ['orders', 'gone'])], topics: ['orders'] })
    expect(AssignerProtocol.MemberAssignment.decode(result[0]!.memberAssignment)!.assignment).toEqual({ orders: [0] })
  })
})

describe('createSubscriptionAssigner (with an instance identity)', () => {
  const cluster = {
    addMultipleTargetTopics: async () => {},
    findTopicPartitionMetadata: () => [{ partitionId: 0 }, { partitionId: 1 }, { partitionId: 2 }],
  }
  const identity = { instanceId: 'billing-0', incarnation: '2f1c7a52-7c2e-4c55-9d7e-6a1b0b7c1d3e' }

  it('puts the identity into its member metadata, beside the topics', () => {
    const assigner = createSubscriptionAssigner(identity)({ cluster, groupId: 'g', logger: {} } as never)
    const metadata = AssignerProtocol.MemberMetadata.decode(assigner.protocol({ topics: ['orders'] }).metadata)!
    expect(metadata.topics).toEqual(['orders'])
    expect(decodeInstanceIdentity(metadata.userData)).toEqual(identity)
    // Without an identity: empty userData, as before.
    const plain = subscriptionAssigner({ cluster, groupId: 'g', logger: {} } as never)
    expect(AssignerProtocol.MemberMetadata.decode(plain.protocol({ topics: ['orders'] }).metadata)!.userData).toHaveLength(0)
  })

  it('assigns exactly as the assigner without identity does, with members of both kinds', async () => {
    const withId = createSubscriptionAssigner(identity)({ cluster, groupId: 'g', logger: {} } as never)
    const plain = subscriptionAssigner({ cluster, groupId: 'g', logger: {} } as never)
    const members = [
      { memberId: 'a', memberMetadata: withId.protocol({ topics: ['orders'] }).metadata },
      { memberId: 'b', memberMetadata: plain.protocol({ topics: ['orders'] }).metadata },
    ]
    const decode = (result: Array<{ memberId: string; memberAssignment: Buffer }>) =>
      result.map((r) => [r.memberId, AssignerProtocol.MemberAssignment.decode(r.memberAssignment)!.assignment])
    const ours = decode(await withId.assign({ members, topics: ['orders'] }))
    expect(ours).toEqual(decode(await plain.assign({ members, topics: ['orders'] })))
    expect(ours).toEqual([
      ['a', { orders: [0, 2] }],
      ['b', { orders: [1] }],
    ])
  })
})
