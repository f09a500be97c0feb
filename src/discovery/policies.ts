/**
 * The built-in discovery policies as pure functions of a {@link DiscoveryView}: easy to test,
 * easy to copy into a custom policy.
 */
import type { DiscoveryFunction, DiscoveryView } from './types.js'

/** The most preferred healthy cluster (the view lists clusters most preferred first). */
export function mostPreferredUp(view: DiscoveryView): string | undefined {
  return view.clusters.find((c) => c.health === 'up')?.name
}

function activeIsUp(view: DiscoveryView): boolean {
  return view.clusters.some((c) => c.name === view.active && c.health === 'up')
}

/**
 * `priority`: the most preferred healthy cluster. While the active cluster is up, a more
 * preferred one takes over only after it has been up for `failbackDelayMs`, and only with
 * `autoFailback`.
 */
export function priorityPolicy(options: { autoFailback: boolean, failbackDelayMs: number }): DiscoveryFunction {
  return (view) => {
    if (!activeIsUp(view)) return mostPreferredUp(view)
    if (!options.autoFailback) return view.active
    const best = view.clusters.find((c) => c.health === 'up')
    if (best && best.name !== view.active && view.now - best.since >= options.failbackDelayMs) return best.name
    return view.active
  }
}

/** `sticky`: stay while the active cluster is up; otherwise the most preferred healthy one. */
export const stickyPolicy: DiscoveryFunction = (view) => (activeIsUp(view) ? view.active : mostPreferredUp(view))
