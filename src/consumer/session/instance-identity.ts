/**
 * A consumer instance's identity in its group (`instanceId`, see `FailoverConsumerConfig`): the
 * stable id the application gives (a StatefulSet pod name), and an incarnation drawn once per
 * `FailoverConsumer` object. It travels in the `userData` of the member metadata of the
 * consumer's own assigner, which every member of the group can read back with `DescribeGroups`.
 *
 * Wire format (version 1): the UTF-8 bytes of the JSON object
 * `{"v":1,"instanceId":"<id>","incarnation":"<uuid>"}`. A reader ignores what it cannot decode
 * (empty `userData` of older members, another assigner's bytes, another version).
 *
 * @module
 */
import kafkajs from 'kafkajs'

const { AssignerProtocol } = kafkajs

/** Version of the `userData` encoding written by {@link encodeInstanceIdentity}. */
export const INSTANCE_IDENTITY_VERSION = 1

/** Who a member of the group is: see the module description. */
export interface InstanceIdentity {
  /** The application's stable id of the instance (`instanceId`). */
  instanceId: string
  /** Drawn once per consumer object: a restarted process has a new one. */
  incarnation: string
}

/** The `userData` bytes of `identity` (see the module description for the format). */
export function encodeInstanceIdentity(identity: InstanceIdentity): Buffer {
  return Buffer.from(
    JSON.stringify({ v: INSTANCE_IDENTITY_VERSION, instanceId: identity.instanceId, incarnation: identity.incarnation }),
    'utf8',
  )
}

/** The identity in `userData`, or undefined for empty bytes, garbage, or another version. */
export function decodeInstanceIdentity(userData: Buffer | null | undefined): InstanceIdentity | undefined {
  // `{` first: skips other assigners' binary userData without a parse attempt.
  if (!userData || userData.length === 0 || userData[0] !== 0x7b) return undefined
  let value: unknown
  try {
    value = JSON.parse(userData.toString('utf8'))
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const { v, instanceId, incarnation } = value as Record<string, unknown>
  if (
    v !== INSTANCE_IDENTITY_VERSION ||
    typeof instanceId !== 'string' ||
    typeof incarnation !== 'string' ||
    instanceId === '' ||
    incarnation === ''
  )
    return undefined
  return { instanceId, incarnation }
}

/** The identity in a member's `memberMetadata` (as `DescribeGroups` returns it), if it carries one. */
export function identityOfMember(memberMetadata: Buffer | null | undefined): InstanceIdentity | undefined {
  if (!memberMetadata || memberMetadata.length === 0) return undefined
  try {
    return decodeInstanceIdentity(AssignerProtocol.MemberMetadata.decode(memberMetadata)?.userData)
  } catch {
    return undefined
  }
}

/** A member of the group as described, with the identity found in its metadata. */
export interface DescribedMember {
  memberId: string
  identity: InstanceIdentity | undefined
}

/** What to do about the group's other members that carry our `instanceId`. */
export interface MemberVerdict {
  /** Former members to remove: another incarnation of this instance, not removed before. */
  remove: DescribedMember[]
  /** Members that are alive with our `instanceId`: two instances configured with one id. */
  conflicts: DescribedMember[]
}

/**
 * Sorts the group's members that carry `own.instanceId` under another incarnation. Pure.
 *
 * Such a member is a former process of this instance (a killed pod whose session has not timed
 * out) unless its incarnation was removed once already on this cluster: then it came back, so it
 * is alive, and is a conflict, never removed twice (two live instances must not fight). The rule
 * holds after a join too: a process killed while its JoinGroup was pending is taken into the
 * rebalance by the coordinator and stays a member, dead, until its session times out.
 *
 * @param removed - incarnations removed on this cluster before
 */
export function judgeMembers(members: readonly DescribedMember[], own: InstanceIdentity, removed: ReadonlySet<string>): MemberVerdict {
  const verdict: MemberVerdict = { remove: [], conflicts: [] }
  for (const member of members) {
    const { identity } = member
    if (identity === undefined || identity.instanceId !== own.instanceId || identity.incarnation === own.incarnation) continue
    if (removed.has(identity.incarnation)) verdict.conflicts.push(member)
    else verdict.remove.push(member)
  }
  return verdict
}
