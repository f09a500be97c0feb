/**
 * The physical copies of a consumer's logical topics: which of them a cluster has now, and the
 * periodic check for copies that appeared since a session subscribed (a replicator creates
 * `dc2.orders` on dc1 only once dc2 has `orders` data). What to do about new copies is the
 * consumer's decision; this module only finds them.
 *
 * @module
 */
import type { FailoverContext } from '../cluster/index.js'
import { errorMessage, logger } from '../util/log.js'
import { withTimeout } from '../util/timeout.js'

const log = logger('consumer')

/** Bound on listing a cluster's topics, in ms. */
export const CLUSTER_CALL_TIMEOUT_MS = 10_000

/** Finds the physical copies of the subscribed logical topics; see the module description. */
export class CopyFinder {
  /** Clusters whose topics are being listed for new copies right now. */
  private readonly checking = new Set<string>()

  /**
   * @param ctx - The client's context.
   * @param groupId - The consumer group, for the log.
   * @param logicalTopics - The subscribed logical topics, asked at every call.
   * @param origins - The origins whose copies are read (the consumer's `origins`, or one origin
   *   per set of sessions with `dualRead: 'direct'`); undefined: every origin.
   */
  constructor(
    private readonly ctx: FailoverContext,
    private readonly groupId: string,
    private readonly logicalTopics: () => readonly string[],
    private readonly origins?: readonly string[],
  ) {}

  /**
   * The physical copies of the subscribed logical topics, of the origins read, that exist on
   * `cluster`. A logical topic with no such copy there keeps the name of its first wanted copy,
   * so kafkajs reports (or auto-creates) it as it would without kafkajs-dr; copies that appear
   * later are found by {@link CopyFinder.checkForNew}.
   */
  async physicalTopics(cluster: string): Promise<string[]> {
    const admin = await this.ctx.connection(cluster).admin(CLUSTER_CALL_TIMEOUT_MS)
    const existing = new Set(await withTimeout(admin.listTopics(), CLUSTER_CALL_TIMEOUT_MS, `listing topics of '${cluster}'`, { cluster }))
    const { replicationPolicy: policy } = this.ctx
    const names = this.ctx.clusters.map((c) => c.name)
    return this.logicalTopics().flatMap((logical) => {
      const copies = policy
        .physicalTopicsFor(logical, cluster, names)
        .filter((t) => this.origins === undefined || this.origins.includes(policy.parse(t, cluster).originCluster))
      const present = copies.filter((t) => existing.has(t))
      return present.length > 0 ? present : copies.slice(0, 1)
    })
  }

  /**
   * Lists, in the background, the copies on every cluster of `sessions` that is up and not being
   * checked already, and calls `found` with the copies the session there does not read. A check
   * that hangs on a sick cluster only delays the next check of that cluster.
   */
  checkForNew<S extends { readonly topics: readonly string[] }>(
    sessions: ReadonlyMap<string, S>,
    found: (cluster: string, session: S, added: string[]) => unknown,
  ): void {
    for (const [cluster, session] of sessions) {
      if (this.checking.has(cluster) || this.ctx.healthOf(cluster) !== 'up') continue
      this.checking.add(cluster)
      void this.physicalTopics(cluster)
        .then((topics) => {
          const added = topics.filter((t) => !session.topics.includes(t))
          if (added.length > 0) return found(cluster, session, added)
        })
        .catch((error: unknown) => log('checking %s for new copies of %s failed: %s', cluster, this.groupId, errorMessage(error)))
        .finally(() => this.checking.delete(cluster))
    }
  }
}

/** Whether two lists of topics hold the same names. */
export function sameTopics(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t) => b.includes(t))
}
