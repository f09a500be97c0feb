/**
 * Property files of the bed: one combined KRaft broker+controller per datacenter and one
 * MirrorMaker 2 replicating both ways with the default (prefix) replication policy.
 * Everything is sized for a 2-core machine: one node, replication factor 1, 1-second intervals.
 */

/** One datacenter's cluster in the bed. */
export interface BedClusterSpec {
  name: string
  /** Client port on 127.0.0.1. */
  port: number
  /** KRaft controller port on 127.0.0.1. */
  controllerPort: number
}

/** Shifts every port of the bed, so a second bed can run beside the first (KAFKAJS_DR_BED_PORT_OFFSET). */
export const PORT_OFFSET = Number(process.env.KAFKAJS_DR_BED_PORT_OFFSET ?? 0)

/** The two datacenters of the local bed. */
export const BED_CLUSTERS: readonly BedClusterSpec[] = [
  { name: 'dc1', port: 19092 + PORT_OFFSET, controllerPort: 19093 + PORT_OFFSET },
  { name: 'dc2', port: 29092 + PORT_OFFSET, controllerPort: 29093 + PORT_OFFSET },
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
  const props = new Map(text.split('\n').map((line) => line.split('=')).filter((kv) => kv.length >= 2).map(([k, ...v]) => [k!.trim(), v.join('=').trim()]))
  const keys = new Set(Object.values(BROKER_PROFILES).flatMap((p) => Object.keys(p)))
  const matches = (profile: BrokerProfile): boolean => [...keys].every((k) => {
    const wanted = BROKER_PROFILES[profile][k]
    return wanted === undefined ? !props.has(k) : props.get(k) === String(wanted)
  })
  return matches('bed') ? 'bed' : 'kafka-defaults'
}

function render(props: Record<string, string | number | boolean>): string {
  return `${Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n')}\n`
}

/** server.properties of one combined broker+controller with static voters (no `--standalone` format). */
export function brokerProperties(cluster: BedClusterSpec, dataDir: string, profile: BrokerProfile = 'bed'): string {
  return render({
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${cluster.controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${cluster.port},CONTROLLER://127.0.0.1:${cluster.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${cluster.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
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

/** mm2.properties: both flows, every interval 1 s, group offset sync on. */
export function mirrorMakerProperties(clusters: readonly BedClusterSpec[]): string {
  const props: Record<string, string | number | boolean> = {
    clusters: clusters.map((c) => c.name).join(','),
  }
  for (const c of clusters) props[`${c.name}.bootstrap.servers`] = `127.0.0.1:${c.port}`
  for (const source of clusters) {
    for (const target of clusters) {
      if (source !== target) props[`${source.name}->${target.name}.enabled`] = true
    }
  }
  Object.assign(props, {
    topics: '.*',
    groups: '.*',
    'tasks.max': 2,
    'replication.factor': 1,
    'checkpoints.topic.replication.factor': 1,
    'heartbeats.topic.replication.factor': 1,
    'offset-syncs.topic.replication.factor': 1,
    'offset.storage.replication.factor': 1,
    'status.storage.replication.factor': 1,
    'config.storage.replication.factor': 1,
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
