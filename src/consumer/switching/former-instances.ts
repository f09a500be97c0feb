/**
 * The group's members that carry this consumer's `instanceId` under another incarnation: a
 * former process of this instance (killed, its member not timed out yet), removed before a
 * session joins and, if that look missed it, after; or a second live instance configured with
 * the same id, removed at most once (so two of them never fight) and reported after a join. One per consumer, shared
 * by its lanes.
 *
 * Kafka returns member metadata only while the group is Stable: a dead member found while the
 * group rebalances is recognized only by the look after the join. See README.md, Operating notes.
 *
 * @module
 */
import type { FailoverContext } from '../../cluster/index.js'
import { removeGroupMembers } from '../../cluster/leave-group.js'
import { errorMessage, logger } from '../../util/log.js'
import { withTimeout } from '../../util/timeout.js'
import type { ConsumerFormerInstanceRemovedEvent, ConsumerInstanceConflictEvent } from '../events.js'
import { identityOfMember, judgeMembers, type DescribedMember, type InstanceIdentity } from '../session/instance-identity.js'

const log = logger('consumer')

/**
 * Bound on describing the group and removing a former incarnation before a session joins, in ms.
 * It delays the join by at most this: a describe and a LeaveGroup take tens of ms on a healthy
 * cluster, and past 3 s waiting longer costs more than the dead member's timeout would save.
 */
export const FORMER_INSTANCE_TIMEOUT_MS = 3000

/** Where {@link FormerInstances} tells what it did. */
export interface FormerInstanceEvents {
  /** `consumer:former-instance-removed`. */
  removed: (event: ConsumerFormerInstanceRemovedEvent) => void
  /** `consumer:instance-conflict`. */
  conflict: (event: ConsumerInstanceConflictEvent) => void
}

/** See the module description. */
export class FormerInstances {
  /** Incarnations removed once, per cluster: never removed again. */
  private readonly removed = new Map<string, Set<string>>()
  /** Removals under way, per cluster: concurrent session starts there share one. */
  private readonly removals = new Map<string, Promise<void>>()

  constructor(
    private readonly ctx: FailoverContext,
    private readonly groupId: string,
    /** This consumer's identity: its members' metadata carries it. */
    readonly identity: InstanceIdentity,
    private readonly events: FormerInstanceEvents,
  ) {}

  /**
   * Removes the members of other incarnations of this instance from the group on `cluster`,
   * within {@link FORMER_INSTANCE_TIMEOUT_MS}. Never rejects: a failure leaves them to time out.
   */
  removeBeforeJoin(cluster: string): Promise<void> {
    const under = this.removals.get(cluster)
    if (under) return under
    const removal = this.remove(cluster, 'before-join')
      .catch((error: unknown) => log('looking for former members of %s (%s) on %s failed: %s', this.groupId, this.identity.instanceId, cluster, errorMessage(error)))
      .finally(() => this.removals.delete(cluster))
    this.removals.set(cluster, removal)
    return removal
  }

  /**
   * After a session's join on `cluster`, in the background: removes a former incarnation the
   * look before the join missed (the group was rebalancing, so Kafka returned no metadata), and
   * reports members with this instance's id that came back after a removal.
   */
  checkAfterJoin(cluster: string): void {
    void this.remove(cluster, 'after-join').catch((error: unknown) =>
      log('checking %s for other members with instance id %s on %s failed: %s', this.groupId, this.identity.instanceId, cluster, errorMessage(error)))
  }

  private async remove(cluster: string, phase: 'before-join' | 'after-join'): Promise<void> {
    const started = Date.now()
    const members = await this.describe(cluster, FORMER_INSTANCE_TIMEOUT_MS)
    const removed = this.removedOn(cluster)
    const { remove, conflicts } = judgeMembers(members, this.identity, removed)
    if (conflicts.length > 0) this.conflict(cluster, conflicts, phase)
    if (remove.length === 0) return
    const left = FORMER_INSTANCE_TIMEOUT_MS - (Date.now() - started)
    if (left <= 0) return
    const { gone, failed } = await removeGroupMembers(this.ctx.connection(cluster).kafka, this.groupId, remove.map((m) => m.memberId), left)
    // Any member of an incarnation removed marks it: a live one kicked once rejoins and stays.
    for (const member of remove) if (gone.includes(member.memberId)) removed.add(member.identity!.incarnation)
    log('removed %d of %d members of former incarnations of %s from %s on %s %s%s', gone.length, remove.length, this.identity.instanceId, this.groupId, cluster, phase, failed.length > 0 ? ' (the others are left to time out)' : '')
    if (gone.length > 0) {
      this.events.removed({ timestamp: Date.now(), group: this.groupId, cluster, instanceId: this.identity.instanceId, memberIds: gone, durationMs: Date.now() - started })
    }
  }

  /** Members of an incarnation removed once that came back: reported once the join has settled. */
  private conflict(cluster: string, conflicts: readonly DescribedMember[], phase: 'before-join' | 'after-join'): void {
    const memberIds = conflicts.map((m) => m.memberId)
    if (phase === 'before-join') {
      log('members of %s on %s with instance id %s were removed once already: left alone', this.groupId, cluster, this.identity.instanceId)
      return
    }
    log('instance id %s is used by another live member of %s on %s too (%s): a configuration error', this.identity.instanceId, this.groupId, cluster, memberIds.join(', '))
    this.events.conflict({ timestamp: Date.now(), group: this.groupId, cluster, instanceId: this.identity.instanceId, memberIds })
  }

  /** The group's members on `cluster` with their identities (none decoded unless the group is Stable). */
  private async describe(cluster: string, timeoutMs: number): Promise<DescribedMember[]> {
    const what = `describing '${this.groupId}' on '${cluster}'`
    const work = (async () => {
      const admin = await this.ctx.connection(cluster).admin(timeoutMs)
      const { groups } = await admin.describeGroups([this.groupId])
      return groups.find((g) => g.groupId === this.groupId)?.members ?? []
    })()
    const members = await withTimeout(work, timeoutMs, what, { cluster, group: this.groupId })
    return members.map((m) => ({ memberId: m.memberId, identity: identityOfMember(m.memberMetadata) }))
  }

  private removedOn(cluster: string): Set<string> {
    let set = this.removed.get(cluster)
    if (set === undefined) this.removed.set(cluster, set = new Set())
    return set
  }
}
