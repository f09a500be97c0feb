/**
 * Health of a cluster as discovery sees it. `unknown` until the first probe answers.
 *
 * @group Discovery
 */
export type HealthState = 'unknown' | 'up' | 'down'

/**
 * One cluster in a {@link DiscoveryView}.
 *
 * @group Discovery
 */
export interface ClusterView {
  /** Cluster name. */
  readonly name: string
  /** Lower is preferred. */
  readonly priority: number
  /** Whether this is the instance's own datacenter. */
  readonly local: boolean
  /** Health after hysteresis. */
  readonly health: HealthState
  /** When `health` last changed (ms since epoch). */
  readonly since: number
}

/**
 * What a discovery policy decides from.
 *
 * @group Discovery
 */
export interface DiscoveryView {
  /** Now, ms since epoch. */
  readonly now: number
  /** The active cluster, if any. */
  readonly active: string | undefined
  /** The clusters, most preferred first (priority, then local, then name). */
  readonly clusters: readonly ClusterView[]
}

/**
 * Decides which cluster should be active. Return a cluster name to make it active (the current
 * one to stay), or `undefined` to keep things as they are. Called after every probe round.
 *
 * @group Discovery
 */
export type DiscoveryFunction = (view: DiscoveryView) => string | undefined | Promise<string | undefined>

/**
 * A discovery policy: a decision function plus optional lifecycle.
 *
 * @group Discovery
 */
export interface DiscoveryPolicy {
  /** Name, for logs and `status()`. */
  readonly name: string
  /** See {@link DiscoveryFunction}. */
  decide: DiscoveryFunction
  /** Called once by `connect()`. */
  start?(): Promise<void>
  /** Called once by `disconnect()`. */
  stop?(): Promise<void>
}

/**
 * Health probing settings.
 *
 * @group Discovery
 */
export interface HealthOptions {
  /**
   * Time between probe rounds, in ms.
   *
   * @default 1000
   */
  intervalMs?: number
  /**
   * A probe that takes longer fails (a hung cluster answers nothing), in ms.
   *
   * @default 1500
   */
  timeoutMs?: number
  /**
   * Consecutive failed probes that mark an up cluster down.
   *
   * @default 2
   */
  failureThreshold?: number
  /**
   * Consecutive successful probes that mark a down cluster up.
   *
   * @default 3
   */
  successThreshold?: number
}

/**
 * Names of the built-in discovery policies.
 *
 * @group Discovery
 */
export type DiscoveryPolicyName = 'priority' | 'sticky' | 'declared'

/**
 * How the active cluster is chosen.
 *
 * @group Discovery
 */
export interface DiscoveryOptions {
  /**
   * - `priority`: the healthy cluster with the lowest priority number; fails back automatically
   *   to a more preferred cluster once it has been up for `failbackDelayMs` (unless `autoFailback`
   *   is off).
   * - `sticky`: stay on the active cluster until it goes down, then take the most preferred
   *   healthy one.
   * - `declared`: the cluster named by the newest record in the control topic (written by
   *   {@link declareActiveCluster} to every reachable cluster); all instances agree.
   * - a function: your own decision (DNS, HTTP, Consul...).
   *
   * @default 'priority'
   */
  policy?: DiscoveryPolicyName | DiscoveryFunction | DiscoveryPolicy
  /**
   * `priority` only: fail back to the preferred cluster when it returns.
   *
   * @default true
   */
  autoFailback?: boolean
  /**
   * `priority` only: how long a more preferred cluster must have been up before failing back to it, in ms.
   * Keeps a flapping cluster from pulling clients back and forth.
   *
   * @default 30000
   */
  failbackDelayMs?: number
  /**
   * `declared` only: the control topic.
   *
   * @default 'kafkajs-dr.control'
   */
  controlTopic?: string
  /**
   * How long one decision of the policy may take, in ms. A `decide()` that has not settled by
   * then (a custom function waiting on a service that never answers) is abandoned, reported by
   * the `discovery:policy-failed` event, and discovery asks again at the next round instead of
   * waiting for it for ever; its late answer is ignored.
   *
   * @default 30000
   */
  decideTimeoutMs?: number
}
