import type { DiscoveryPolicy } from '../discovery/types.js'

/**
 * `policy`, except that the pinned cluster wins while it is up: a manual failover pins its target,
 * and the policy decides again once the pin is lifted or the cluster goes down.
 */
export function withPin(policy: DiscoveryPolicy, pinned: () => string | undefined): DiscoveryPolicy {
  return {
    name: policy.name,
    start: policy.start?.bind(policy),
    stop: policy.stop?.bind(policy),
    decide: (view) => {
      const pin = pinned()
      if (pin !== undefined && view.clusters.some((c) => c.name === pin && c.health === 'up')) return pin
      return policy.decide(view)
    },
  }
}
