/**
 * Replication policies: how one logical topic is named on each cluster, depending on where its
 * data originated. A record's identity is (origin cluster, logical topic); the physical name is
 * what a client subscribes to or produces to on one cluster.
 *
 * @module
 */
import { UnknownClusterError } from '../errors/index.js'
import { LEGAL_TOPIC_CHARS } from '../util/names.js'
import { expectObject, expectOneOf, expectString, invalid } from '../util/validate.js'

/**
 * Where the data of a physical topic comes from, as read from its name.
 *
 * @group Replication
 */
export interface ParsedTopic {
  /** The topic's name on its origin cluster, e.g. `orders` for `dc2.orders`. */
  logicalTopic: string
  /** Cluster where the data was first written, e.g. `dc2` for `dc2.orders`. */
  originCluster: string
}

/**
 * Maps logical topics to physical topics and back. Implement it to match a replicator configured
 * with a naming scheme of its own; the built-in ones are `'prefix'` (MM2's default) and
 * `'identity'`, chosen by the client's `replication` option (see {@link ReplicationOption}) or
 * built by {@link createReplicationPolicy}.
 *
 * Implementations must be pure and cheap: producers call {@link ReplicationPolicy.physicalTopic}
 * on every send.
 *
 * @group Replication
 */
export interface ReplicationPolicy {
  /** Short name for logs and `status()`, e.g. `prefix` or `identity`. */
  readonly name: string
  /**
   * Physical name, on `onCluster`, of the data of `logicalTopic` that originated on
   * `originCluster`.
   */
  physicalTopic(logicalTopic: string, originCluster: string, onCluster: string): string
  /** Inverse of {@link ReplicationPolicy.physicalTopic}: reads a physical name seen on `onCluster`. */
  parse(physicalTopic: string, onCluster: string): ParsedTopic
  /**
   * Every physical copy of `logicalTopic` visible on `onCluster`: the local topic first, then one
   * per remote origin in the order of `allClusters`, without repeats.
   */
  physicalTopicsFor(logicalTopic: string, onCluster: string, allClusters: readonly string[]): string[]
}

/** Options of {@link DefaultReplicationPolicy}. */
export interface PrefixReplicationPolicyOptions {
  /** Names of every cluster; only these are recognized as prefixes when parsing. */
  clusters: readonly string[]
  /**
   * Text between the origin cluster's name and the topic, as MM2's
   * `replication.policy.separator`.
   *
   * @default '.'
   */
  separator?: string
}

/** The separator MM2 uses when `replication.policy.separator` is not set. */
export const DEFAULT_SEPARATOR = '.'

/**
 * MirrorMaker 2's default naming (`DefaultReplicationPolicy`): on cluster `C`, data that
 * originated on `O` lives in `O<separator>topic` when `O != C`, else in `topic`.
 *
 * Parsing differs from MM2 in two ways, both to avoid misreading local topics such as `foo.bar`:
 * only a prefix that is a known cluster name counts, and a prefix equal to the cluster the name
 * is read on does not (MM2 never replicates a topic back to its source, so such a name can only
 * be a local topic). Like MM2's `originalTopic`, parsing follows multi-hop names to the first
 * origin: on `dc2`, `dc1.dc3.orders` (dc3's data replicated via dc1) parses as
 * (`orders`, `dc3`).
 *
 * Cluster names must not contain the separator: MM2 takes the part before the first separator as
 * the source alias, so such names break its cycle detection and records loop between clusters.
 * The constructor rejects them. Logical topic names should not start with `<cluster><separator>`
 * either; they would read as remote topics.
 *
 * @example
 * ```ts
 * const policy = new DefaultReplicationPolicy({ clusters: ['dc1', 'dc2'] })
 * policy.physicalTopic('orders', 'dc1', 'dc2') // 'dc1.orders'
 * policy.parse('dc1.orders', 'dc2') // { logicalTopic: 'orders', originCluster: 'dc1' }
 * ```
 */
export class DefaultReplicationPolicy implements ReplicationPolicy {
  /** Always `prefix`. */
  readonly name = 'prefix'
  /** The separator in use. */
  readonly separator: string
  private readonly clusters: ReadonlySet<string>

