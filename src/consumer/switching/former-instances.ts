/**
 * The group's members that carry this consumer's `instanceId` under another incarnation: a
 * former process of this instance (killed, its member not timed out yet), found before a session
 * joins and removed once its join is under way (or, if that look missed it, after the join); or a
 * second live instance configured with the same id, removed at most once (so two of them never
 * fight) and reported after a join. One per consumer, shared by its lanes.
 *
 * Kafka returns member metadata only while the group is Stable, so the look comes before the
 * join; the removal waits for the join, or the survivors could rejoin without this session and
 * the group would rebalance twice. See docs/consumer-design.md, "Instances that restart".
 *
 * @module
 */
import type { FailoverContext } from '../../cluster/index.js'
import { removeGroupMembers } from '../../cluster/leave-group.js'
import { errorMessage, logger } from '../../util/log.js'
import { delay, withTimeout } from '../../util/timeout.js'
import type { ConsumerFormerInstanceRemovedEvent, ConsumerInstanceConflictEvent } from '../events.js'
import { identityOfMember, judgeMembers, type DescribedMember, type InstanceIdentity } from '../session/instance-identity.js'
import type { FormerInstanceRemoval } from '../session/types.js'

const log = logger('consumer')

/**
 * Bound on describing the group and removing a former incarnation before a session joins, in ms.
 * It delays the join by at most this: a describe and a LeaveGroup take tens of ms on a healthy
 * cluster, and past 3 s waiting longer costs more than the dead member's timeout would save.
 */
export const FORMER_INSTANCE_TIMEOUT_MS = 3000

/**
 * Longest wait, in ms, for the session's join to reach the group before the removal is sent
 * anyway: on a healthy cluster the join is there within tens of ms of `run()`.
 */
export const JOIN_UNDER_WAY_TIMEOUT_MS = 2000

