/**
 * Property files of the bed: one combined KRaft broker+controller per datacenter, one
 * MirrorMaker 2 replicating both ways with the default (prefix) replication policy, and an
 * optional second MirrorMaker 2 replicating `identity-*` topics dc1 -> dc2 under their own names.
 * Everything is sized for a 2-core machine: one node, replication factor 1, 1-second intervals.
 */

import { brokerSecurityProperties, mirrorMakerSecurityProperties, type BedCredentials, type SecurityFiles } from './security.js'

/** One datacenter's cluster in the bed. */
export interface BedClusterSpec {
  name: string
  /** Client port on 127.0.0.1 (PLAINTEXT). */
  port: number
  /** KRaft controller port on 127.0.0.1. */
  controllerPort: number
  /** SASL_SSL port on 127.0.0.1, open only in the security mode (`--security sasl_ssl`). */
  securePort: number
}

/** Shifts every port of the bed, so a second bed can run beside the first (KAFKAJS_DR_BED_PORT_OFFSET). */
export const PORT_OFFSET = Number(process.env.KAFKAJS_DR_BED_PORT_OFFSET ?? 0)

/** The two datacenters of the local bed. */
export const BED_CLUSTERS: readonly BedClusterSpec[] = [
  { name: 'dc1', port: 19092 + PORT_OFFSET, controllerPort: 19093 + PORT_OFFSET, securePort: 19094 + PORT_OFFSET },
  { name: 'dc2', port: 29092 + PORT_OFFSET, controllerPort: 29093 + PORT_OFFSET, securePort: 29094 + PORT_OFFSET },
]

/**
 * The brokers' group-coordinator settings. `bed` starts a new group's first rebalance at once,
 * because the tests form hundreds of fresh groups; `kafka-defaults` leaves Kafka's own defaults
 * (group.initial.rebalance.delay.ms=3000), as users' brokers have them, so a test or benchmark
 * can show what users will see. `offsets.topic.num.partitions` is not part of a profile: it only
 * counts when `__consumer_offsets` is created, and it does not change a group's timing.
 */
export type BrokerProfile = 'bed' | 'kafka-defaults'

/** What each broker profile adds to server.properties (nothing: Kafka's default). */
export const BROKER_PROFILES: Readonly<Record<BrokerProfile, Readonly<Record<string, string | number | boolean>>>> = {
  bed: { 'group.initial.rebalance.delay.ms': 0 },
  'kafka-defaults': {},
}

/** Reads a profile name (`bed`, `kafka-defaults`); throws on anything else. */
export function parseBrokerProfile(value: string): BrokerProfile {
  if (value === 'bed' || value === 'kafka-defaults') return value
  throw new Error(`unknown broker profile '${value}': use 'bed' or 'kafka-defaults'`)
}

/**
 * The profile a server.properties was written with (for a bed started before the profile was
 * recorded in the state folder): the one whose every setting the file has.
 */
export function profileOfProperties(text: string): BrokerProfile {
  const props = new Map(
    text
      .split('\n')
      .map((line) => line.split('='))
      .filter((kv) => kv.length >= 2)
      .map(([k, ...v]) => [k!.trim(), v.join('=').trim()]),
  )
  const keys = new Set(Object.values(BROKER_PROFILES).flatMap((p) => Object.keys(p)))
  const matches = (profile: BrokerProfile): boolean =>
    [...keys].every((k) => {
      const wanted = BROKER_PROFILES[profile][k]
      return wanted === undefined ? !props.has(k) : props.get(k) === String(wanted)
    })
  return matches('bed') ? 'bed' : 'kafka-defaults'
}

/**
 * Topics whose names start with this are replicated only by the bed's identity flow
 * ({@link IDENTITY_FLOW}, `npm run bed:up -- --identity`): from dc1 to dc2 under the same name,
 * as Confluent Replicator, MSK Replicator with identical names or MM2's IdentityReplicationPolicy
 * do. The main MirrorMaker 2 leaves them alone, so `dc1.identity-...` never exists. A consumer
 * tested against the identity flow needs a checkpoint topic with this prefix too. (No regular
 * expression metacharacters: the prefix goes into MM2's `topics` patterns as it is.)
 */
export const IDENTITY_TOPIC_PREFIX = 'identity-'

/**
 * The identity flow: dc1 -> dc2 only. Its MirrorMaker 2 knows the two clusters by aliases of its
 * own, so that its internal topics (`mm2-configs.id1.internal`, `mm2-offsets.id1.internal`,
 * `mm2-status.id1.internal` on dc2, `mm2-offset-syncs.id2.internal` on dc1) and its Connect group
 * (`id1-mm2` on dc2) are not the main MirrorMaker 2's (`...dc1...`).
 */
