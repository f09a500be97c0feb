/**
 * Removes members from a consumer group by their member ids: a `LeaveGroup` request sent on their
 * behalf, through the kafkajs client's own connection settings (TLS, SASL).
 *
 * Why: a cluster that comes back after a crash remembers the group's members of before it went
 * down, and holds every join of the group until they time out (kafkajs' `sessionTimeout`, 30 s
 * by default). The members a failover consumer had there are dead for good (it dropped those
 * sessions when the cluster went down), and it knows their member ids, so it removes them: the
 * group's next join is answered at once.
 *
 * kafkajs has no API for it (its admin lacks `removeMembersFromConsumerGroup`, and a consumer
 * leaves only as itself), so this uses the cluster factory a kafkajs `Kafka` instance keeps
 * under a private symbol, the one its producers and consumers are built with. kafkajs 2.2.4 is
 * its last release, so that internal stays put; when it is missing (another client object), the
 * members are left to time out, as before.
 *
 * @module
 */
import type { Kafka } from 'kafkajs'
import { withTimeout } from '../util/timeout.js'

/** What kafkajs' cluster offers that is used here (kafkajs/src/cluster). */
interface KafkajsCluster {
  connect(): Promise<void>
  disconnect(): Promise<void>
  findGroupCoordinator(request: { groupId: string }): Promise<{ leaveGroup(request: { groupId: string, memberId: string }): Promise<unknown> }>
}

type ClusterFactory = (options: { metadataMaxAge?: number, allowAutoTopicCreation?: boolean }) => KafkajsCluster

/** kafkajs' cluster factory on a `Kafka` instance, if it has one. */
function clusterFactoryOf(kafka: Kafka): ClusterFactory | undefined {
  const symbol = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster')
  const factory = symbol === undefined ? undefined : (kafka as unknown as Record<symbol, unknown>)[symbol]
  return typeof factory === 'function' ? factory as ClusterFactory : undefined
}

/**
 * Sends `LeaveGroup` for each of `memberIds` in `groupId`, within `timeoutMs` in all. Resolves
 * with the ids removed; a member the group no longer has (it timed out already) is not an error.
 * Never rejects: what could not be removed times out as it would have anyway.
 */
export async function removeGroupMembers(kafka: Kafka, groupId: string, memberIds: readonly string[], timeoutMs: number): Promise<string[]> {
  const createCluster = clusterFactoryOf(kafka)
  if (createCluster === undefined || memberIds.length === 0) return []
  const cluster = createCluster({ allowAutoTopicCreation: false })
  const removed: string[] = []
  try {
    await withTimeout((async () => {
      await cluster.connect()
      const coordinator = await cluster.findGroupCoordinator({ groupId })
      for (const memberId of memberIds) {
        try {
          await coordinator.leaveGroup({ groupId, memberId })
          removed.push(memberId)
        } catch {
          // UNKNOWN_MEMBER_ID: gone already.
        }
      }
    })(), timeoutMs, `removing former members of '${groupId}'`)
  } catch {
    // Left to time out.
  } finally {
    void cluster.disconnect().catch(() => {})
  }
  return removed
}