  /** @throws `InvalidOptionError` for an illegal separator or cluster name. */
  constructor(options: PrefixReplicationPolicyOptions) {
    const separator = expectString(options.separator, 'replication.separator', DEFAULT_SEPARATOR)
    // A prefix of other characters would make names the broker rejects: fail here, not on the first send.
    if (!LEGAL_TOPIC_CHARS.test(separator)) {
      invalid('replication.separator', "made of characters legal in Kafka topic names (letters, digits, '.', '_', '-')", separator)
    }
    const clusters = expectClusters(options.clusters)
    for (const cluster of clusters) {
      if (!LEGAL_TOPIC_CHARS.test(cluster)) {
        invalid(`clusters.${cluster}`, "a cluster name usable as a topic prefix (letters, digits, '.', '_', '-')", cluster)
      }
      if (cluster.includes(separator)) {
        invalid(
          'replication.separator',
          `text that occurs in no cluster name (cluster '${cluster}' contains it)`,
          separator,
          'MM2 reads the source cluster as the part before the first separator, so choose another separator or rename the cluster',
        )
      }
    }
    this.separator = separator
    this.clusters = new Set(clusters)
  }

  /** @throws `UnknownClusterError` when a cluster is not one of the configured ones. */
  physicalTopic(logicalTopic: string, originCluster: string, onCluster: string): string {
    this.check(originCluster)
    this.check(onCluster)
    return originCluster === onCluster ? logicalTopic : originCluster + this.separator + logicalTopic
  }

  /** @throws `UnknownClusterError` when `onCluster` is not one of the configured ones. */
  parse(physicalTopic: string, onCluster: string): ParsedTopic {
    this.check(onCluster)
    let topic = physicalTopic
    let cluster = onCluster
    // Each recognized prefix moves one hop upstream: the rest of the name is the topic's name on
    // the prefix's cluster. Stops at a name that cluster would hold locally.
    for (;;) {
      const at = topic.indexOf(this.separator)
      if (at <= 0 || at + this.separator.length >= topic.length) break
      const prefix = topic.slice(0, at)
      if (prefix === cluster || !this.clusters.has(prefix)) break
      topic = topic.slice(at + this.separator.length)
      cluster = prefix
    }
    return { logicalTopic: topic, originCluster: cluster }
  }

  physicalTopicsFor(logicalTopic: string, onCluster: string, allClusters: readonly string[]): string[] {
    const topics = [this.physicalTopic(logicalTopic, onCluster, onCluster)]
    for (const origin of allClusters) {
      if (origin === onCluster) continue
      const topic = this.physicalTopic(logicalTopic, origin, onCluster)
      if (!topics.includes(topic)) topics.push(topic)
    }
    return topics
  }

  private check(cluster: string): void {
    if (!this.clusters.has(cluster)) throw new UnknownClusterError(cluster, [...this.clusters])
  }
}

/**
 * Identical names on every cluster (MSK Replicator "identical topic names", Confluent Replicator,
 * Cluster Linking, Redpanda shadowing): `orders` is `orders` everywhere.
 *
 * The name says nothing about where a record originated, so {@link IdentityReplicationPolicy.parse}
 * reports the cluster it is read on. In an active-active setup one identity topic interleaves
 * records of several origins, in a different order on each cluster: read the origin from the
 * provenance header instead, and expect translated positions to need a safety margin.
 *
 * @example
 * ```ts
 * // Chosen by name in the client's options:
 * const dr = new MultiClusterKafka({ clusters, replication: 'identity' })
 * ```
 */
export class IdentityReplicationPolicy implements ReplicationPolicy {
  /** Always `identity`. */
  readonly name = 'identity'

  physicalTopic(logicalTopic: string, _originCluster: string, _onCluster: string): string {
    return logicalTopic
  }

  /** Returns the name unchanged and `onCluster` as the origin (the name cannot tell). */
  parse(physicalTopic: string, onCluster: string): ParsedTopic {
    return { logicalTopic: physicalTopic, originCluster: onCluster }
  }

  /** A single topic: every origin shares it. */
  physicalTopicsFor(logicalTopic: string, _onCluster: string, _allClusters: readonly string[]): string[] {
    return [logicalTopic]
  }
}

/**
 * The `replication` option: `'prefix'` (MM2's default naming with `.`), `'identity'`,
 * `{ type: 'prefix', separator }`, or an object implementing {@link ReplicationPolicy}.
 *
 * @default 'prefix'
 *
 * @group Replication
 */
