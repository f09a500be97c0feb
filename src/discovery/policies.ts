/**
 * The built-in discovery policies as pure functions of a {@link DiscoveryView}: easy to test,
 * easy to copy into a custom policy.
 */
import type { DiscoveryFunction, DiscoveryView } from './types.js'

/**
 * The order of preference of clusters: lower priority number first, then the local cluster, then
 * by name. Every list of clusters the library keeps is in this order.
 */
export function byPreference(
  localCluster: string | undefined,
): (a: { name: string; priority: number }, b: { name: string; priority: number }) => number {
  return (a, b) =>
    a.priority - b.priority || Number(b.name === localCluster) - Number(a.name === localCluster) || a.name.localeCompare(b.name)
}

/** The most preferred healthy cluster (the view lists clusters most preferred first). */
export function mostPreferredUp(view: DiscoveryView): string | undefined {
  return view.clusters.find((c) => c.health === 'up')?.name
}

function activeIsUp(view: DiscoveryView): boolean {
  return view.clusters.some((c) => c.name === view.active && c.health === 'up')
}

/**
 * `priority`: the most preferred healthy cluster. While the active cluster is up, it fails back
 * only with `autoFailback`, and then to the most preferred cluster that is more preferred than the
 * active one and has been up for at least `failbackDelayMs`. A more preferred cluster that came up
 * only recently (or keeps flapping) is passed over, not waited for: with dc3 active, dc2 long up
 * and dc1 just back, the client fails back to dc2 now and to dc1 once dc1 has stayed up.
 *
 * @example
 * ```ts
 * // What `discovery: { policy: 'priority', failbackDelayMs: 60_000 }` does, wrapped in your own
 * // rule: leave a cluster under maintenance for the most preferred healthy one that is not.
 * const priority = priorityPolicy({ autoFailback: true, failbackDelayMs: 60_000 })
 * const policy: DiscoveryFunction = (view) => maintenance.has(view.active ?? '')
 *   ? view.clusters.find((c) => c.health === 'up' && !maintenance.has(c.name))?.name
 *   : priority(view)
 * ```
 *
 * @group Discovery
 */
export function priorityPolicy(options: { autoFailback: boolean; failbackDelayMs: number }): DiscoveryFunction {
  return (view) => {
    if (!activeIsUp(view)) return mostPreferredUp(view)
    if (!options.autoFailback) return view.active
    // The view lists clusters most preferred first: the ones before the active cluster are the
    // candidates for a failback.
    for (const c of view.clusters) {
      if (c.name === view.active) break
      if (c.health === 'up' && view.now - c.since >= options.failbackDelayMs) return c.name
    }
    return view.active
  }
}

/**
 * `sticky`: stay while the active cluster is up; otherwise the most preferred healthy one.
 *
 * @example
 * ```ts
 * const dr = new MultiClusterKafka({ clusters, discovery: { policy: stickyPolicy } }) // same as policy: 'sticky'
 * ```
 *
 * @group Discovery
 */
export const stickyPolicy: DiscoveryFunction = (view) => (activeIsUp(view) ? view.active : mostPreferredUp(view))