export const IDENTITY_FLOW = { source: 'dc1', target: 'dc2', sourceAlias: 'id1', targetAlias: 'id2' } as const

/**
 * The main MirrorMaker 2's `topics`: every topic but the identity flow's (a Java regular
 * expression, whole name). The prefix is left out here, not added to `topics.exclude`, so that
 * `topics.exclude` keeps the running Kafka version's default: Kafka 4.3.1's is
 * `mm2.*\.internal, .*\.replica, __.*`, no longer older versions' `.*[\-\.]internal, .*\.replica,
 * __.*` (and its internal-topic rule no longer covers names ending in `.internal` or `-internal`).
 */
export const MAIN_MM2_TOPICS = `(?!${IDENTITY_TOPIC_PREFIX}).*`

function render(props: Record<string, string | number | boolean>): string {
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`
}

/**
 * server.properties of one combined broker+controller with static voters (no `--standalone` format).
 * With `security` (the security mode's files), a SASL_SSL listener on `securePort` besides the
 * PLAINTEXT one, and the StandardAuthorizer (see security.ts).
 */
export function brokerProperties(
  cluster: BedClusterSpec,
  dataDir: string,
  profile: BrokerProfile = 'bed',
  security?: SecurityFiles,
): string {
  const secure = security === undefined ? '' : `,SASL_SSL://127.0.0.1:${cluster.securePort}`
  return render({
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${cluster.controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${cluster.port}${secure},CONTROLLER://127.0.0.1:${cluster.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${cluster.port}${secure}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': `PLAINTEXT:PLAINTEXT,${security === undefined ? '' : 'SASL_SSL:SASL_SSL,'}CONTROLLER:PLAINTEXT`,
    ...(security === undefined ? {} : brokerSecurityProperties(security)),
    'log.dirs': dataDir,
    'num.partitions': 1,
    'auto.create.topics.enable': true,
    'offsets.topic.replication.factor': 1,
    // Fewer __consumer_offsets partitions: the first group on a fresh cluster is ready sooner.
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    ...BROKER_PROFILES[profile],
    // After a kill -9 the restarted node must wait for its old registration's session to expire
    // (DUPLICATE_BROKER_REGISTRATION): 3 s instead of the default 9 s.
    'broker.session.timeout.ms': 3000,
    'broker.heartbeat.interval.ms': 500,
    'log.flush.interval.messages': 1_000_000,
    'num.network.threads': 2,
    'num.io.threads': 2,
  })
}

/** Replication factor 1 for every topic a MirrorMaker 2 creates: each bed cluster is one node. */
const MM2_SINGLE_NODE_TOPICS = {
  'replication.factor': 1,
  'checkpoints.topic.replication.factor': 1,
  'heartbeats.topic.replication.factor': 1,
  'offset-syncs.topic.replication.factor': 1,
  'offset.storage.replication.factor': 1,
  'status.storage.replication.factor': 1,
  'config.storage.replication.factor': 1,
} as const

/** The security mode's files and passwords, for MirrorMaker 2's clients. */
export interface MirrorMakerSecurity {
  files: SecurityFiles
  credentials: BedCredentials
}

/**
 * mm2.properties: both flows, every interval 1 s, group offset sync on, `identity-*` topics left to
 * the identity flow. With `security`, every client of MM2 logs in over the SASL_SSL listeners.
 */
export function mirrorMakerProperties(clusters: readonly BedClusterSpec[], security?: MirrorMakerSecurity): string {
  const props: Record<string, string | number | boolean> = {
    clusters: clusters.map((c) => c.name).join(','),
  }
  for (const c of clusters) {
    props[`${c.name}.bootstrap.servers`] = `127.0.0.1:${security === undefined ? c.port : c.securePort}`
    if (security !== undefined) Object.assign(props, mirrorMakerSecurityProperties(c.name, security.files, security.credentials))
  }
  for (const source of clusters) {
    for (const target of clusters) {
      if (source !== target) props[`${source.name}->${target.name}.enabled`] = true
    }
  }
  Object.assign(props, {
    // Every topic but `identity-*`, which the identity flow alone replicates (else dc1 -> dc2
    // would copy them as dc1.identity-..., and dc2 -> dc1 the identity flow's copies back to dc1
    // as dc2.identity-...). `topics.exclude` is left at MM2's default.
    topics: MAIN_MM2_TOPICS,
    groups: '.*',
    'tasks.max': 2,
    ...MM2_SINGLE_NODE_TOPICS,
    'refresh.topics.interval.seconds': 1,
    'refresh.groups.interval.seconds': 1,
    'emit.checkpoints.interval.seconds': 1,
    'emit.heartbeats.interval.seconds': 1,
    'sync.topic.configs.interval.seconds': 1,
    'sync.group.offsets.enabled': true,
    'sync.group.offsets.interval.seconds': 1,
    'sync.topic.acls.enabled': false,
    // Emit an offset sync whenever the downstream offset moves, so MM2's own translation is as
    // fine-grained as it can be (it still translates only to sync points since Kafka 3.5).
    'offset.lag.max': 0,
    // The Connect worker commits source offsets every second instead of every minute, so a
    // restarted MirrorMaker resumes close to where it stopped.
    'offset.flush.interval.ms': 1000,
    'dedicated.mode.enable.internal.rest': false,
  })
  return render(props)
}

/**
 * mm2-identity.properties: the identity flow ({@link IDENTITY_FLOW}) alone, dc1 -> dc2, topics
 * `identity-*` kept under their names (IdentityReplicationPolicy). No heartbeats, emitted or
 * replicated, no checkpoints, no group offset sync: records only, as the replicators it stands
 * for copy them.
 */
export function identityMirrorMakerProperties(clusters: readonly BedClusterSpec[]): string {
  const { source, target, sourceAlias, targetAlias } = IDENTITY_FLOW
  const port = (name: string): number => {
    const cluster = clusters.find((c) => c.name === name)
    if (cluster === undefined) throw new Error(`the identity flow needs cluster ${name}`)
    return cluster.port
  }
  return render({
    clusters: `${sourceAlias},${targetAlias}`,
    [`${sourceAlias}.bootstrap.servers`]: `127.0.0.1:${port(source)}`,
    [`${targetAlias}.bootstrap.servers`]: `127.0.0.1:${port(target)}`,
    [`${sourceAlias}->${targetAlias}.enabled`]: true,
    'replication.policy.class': 'org.apache.kafka.connect.mirror.IdentityReplicationPolicy',
    topics: `${IDENTITY_TOPIC_PREFIX}.*`,
    // Off globally, not per flow: MM2 creates a herder for every pair whose heartbeats are on,
    // enabled or not (here: a dc2 -> dc1 one).
    'emit.heartbeats.enabled': false,
    // MM2 replicates every heartbeats topic whatever `topics` says, unless this is off (a setting
    // of recent versions; 4.3.1 has it, older ones ignore it). With it on, the two MM2s bounce
    // heartbeats between dc1 and dc2 for ever: this one copies dc1's dc2.heartbeats to dc2 as
    // id1.dc2.heartbeats, the main one copies that back to dc1 as dc2.id1.dc2.heartbeats, and so
    // on, each time under a longer name. Neither sees a cycle: the main one does not know the
    // alias id1, and this one does not know dc2.
    'heartbeats.replication.enabled': false,
    'emit.checkpoints.enabled': false,
    'sync.group.offsets.enabled': false,
    // Kafka 4.3.1 refuses to create the checkpoint connector with checkpoints and group offset
    // sync off (one ERROR at start: "MirrorCheckpointConnector can't run with
    // emit.checkpoints.enabled set to false"), which is what we want. Where an older version runs
    // it anyway, it would list every group of dc1, and fetch each one's offsets, at every refresh:
    // no group, and a rare refresh.
    'groups.exclude': '.*',
    'refresh.groups.interval.seconds': 3600,
    'tasks.max': 1,
    ...MM2_SINGLE_NODE_TOPICS,
    // One flow, one task: the Connect worker's own topics need no more than one partition each.
    'offset.storage.partitions': 1,
    'status.storage.partitions': 1,
    'refresh.topics.interval.seconds': 1,
    'sync.topic.configs.interval.seconds': 1,
    'sync.topic.acls.enabled': false,
    // Settings of the Connect worker go under the target cluster's alias (MM2 passes top-level
    // ones only for a few prefixes): commit source offsets every second, and hand out tasks
    // "lost" by a worker that rejoined at once instead of after 5 minutes (nobody restarts this
    // MM2 when it stalls so, as the supervisor does the main one).
    [`${targetAlias}.offset.flush.interval.ms`]: 1000,
    [`${targetAlias}.scheduled.rebalance.max.delay.ms`]: 0,
    // Plugins found by their ServiceLoader manifests instead of a reflective scan of the whole
    // classpath (MM2 suggests it in a WARN): a start with less CPU and a lower heap peak. Once for
    // MirrorMaker itself, once for its Connect worker.
    'plugin.discovery': 'service_load',
    [`${targetAlias}.plugin.discovery`]: 'service_load',
    'dedicated.mode.enable.internal.rest': false,
  })
}