export type ReplicationOption = 'prefix' | 'identity' | ReplicationPolicy | PrefixReplicationOption

/**
 * The object form of the `replication` option, for MM2's default naming with a custom separator.
 *
 * @group Replication
 */
export interface PrefixReplicationOption {
  /** Always `'prefix'`. */
  type: 'prefix'
  /**
   * As MM2's `replication.policy.separator`.
   *
   * @default '.'
   */
  separator?: string
}

const POLICY_METHODS = ['physicalTopic', 'parse', 'physicalTopicsFor'] as const

/**
 * Builds the policy described by the `replication` option, validating it.
 *
 * @param option - The `replication` option; `undefined` means `'prefix'`.
 * @param clusters - Names of every configured cluster.
 * @throws `InvalidOptionError` naming the path (`replication`, `replication.separator`, ...).
 *
 * @example
 * ```ts
 * createReplicationPolicy({ type: 'prefix', separator: '_' }, ['dc1', 'dc2'])
 * ```
 *
 * @group Replication
 */
export function createReplicationPolicy(option: ReplicationOption | undefined, clusters: readonly string[]): ReplicationPolicy {
  const value: unknown = option === undefined ? 'prefix' : option
  if (typeof value === 'string') {
    const type = expectOneOf(value, 'replication', ['prefix', 'identity'] as const, 'prefix')
    return type === 'identity' ? new IdentityReplicationPolicy() : new DefaultReplicationPolicy({ clusters })
  }
  if (typeof value !== 'object' || value === null) {
    return invalid('replication', "'prefix', 'identity', { type: 'prefix', separator } or a ReplicationPolicy", value)
  }
  // An options object is told from a policy by its `type` key; a plain object without `type`
  // that has the policy's methods is a user's policy written as an object literal.
  if (!('type' in value) && 'physicalTopic' in value) return expectPolicy(value)
  const options = expectObject(value, 'replication', ['type', 'separator'])
  if (options.type === undefined) invalid('replication.type', "'prefix'", undefined)
  expectOneOf(options.type, 'replication.type', ['prefix'] as const, 'prefix')
  const separator = options.separator === undefined ? undefined : expectString(options.separator, 'replication.separator')
  return new DefaultReplicationPolicy({ clusters, separator })
}

function expectPolicy(value: object): ReplicationPolicy {
  const policy = value as Record<string, unknown>
  for (const method of POLICY_METHODS) {
    if (typeof policy[method] !== 'function')
      invalid(`replication.${method}`, 'a function', policy[method], 'a custom policy implements ReplicationPolicy')
  }
  expectString(policy.name, 'replication.name')
  return value as ReplicationPolicy
}

function expectClusters(value: unknown): readonly string[] {
  if (!Array.isArray(value) || value.length === 0) invalid('clusters', 'a non-empty list of cluster names', value)
  const seen = new Set<string>()
  value.forEach((name, i) => {
    const cluster = expectString(name, `clusters[${i}]`)
    if (seen.has(cluster)) invalid(`clusters[${i}]`, 'a name used once', cluster)
    seen.add(cluster)
  })
  return value as string[]
}

/**
 * Where a physical topic's data lives on another cluster: parse its name on `fromCluster` to the
 * record identity (origin, logical topic), then name that identity on `toCluster`. The rule is
 * symmetric, so failback needs nothing extra:
 *
 * - (`dc1`, `dc2.orders`) → (`dc2`, `orders`)
 * - (`dc1`, `orders`) → (`dc2`, `dc1.orders`)
 * - with three clusters, (`dc1`, `dc3.orders`) → (`dc2`, `dc3.orders`)
 *
 * @returns The physical topic's name on `toCluster`.
 *
 * @example
 * ```ts
 * translatePhysicalTopic('dc2.orders', 'dc1', 'dc2', policy) // 'orders'
 * ```
 */
export function translatePhysicalTopic(physicalTopic: string, fromCluster: string, toCluster: string, policy: ReplicationPolicy): string {
  const { logicalTopic, originCluster } = policy.parse(physicalTopic, fromCluster)
  return policy.physicalTopic(logicalTopic, originCluster, toCluster)
}
