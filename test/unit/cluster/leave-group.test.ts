import { describe, expect, it } from 'vitest'
import type { Kafka } from 'kafkajs'
import kafkajs from 'kafkajs'
import { removeGroupMembers } from '../../../src/cluster/leave-group.js'

const protocolError = (type: string) => Object.assign(new Error(type), { type })

/** A stand-in for a kafkajs `Kafka` with the private cluster factory kafkajs keeps. */
function fakeKafka(leave: (memberId: string, round: number) => Promise<void>) {
  const calls: string[] = []
  let round = 0
  const kafka = {
    [Symbol('private:Kafka:createCluster')]: () => ({
      connect: async () => {
        calls.push('connect')
      },
      refreshMetadata: async () => {
        calls.push('metadata')
      },
      disconnect: async () => {
        calls.push('disconnect')
      },
      findGroupCoordinator: async ({ groupId }: { groupId: string }) => {
        round++
        return {
          leaveGroup: async (request: { groupId: string; memberId: string }) => {
            calls.push(`leave ${groupId} ${request.memberId}`)
            await leave(request.memberId, round)
          },
        }
      },
    }),
  }
  return { kafka: kafka as unknown as Kafka, calls }
}

describe('removeGroupMembers', () => {
  it("sends LeaveGroup for each member through the client's own cluster; a member unknown to the group is gone already", async () => {
    const { kafka, calls } = fakeKafka(async (id) => {
      if (id === 'gone') throw protocolError('UNKNOWN_MEMBER_ID')
    })
    expect(await removeGroupMembers(kafka, 'g', ['m1', 'gone', 'm2'], 1000)).toEqual({ gone: ['m1', 'gone', 'm2'], failed: [] })
    await new Promise((r) => setImmediate(r))
    expect(calls).toEqual(['connect', 'metadata', 'leave g m1', 'leave g gone', 'leave g m2', 'disconnect'])
  })

  it('tries again, with the coordinator looked up afresh, while a cluster that came back is loading the group', async () => {
    const { kafka, calls } = fakeKafka(async (_, round) => {
      if (round < 3) throw protocolError('COORDINATOR_LOAD_IN_PROGRESS')
    })
    expect(await removeGroupMembers(kafka, 'g', ['m1'], 5000)).toEqual({ gone: ['m1'], failed: [] })
    expect(calls.filter((c) => c.startsWith('leave'))).toHaveLength(3)
  })

  it('gives up at the bound without rejecting, keeps what it could not remove, and sends nothing after', async () => {
    const { kafka, calls } = fakeKafka(async () => {
      throw protocolError('COORDINATOR_LOAD_IN_PROGRESS')
    })
    expect(await removeGroupMembers(kafka, 'g', ['m1', 'm2'], 700)).toEqual({ gone: [], failed: ['m1', 'm2'] })
    const sent = calls.length
    await new Promise((r) => setTimeout(r, 700))
    expect(calls.slice(sent).filter((c) => c.startsWith('leave'))).toEqual([])
    expect(calls).toContain('disconnect')
  })

  it('finds the factory on a real kafkajs client, and does nothing without one or without members', async () => {
    const real = new kafkajs.Kafka({ brokers: ['127.0.0.1:1'] })
    expect(Object.getOwnPropertySymbols(real).map((s) => s.description)).toContain('private:Kafka:createCluster')
    expect(await removeGroupMembers(real, 'g', [], 1000)).toEqual({ gone: [], failed: [] })
    expect(await removeGroupMembers({} as Kafka, 'g', ['m1'], 1000)).toEqual({ gone: [], failed: ['m1'] })
  })
})
