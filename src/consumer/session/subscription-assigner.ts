/**
 * A partition assigner that gives each member only partitions of topics it subscribed to.
 *
 * kafkajs' own assigners assign the group leader's subscription to every member: a member
 * subscribed to other topics gets partitions it drops ("received unsubscribed topics"), and the
 * topics only other members subscribed to are assigned to nobody. The members of one group differ
 * in their topics here by design: with `dualRead: 'direct'` an instance has one session per origin
 * on a cluster (`orders` for the records written there, `dc2.orders` for dc2's), and around a new
 * copy appearing some instances subscribe to it before others.
 *
 * Each topic's partitions go, one at a time, to the member subscribed to the topic that holds the
 * fewest partitions so far (ties: member id order), so every member reading a topic gets its share
 * and the load stays even across topics.
 *
 * With an `instanceId`, each member's metadata carries its identity in `userData` (see
 * `instance-identity.ts`), for the other members to read with `DescribeGroups`; the assignment
 * does not depend on it.
 *
 * @module
 */
import kafkajs from 'kafkajs'
import type { GroupMember, PartitionAssigner } from 'kafkajs'
import { encodeInstanceIdentity, type InstanceIdentity } from './instance-identity.js'

const { AssignerProtocol } = kafkajs

/** Protocol name; kafkajs' `RoundRobinAssigner` is offered after it, so older members can still join. */
export const SUBSCRIPTION_ASSIGNER_NAME = 'KafkajsDrSubscriptionRoundRobin'

/** What the assigner needs of kafkajs' cluster (the leader's): metadata of every topic any member subscribed to. */
interface AssignerCluster {
  addMultipleTargetTopics(topics: string[]): Promise<void>
  findTopicPartitionMetadata(topic: string): Array<{ partitionId: number }>
}

/**
 * Which partitions of `partitionsPerTopic` go to which member, given each member's topics.
 * Pure, so that the rule is tested without a cluster.
 */
export function assignBySubscription(
  subscriptions: ReadonlyMap<string, readonly string[]>,
  partitionsPerTopic: ReadonlyMap<string, readonly number[]>,
): Map<string, Record<string, number[]>> {
  const members = [...subscriptions.keys()].sort()
  const assignment = new Map<string, Record<string, number[]>>(members.map((m) => [m, {}]))
  const load = new Map<string, number>(members.map((m) => [m, 0]))
  for (const topic of [...partitionsPerTopic.keys()].sort()) {
    const readers = members.filter((m) => subscriptions.get(m)!.includes(topic))
    if (readers.length === 0) continue
    for (const partition of partitionsPerTopic.get(topic)!) {
      let chosen = readers[0]!
      for (const m of readers) if (load.get(m)! < load.get(chosen)!) chosen = m
      load.set(chosen, load.get(chosen)! + 1)
      const mine = assignment.get(chosen)!
      ;(mine[topic] ??= []).push(partition)
    }
  }
  return assignment
}

/** The kafkajs assigner, its members' metadata carrying `identity` when given; see the module description. */
export function createSubscriptionAssigner(identity?: InstanceIdentity): PartitionAssigner {
  const userData = identity === undefined ? Buffer.alloc(0) : encodeInstanceIdentity(identity)
  return ({ cluster }) => ({
    name: SUBSCRIPTION_ASSIGNER_NAME,
    version: 0,
    async assign({ members }: { members: GroupMember[]; topics: string[] }) {
      const subscriptions = new Map(
        members.map((m) => [m.memberId, AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.topics ?? []]),
      )
      const topics = [...new Set([...subscriptions.values()].flat())]
      // The leader knows the metadata of its own topics only. A topic that has gone (deleted since
      // its member subscribed) must not fail the whole group's join: it is assigned to nobody.
      const leader = cluster as unknown as AssignerCluster
      await leader.addMultipleTargetTopics(topics).catch(async () => {
        for (const topic of topics) await leader.addMultipleTargetTopics([topic]).catch(() => {})
      })
      const partitionsOf = (topic: string): number[] => {
        try {
          return leader
            .findTopicPartitionMetadata(topic)
            .map((p) => p.partitionId)
            .sort((a, b) => a - b)
        } catch {
          return []
        }
      }
      const partitionsPerTopic = new Map(topics.map((t) => [t, partitionsOf(t)]))
      const assignment = assignBySubscription(subscriptions, partitionsPerTopic)
      return [...assignment].map(([memberId, topicPartitions]) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: topicPartitions, userData: Buffer.alloc(0) }),
      }))
    },
    protocol({ topics }: { topics: string[] }) {
      return { name: SUBSCRIPTION_ASSIGNER_NAME, metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData }) }
    },
  })
}

/** The assigner without an identity: members of a consumer without `instanceId`. */
export const subscriptionAssigner: PartitionAssigner = createSubscriptionAssigner()
