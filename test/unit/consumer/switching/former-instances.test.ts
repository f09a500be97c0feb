import kafkajs from 'kafkajs'
import { describe, expect, it, vi } from 'vitest'
import type { FailoverContext } from '../../../../src/cluster/index.js'
import { encodeInstanceIdentity, type InstanceIdentity } from '../../../../src/consumer/session/instance-identity.js'
import { FormerInstances } from '../../../../src/consumer/switching/former-instances.js'

const leaves: Array<{ memberIds: readonly string[]; groupState: string }> = []
let groupState = 'Stable'

vi.mock('../../../../src/cluster/leave-group.js', () => ({
  removeGroupMembers: (_kafka: unknown, _group: string, memberIds: readonly string[]) => {
    leaves.push({ memberIds, groupState })
    return Promise.resolve({ gone: [...memberIds], failed: [] })
  },
}))

const metadata = (identity: InstanceIdentity): Buffer =>
  kafkajs.AssignerProtocol.MemberMetadata.encode({ version: 0, topics: ['orders'], userData: encodeInstanceIdentity(identity) })

/** A cluster whose group holds a dead member of a former incarnation and a survivor. */
function contextWithGroup(): FailoverContext {
  const admin = {
    describeGroups: () =>
      Promise.resolve({
        groups: [
          {
            groupId: 'g',
            state: groupState,
            // Kafka returns member metadata only while the group is Stable.
            members:
              groupState !== 'Stable'
                ? []
                : [
                    { memberId: 'dead', memberMetadata: metadata({ instanceId: 'billing-0', incarnation: 'before' }) },
                    { memberId: 'survivor', memberMetadata: metadata({ instanceId: 'billing-1', incarnation: 'x' }) },
                  ],
          },
        ],
      }),
  }
  return { connection: () => ({ kafka: {}, admin: () => Promise.resolve(admin) }) } as unknown as FailoverContext
}

describe('FormerInstances', () => {
  it('finds a former incarnation before the join and removes it only once the join has reached the group', async () => {
    leaves.length = 0
    groupState = 'Stable'
    const removed: string[][] = []
    const instances = new FormerInstances(
      contextWithGroup(),
      'g',
      { instanceId: 'billing-0', incarnation: 'now' },
      { removed: (e) => removed.push(e.memberIds), conflict: () => {} },
    )
    const removal = await instances.lookBeforeJoin('dc1')
    expect(removal).toBeTypeOf('function')
    removal!()
    await new Promise((resolve) => setTimeout(resolve, 100))
    // Removed while Stable, the survivor could finish a rebalance without the new member.
    expect(leaves).toEqual([])
    groupState = 'PreparingRebalance'
    await vi.waitFor(() => expect(leaves).toEqual([{ memberIds: ['dead'], groupState: 'PreparingRebalance' }]))
    await vi.waitFor(() => expect(removed).toEqual([['dead']]))
  })

  it('finds nothing to remove in a group without former incarnations', async () => {
    groupState = 'Stable'
    const instances = new FormerInstances(
      contextWithGroup(),
      'g',
      { instanceId: 'billing-7', incarnation: 'now' },
      { removed: () => {}, conflict: () => {} },
    )
    expect(await instances.lookBeforeJoin('dc1')).toBeUndefined()
  })

  it('removes anyway when the join does not reach the group in time', async () => {
    leaves.length = 0
    groupState = 'Stable'
    vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] })
    try {
      const instances = new FormerInstances(
        contextWithGroup(),
        'g',
        { instanceId: 'billing-0', incarnation: 'now' },
        { removed: () => {}, conflict: () => {} },
      )
      const removal = await instances.lookBeforeJoin('dc1')
      removal!()
      await vi.advanceTimersByTimeAsync(1900)
      expect(leaves).toEqual([])
      await vi.advanceTimersByTimeAsync(200)
      expect(leaves).toEqual([{ memberIds: ['dead'], groupState: 'Stable' }])
    } finally {
      vi.useRealTimers()
    }
  })
})
