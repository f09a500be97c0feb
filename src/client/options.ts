/** Defaults and validation of {@link MultiClusterKafkaOptions}: every option checked, unknown keys rejected. */
import type { ClusterOptions } from '../cluster/index.js'
import { isKafkaInstance } from '../cluster/index.js'
import type { ResolvedDiscoveryOptions } from '../discovery/create-policy.js'
import type { ResolvedHealthOptions } from '../discovery/discovery.js'
import type { ResolvedReplicationLagOptions } from '../replication/lag-monitor.js'
import { DEFAULT_CONTROL_TOPIC } from '../discovery/control-record.js'
import type { DiscoveryFunction, DiscoveryPolicy } from '../discovery/types.js'
import { CLUSTER_NAME } from '../util/names.js'
import { describeValue, expectBoolean, expectInt, expectObject, expectOneOf, expectString, invalid } from '../util/validate.js'
import type { MultiClusterKafkaOptions } from './types.js'

const TOP_KEYS = [
  'clusters',
  'localCluster',
  'clientId',
  'health',
  'discovery',
  'replication',
  'provenance',
  'connectTimeoutMs',
  'switchTimeoutMs',
  'teardownTimeoutMs',
  'replicationLag',
] as const

/** Options after defaults and validation. */
export interface ResolvedOptions {
  clusters: Array<{ name: string; kafka: ClusterOptions['kafka']; priority: number }>
  localCluster: string | undefined
  clientId: string
  health: ResolvedHealthOptions
  discovery: ResolvedDiscoveryOptions
  replication: MultiClusterKafkaOptions['replication']
  provenance: MultiClusterKafkaOptions['provenance']
  connectTimeoutMs: number
  switchTimeoutMs: number
  teardownTimeoutMs: number
  /** Undefined when turned off (`replicationLag: false`). */
  replicationLag: ResolvedReplicationLagOptions | undefined
}

