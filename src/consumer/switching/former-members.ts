import type { FailoverContext } from '../../cluster/index.js'
import { removeGroupMembers } from '../../cluster/leave-group.js'
import { logger } from '../../util/log.js'
import { CLUSTER_CALL_TIMEOUT_MS } from '../copies.js'

const log = logger('consumer')

/**
 * Member ids of this instance's sessions dropped while their cluster was down (or that could not
 * leave in time), per cluster: that cluster keeps them in the group when it comes back, and a new
 * session's join there would be held until they time out, unless they are removed first.
 */
export class FormerMembers {
  private readonly members = new Map<string, Set<string>>()
  /** Removals under way, per cluster: every session start there waits for it. */
  private readonly removals = new Map<string, Promise<void>>()

  constructor(
    private readonly ctx: FailoverContext,
    private readonly groupId: string,
  ) {}

  /** Notes a member that stays behind in the group on `cluster`. */
  note(cluster: string, memberId: string | undefined): void {
    if (memberId === undefined) return
    const former = this.members.get(cluster) ?? new Set<string>()
    this.members.set(cluster, former.add(memberId))
  }

  /**
   * Removes the members noted on `cluster` before a session starts there (one removal at a time
   * per cluster); those the cluster could not remove in time are tried again next time.
   */
  remove(cluster: string): Promise<void> {
    const under = this.removals.get(cluster)
    if (under) return under
    const former = this.members.get(cluster)
    if (!former || former.size === 0 || this.ctx.healthOf(cluster) !== 'up') return Promise.resolve()
    const memberIds = [...former]
    const removal = removeGroupMembers(this.ctx.connection(cluster).kafka, this.groupId, memberIds, CLUSTER_CALL_TIMEOUT_MS)
      .then(({ gone, failed }) => {
        for (const id of gone) former.delete(id)
        log(
          'removed %d of %d former members of %s on %s%s',
          gone.length,
          memberIds.length,
          this.groupId,
          cluster,
          failed.length > 0 ? ` (${failed.length} kept for next time)` : '',
        )
      })
      .finally(() => this.removals.delete(cluster))
    this.removals.set(cluster, removal)
    return removal
  }
}
