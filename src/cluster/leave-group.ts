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
 * leaves only as itself), so this uses kafkajs' cluster factory (see `kafkajs-internals.ts`);
 * when it is missing (another client object), the members are left to time out.
 *
 * @module
 */
import type { Kafka } from 'kafkajs'
import { delay, withTimeout } from '../util/timeout.js'
import { clusterFactoryOf } from './kafkajs-internals.js'

/** Pause between rounds while the coordinator is loading the group or moving, in ms. */
const RETRY_PAUSE_MS = 300

/** What {@link removeGroupMembers} did. */
export interface RemovedMembers {
  /** Members no longer in the group: removed now, or gone already (`UNKNOWN_MEMBER_ID`). */
  gone: string[]
  /** Members it could not remove in time (the coordinator did not answer, or kept refusing). */
  failed: string[]
}

/**
 * Sends `LeaveGroup` for each of `memberIds` in `groupId`, within `timeoutMs` in all. A cluster
 * that has just come back is often still loading the group (`COORDINATOR_LOAD_IN_PROGRESS`) or
 * moving its coordinator: such refusals are tried again, with the coordinator looked up afresh,
 * until the bound. Never rejects; nothing is sent after the bound, and the connections close
 * once the last request has settled.
 */
export async function removeGroupMembers(
  kafka: Kafka,
  groupId: string,
  memberIds: readonly string[],
  timeoutMs: number,
): Promise<RemovedMembers> {
  const createCluster = clusterFactoryOf(kafka)
  if (createCluster === undefined || memberIds.length === 0) return { gone: [], failed: [...memberIds] }
  const cluster = createCluster({ allowAutoTopicCreation: false })
  const deadline = Date.now() + timeoutMs
  const pending = new Set(memberIds)
  const gone: string[] = []
  let abandoned = false
  const work = (async () => {
    await cluster.connect()
    await cluster.refreshMetadata()
    while (pending.size > 0 && !abandoned) {
      try {
        const coordinator = await cluster.findGroupCoordinator({ groupId })
        for (const memberId of [...pending]) {
          if (abandoned) return
          try {
            await coordinator.leaveGroup({ groupId, memberId })
          } catch (error) {
            if ((error as { type?: string }).type !== 'UNKNOWN_MEMBER_ID') throw error
          }
          pending.delete(memberId)
          gone.push(memberId)
        }
      } catch {
        // Loading, moving or unreachable: again after a pause, while time is left.
        if (Date.now() + RETRY_PAUSE_MS >= deadline) return
        await delay(RETRY_PAUSE_MS)
      }
    }
  })()
  const settled = work.catch(() => {}).finally(() => cluster.disconnect().catch(() => {}))
  await withTimeout(work, timeoutMs, `removing former members of '${groupId}'`).catch(() => {})
  abandoned = true
  void settled
  return { gone, failed: [...pending] }
}