/** Pause between looks at the group's state while waiting for the join, in ms. */
const JOIN_POLL_MS = 25

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
  /** Looks under way, per cluster: concurrent session starts there share one. */
  private readonly looks = new Map<string, Promise<FormerInstanceRemoval | undefined>>()

  constructor(
    private readonly ctx: FailoverContext,
    private readonly groupId: string,
    /** This consumer's identity: its members' metadata carries it. */
    readonly identity: InstanceIdentity,
    private readonly events: FormerInstanceEvents,
  ) {}

  /**
   * Looks for members of other incarnations of this instance in the group on `cluster`, within
   * {@link FORMER_INSTANCE_TIMEOUT_MS}, before a session joins there. Resolves with what removes
   * them once the join is under way, or undefined when there are none. Never rejects: a failure
   * leaves them to time out.
   */
  lookBeforeJoin(cluster: string): Promise<FormerInstanceRemoval | undefined> {
    const under = this.looks.get(cluster)
    if (under) return under
    const look = this.look(cluster)
      .catch((error: unknown) => {
        log('looking for former members of %s (%s) on %s failed: %s', this.groupId, this.identity.instanceId, cluster, errorMessage(error))
        return undefined
      })
      .finally(() => this.looks.delete(cluster))
    this.looks.set(cluster, look)
    return look
  }

  /**
   * After a session's join on `cluster`, in the background: removes a former incarnation the
   * look before the join missed (the group was rebalancing, so Kafka returned no metadata), and
   * reports members with this instance's id that came back after a removal.
   */
  checkAfterJoin(cluster: string): void {
    const started = Date.now()
    void this.judge(cluster, 'after-join')
      .then((remove) => this.remove(cluster, remove, started, 'after-join'))
      .catch((error: unknown) =>
        log(
          'checking %s for other members with instance id %s on %s failed: %s',
          this.groupId,
          this.identity.instanceId,
          cluster,
          errorMessage(error),
        ),
      )
  }

  private async look(cluster: string): Promise<FormerInstanceRemoval | undefined> {
    const started = Date.now()
    const remove = await this.judge(cluster, 'before-join')
    if (remove.length === 0) return undefined
    return () => {
      void this.untilJoinUnderWay(cluster, started)
        .then(() => this.remove(cluster, remove, started, 'once-joining'))
        .catch((error: unknown) =>
          log('removing former members of %s (%s) on %s failed: %s', this.groupId, this.identity.instanceId, cluster, errorMessage(error)),
        )
    }
  }

  /** The members to remove on `cluster`; reports members that came back after a removal. */
  private async judge(cluster: string, phase: 'before-join' | 'after-join'): Promise<DescribedMember[]> {
    const { members } = await this.describe(cluster, FORMER_INSTANCE_TIMEOUT_MS)
    const { remove, conflicts } = judgeMembers(members, this.identity, this.removedOn(cluster))
    if (conflicts.length > 0) this.conflict(cluster, conflicts, phase)
    return remove
  }

  /**
   * Until the group has left Stable (the session's JoinGroup has reached it), bounded by
   * {@link JOIN_UNDER_WAY_TIMEOUT_MS}: a member removed earlier starts a rebalance the survivors
   * may finish without this session, and its join would then start a second one.
   */
  private async untilJoinUnderWay(cluster: string, started: number): Promise<void> {
    const deadline = Date.now() + JOIN_UNDER_WAY_TIMEOUT_MS
    while (Date.now() < deadline) {
      const { state } = await this.describe(cluster, Math.max(1, deadline - Date.now()))
      if (state !== 'Stable') return
      await delay(JOIN_POLL_MS)
    }
    log(
      'the join of %s on %s had not reached the group %d ms after the look: removing its former members anyway',
      this.groupId,
      cluster,
      Date.now() - started,
    )
  }

  private async remove(
    cluster: string,
    remove: readonly DescribedMember[],
    started: number,
    phase: 'once-joining' | 'after-join',
  ): Promise<void> {
    if (remove.length === 0) return
    const { gone, failed } = await removeGroupMembers(
      this.ctx.connection(cluster).kafka,
      this.groupId,
      remove.map((m) => m.memberId),
      FORMER_INSTANCE_TIMEOUT_MS,
    )
    // Any member of an incarnation removed marks it: a live one kicked once rejoins and stays.
    const removed = this.removedOn(cluster)
    for (const member of remove) if (gone.includes(member.memberId)) removed.add(member.identity!.incarnation)
    log(
      'removed %d of %d members of former incarnations of %s from %s on %s %s%s',
      gone.length,
      remove.length,
      this.identity.instanceId,
      this.groupId,
      cluster,
      phase,
      failed.length > 0 ? ' (the others are left to time out)' : '',
    )
    if (gone.length > 0) {
      this.events.removed({
        timestamp: Date.now(),
        group: this.groupId,
        cluster,
        instanceId: this.identity.instanceId,
        memberIds: gone,
        durationMs: Date.now() - started,
      })
    }
  }

  /** Members of an incarnation removed once that came back: reported once the join has settled. */
  private conflict(cluster: string, conflicts: readonly DescribedMember[], phase: 'before-join' | 'after-join'): void {
    const memberIds = conflicts.map((m) => m.memberId)
    if (phase === 'before-join') {
      log('members of %s on %s with instance id %s were removed once already: left alone', this.groupId, cluster, this.identity.instanceId)
      return
    }
    log(
      'instance id %s is used by another live member of %s on %s too (%s): a configuration error',
      this.identity.instanceId,
      this.groupId,
      cluster,
      memberIds.join(', '),
    )
    this.events.conflict({ timestamp: Date.now(), group: this.groupId, cluster, instanceId: this.identity.instanceId, memberIds })
  }

  /** The group's state on `cluster` and its members with their identities (none decoded unless the group is Stable). */
  private async describe(cluster: string, timeoutMs: number): Promise<{ state: string | undefined; members: DescribedMember[] }> {
    const what = `describing '${this.groupId}' on '${cluster}'`
    const work = (async () => {
      const admin = await this.ctx.connection(cluster).admin(timeoutMs)
      const { groups } = await admin.describeGroups([this.groupId])
      return groups.find((g) => g.groupId === this.groupId)
    })()
    const group = await withTimeout(work, timeoutMs, what, { cluster, group: this.groupId })
    return {
      state: group?.state,
      members: (group?.members ?? []).map((m) => ({ memberId: m.memberId, identity: identityOfMember(m.memberMetadata) })),
    }
  }

  private removedOn(cluster: string): Set<string> {
    let set = this.removed.get(cluster)
    if (set === undefined) this.removed.set(cluster, (set = new Set()))
    return set
  }
}