/** Validates `options` and fills in defaults; throws InvalidOptionError naming the path and the fix. */
export function resolveOptions(options: unknown): ResolvedOptions {
  const top = expectObject(options, 'options', TOP_KEYS, true)
  const clustersObj = expectObject(top.clusters, 'clusters')
  const names = Object.keys(clustersObj)
  if (names.length === 0) invalid('clusters', 'an object with at least one cluster', clustersObj, 'e.g. { dc1: { kafka }, dc2: { kafka } }')
  const clusters = names.map((name) => {
    if (!CLUSTER_NAME.test(name)) invalid(`clusters.${name}`, 'named with letters, digits, _ or - (it becomes a topic prefix)', name)
    const c = expectObject(clustersObj[name], `clusters.${name}`, ['kafka', 'priority'])
    if (!isKafkaInstance(c.kafka)) {
      const config = expectObject(c.kafka, `clusters.${name}.kafka`)
      if (!Array.isArray(config.brokers) && typeof config.brokers !== 'function') {
        invalid(`clusters.${name}.kafka`, 'a kafkajs Kafka instance or a kafkajs config with `brokers`', c.kafka)
      }
      // kafkajs accepts these and fails only later, deep in a connect (or never connects at all).
      // A BrokersFunction is resolved by kafkajs at connect time and cannot be checked here.
      if (Array.isArray(config.brokers)) expectBrokers(config.brokers, `clusters.${name}.kafka.brokers`)
    }
    const resolved = { name, priority: expectInt(c.priority, `clusters.${name}.priority`, 1) } as ResolvedOptions['clusters'][number]
    // Not enumerable: a config holds credentials (`sasl`, `ssl.key`), and a client printed with
    // console.log or util.inspect, or serialized, must not show them.
    Object.defineProperty(resolved, 'kafka', { value: c.kafka, enumerable: false })
    return resolved
  })

  const localCluster = top.localCluster === undefined ? undefined : expectString(top.localCluster, 'localCluster')
  if (localCluster !== undefined && !names.includes(localCluster)) {
    invalid('localCluster', `one of the configured clusters (${names.join(', ')})`, localCluster)
  }

  const h =
    top.health === undefined ? {} : expectObject(top.health, 'health', ['intervalMs', 'timeoutMs', 'failureThreshold', 'successThreshold'])
  const health: ResolvedHealthOptions = {
    intervalMs: expectInt(h.intervalMs, 'health.intervalMs', 1000, { min: 50 }),
    timeoutMs: expectInt(h.timeoutMs, 'health.timeoutMs', 1500, { min: 50 }),
    failureThreshold: expectInt(h.failureThreshold, 'health.failureThreshold', 2, { min: 1 }),
    successThreshold: expectInt(h.successThreshold, 'health.successThreshold', 3, { min: 1 }),
  }

  const d =
    top.discovery === undefined
      ? {}
      : expectObject(top.discovery, 'discovery', ['policy', 'autoFailback', 'failbackDelayMs', 'controlTopic', 'decideTimeoutMs'])
  let policy: ResolvedDiscoveryOptions['policy']
  if (typeof d.policy === 'function') policy = d.policy as DiscoveryFunction
  else if (typeof d.policy === 'object' && d.policy !== null) {
    const p = d.policy as Partial<DiscoveryPolicy>
    if (typeof p.decide !== 'function' || typeof p.name !== 'string')
      invalid('discovery.policy', 'a policy name, a function, or an object with `name` and `decide`', d.policy)
    policy = p as DiscoveryPolicy
  } else policy = expectOneOf(d.policy, 'discovery.policy', ['priority', 'sticky', 'declared'] as const, 'priority')

  const provenance = top.provenance
  if (provenance !== undefined && provenance !== false) expectObject(provenance, 'provenance', ['header'])

  return {
    clusters,
    localCluster,
    clientId: expectString(top.clientId, 'clientId', 'kafkajs-dr'),
    health,
    discovery: {
      policy,
      autoFailback: expectBoolean(d.autoFailback, 'discovery.autoFailback', true),
      failbackDelayMs: expectInt(d.failbackDelayMs, 'discovery.failbackDelayMs', 30_000, { min: 0 }),
      controlTopic: expectString(d.controlTopic, 'discovery.controlTopic', DEFAULT_CONTROL_TOPIC),
      decideTimeoutMs: expectInt(d.decideTimeoutMs, 'discovery.decideTimeoutMs', 30_000, { min: 1 }),
    },
    replication: top.replication as ResolvedOptions['replication'],
    provenance: provenance as ResolvedOptions['provenance'],
    connectTimeoutMs: expectInt(top.connectTimeoutMs, 'connectTimeoutMs', 30_000, { min: 0 }),
    switchTimeoutMs: expectInt(top.switchTimeoutMs, 'switchTimeoutMs', 60_000, { min: 1 }),
    teardownTimeoutMs: expectInt(top.teardownTimeoutMs, 'teardownTimeoutMs', 3000, { min: 1 }),
    replicationLag: resolveReplicationLag(top.replicationLag),
  }
}

function resolveReplicationLag(option: unknown): ResolvedReplicationLagOptions | undefined {
  if (option === false) return undefined
  const r = option === undefined ? {} : expectObject(option, 'replicationLag', ['intervalMs', 'thresholdMs', 'timeoutMs'])
  return {
    intervalMs: expectInt(r.intervalMs, 'replicationLag.intervalMs', 5000, { min: 100 }),
    thresholdMs: expectInt(r.thresholdMs, 'replicationLag.thresholdMs', 30_000, { min: 0 }),
    timeoutMs: expectInt(r.timeoutMs, 'replicationLag.timeoutMs', 5000, { min: 50 }),
  }
}

/** Asserts a non-empty list of non-empty broker strings, naming the first one that is not. */
function expectBrokers(brokers: unknown[], path: string): void {
  const expected = "a non-empty array of 'host:port' strings"
  if (brokers.length === 0) invalid(path, expected, brokers, 'it is empty')
  const bad = brokers.findIndex((b) => typeof b !== 'string' || b.length === 0)
  if (bad !== -1) invalid(path, expected, brokers, `\`brokers[${bad}]\` is ${describeValue(brokers[bad])}`)
}
