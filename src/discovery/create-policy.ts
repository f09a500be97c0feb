import type { ClusterConnection } from '../cluster/index.js'
import { DeclaredPolicy, type IgnoredDeclaration } from './declared.js'
import { priorityPolicy, stickyPolicy } from './policies.js'
import type { DiscoveryFunction, DiscoveryPolicy, DiscoveryPolicyName } from './types.js'

/** Discovery options after defaults. */
export interface ResolvedDiscoveryOptions {
  policy: DiscoveryPolicyName | DiscoveryFunction | DiscoveryPolicy
  autoFailback: boolean
  failbackDelayMs: number
  controlTopic: string
  decideTimeoutMs: number
}

/** Builds the discovery policy named (or given) by the options. */
export function createPolicy(
  options: ResolvedDiscoveryOptions,
  clusters: readonly ClusterConnection[],
  probeTimeoutMs: number,
  onIgnoredDeclaration?: (ignored: IgnoredDeclaration) => void,
): DiscoveryPolicy {
  const { policy } = options
  if (typeof policy === 'function') return { name: functionPolicyName(policy), decide: policy }
  if (typeof policy === 'object') return policy
  switch (policy) {
    case 'priority':
      return { name: 'priority', decide: priorityPolicy(options) }
    case 'sticky':
      return { name: 'sticky', decide: stickyPolicy }
    case 'declared':
      return new DeclaredPolicy(clusters, options.controlTopic, Math.max(probeTimeoutMs, 5000), onIgnoredDeclaration)
  }
}

/**
 * A function's own name (`function byDns() {}`), else `custom`. An inline function in the options
 * (`discovery: { policy: () => 'dc1' }`) is named `policy` by JavaScript after the property it is
 * written in: that says nothing, so it counts as unnamed.
 */
function functionPolicyName(policy: DiscoveryFunction): string {
  return policy.name === '' || policy.name === 'policy' ? 'custom' : policy.name
}
