import { describe, expect, it } from 'vitest'
import type { Kafka } from 'kafkajs'
import kafkajs from 'kafkajs'
import { removeGroupMembers } from '../../../src/cluster/leave-group.js'

/** A stand-in for a kafkajs `Kafka` with the private cluster factory kafkajs keeps. */
function fakeKafka(leave: (memberId: string) => Promise<void>) {
  const calls: string[] = []
  const kafka = {
    [Symbol('private:Kafka:createCluster')]: () => ({
      connect: async () => { calls.push('connect') },
      disconnect: async () => { calls.push('disconnect') },
      findGroupCoordinator: async ({ groupId }: { groupId: string }) => ({
        leaveGroup: async (request: { groupId: string, memberId: string }) => {
          calls.push(`leave ${groupId} ${request.memberId}`)
          await leave(request.memberId)
        },
      }),
    }),
  }
  return { kafka: kafka as unknown as Kafka, calls }
}

describe('removeGroupMembers', () => {
  it('sends LeaveGroup for each member through the client\'s own cluster, and tells which ones left', async () => {
    const { kafka, calls } = fakeKafka(async (id) => { if (id === 'gone') throw new Error('UNKNOWN_MEMBER_ID') })
    expect(await removeGroupMembers(kafka, 'g', ['m1', 'gone', 'm2'], 1000)).toEqual(['m1', 'm2'])
    await new Promise((r) => setImmediate(r))
    expect(calls).toEqual(['connect', 'leave g m1', 'leave g gone', 'leave g m2', 'disconnect'])
  })

  it('gives up at the bound without rejecting', async () => {
    const { kafka } = fakeKafka(() => new Promise(() => {}))
    expect(await removeGroupMembers(kafka, 'g', ['m1'], 50)).toEqual([])
  })

  it('finds the factory on a real kafkajs client, and does nothing without one or without members', async () => {
    const real = new kafkajs.Kafka({ brokers: ['127.0.0.1:1'] })
    expect(Object.getOwnPropertySymbols(real).map((s) => s.description)).toContain('private:Kafka:createCluster')
    expect(await removeGroupMembers(real, 'g', [], 1000)).toEqual([])
    expect(await removeGroupMembers({} as Kafka, 'g', ['m1'], 1000)).toEqual([])
  })
})
