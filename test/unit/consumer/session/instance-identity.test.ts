import kafkajs from 'kafkajs'
import { describe, expect, it } from 'vitest'
import {
  decodeInstanceIdentity,
  encodeInstanceIdentity,
  identityOfMember,
  judgeMembers,
  type DescribedMember,
} from '../../../../src/consumer/session/instance-identity.js'

const { AssignerProtocol } = kafkajs

const me = { instanceId: 'billing-0', incarnation: 'inc-now' }

describe('instance identity in userData', () => {
  it('round-trips, as versioned JSON', () => {
    const bytes = encodeInstanceIdentity(me)
    expect(JSON.parse(bytes.toString('utf8'))).toEqual({ v: 1, instanceId: 'billing-0', incarnation: 'inc-now' })
    expect(decodeInstanceIdentity(bytes)).toEqual(me)
  })

  it.each([
    ['no bytes', undefined],
    ['null', null],
    ["empty bytes (older kafkajs-dr, kafkajs' own assigners)", Buffer.alloc(0)],
    ['binary garbage', Buffer.from([0x00, 0x01, 0xff, 0x7b])],
    ['truncated JSON', encodeInstanceIdentity(me).subarray(0, 20)],
    ['another version', Buffer.from(JSON.stringify({ v: 2, instanceId: 'billing-0', incarnation: 'x' }))],
    ['a missing field', Buffer.from(JSON.stringify({ v: 1, instanceId: 'billing-0' }))],
    ['a field of another type', Buffer.from(JSON.stringify({ v: 1, instanceId: 7, incarnation: 'x' }))],
    ['an empty id', Buffer.from(JSON.stringify({ v: 1, instanceId: '', incarnation: 'x' }))],
    ['an empty object', Buffer.from('{}')],
  ])('ignores %s', (_what, bytes) => {
    expect(decodeInstanceIdentity(bytes)).toBeUndefined()
  })

  it("reads a member's identity from its member metadata, tolerating metadata that is not kafkajs'", () => {
    const metadata = AssignerProtocol.MemberMetadata.encode({ version: 0, topics: ['orders'], userData: encodeInstanceIdentity(me) })
    expect(identityOfMember(metadata)).toEqual(me)
    expect(
      identityOfMember(AssignerProtocol.MemberMetadata.encode({ version: 0, topics: ['orders'], userData: Buffer.alloc(0) })),
    ).toBeUndefined()
    expect(identityOfMember(Buffer.alloc(0))).toBeUndefined()
    expect(identityOfMember(Buffer.from([0x00]))).toBeUndefined()
  })
})

describe('judgeMembers', () => {
  const member = (memberId: string, instanceId?: string, incarnation?: string): DescribedMember => ({
    memberId,
    identity: instanceId === undefined ? undefined : { instanceId, incarnation: incarnation! },
  })
  const group = [
    member('mine', 'billing-0', 'inc-now'),
    member('mine-direct-lane', 'billing-0', 'inc-now'),
    member('killed', 'billing-0', 'inc-before'),
    member('killed-other-lane', 'billing-0', 'inc-before'),
    member('other-instance', 'billing-1', 'inc-x'),
    member('older-release'),
  ]

  it('removes another incarnation of this instance, and nothing else', () => {
    const { remove, conflicts } = judgeMembers(group, me, new Set())
    expect(remove.map((m) => m.memberId)).toEqual(['killed', 'killed-other-lane'])
    expect(conflicts).toEqual([])
  })

  it('never removes an incarnation twice: one seen again came back, alive, a conflict', () => {
    const { remove, conflicts } = judgeMembers(group, me, new Set(['inc-before']))
    expect(remove).toEqual([])
    expect(conflicts.map((m) => m.memberId)).toEqual(['killed', 'killed-other-lane'])
  })

  it("finds nothing in a group of other instances and this incarnation's own members", () => {
    const clean = [member('mine', 'billing-0', 'inc-now'), member('b', 'billing-1', 'inc-y'), member('c')]
    expect(judgeMembers(clean, me, new Set())).toEqual({ remove: [], conflicts: [] })
  })
})
