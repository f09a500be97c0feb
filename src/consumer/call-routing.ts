/**
 * Which delivering session a call of the application goes to: a commit, a seek, a pause or a
 * resume of a physical topic, on the lane (and cluster) that delivers it now; and which lane a
 * checkpointed position, or the consumer's own `cluster`, belongs to.
 *
 * @module
 */
import type { Consumer, TopicPartitionOffsetAndMetadata } from 'kafkajs'
import { InvalidOptionError, NotConnectedError } from '../errors/index.js'
import type { CheckpointPosition } from '../offsets/checkpoint-writer-types.js'
import type { ReplicationPolicy } from '../topology/replication-policy.js'
import type { Lane } from './lane.js'
import type { ConsumerSession } from './session/consumer-session.js'
import type { FailoverTopicPartitionOffset } from './run-config.js'

/** Topics (and partitions) as kafkajs' `pause` and `resume` take them. */
type TopicPartitions = Parameters<Consumer['pause']>[0]

/** The delivering session that reads `topic` (on `cluster` when given). */
export function sessionFor(lanes: readonly Lane[], topic: string, cluster: string | undefined): ConsumerSession {
  const delivering = deliveringSessions(lanes)
  if (delivering.length === 0) throw new NotConnectedError('FailoverConsumer (not running on any cluster right now)')
  // One lane: its session, as kafkajs' own consumer (kafkajs reports a topic it does not read).
  if (lanes.length === 1 && cluster === undefined) return delivering[0]!
  const matching = delivering.filter((s) => (cluster === undefined || s.cluster === cluster) && s.topics.includes(topic))
  if (matching.length === 1) return matching[0]!
  if (matching.length === 0)
    throw new NotConnectedError(
      `FailoverConsumer (no session delivers '${topic}'${cluster === undefined ? '' : ` on '${cluster}'`} right now)`,
    )
  throw new InvalidOptionError(
    'cluster',
    `'${topic}' is read on ${matching.map((s) => `'${s.cluster}'`).join(' and ')}: give the payload's \`cluster\` with the offset`,
  )
}

/** The delivering sessions that read each of `topics`, with the topics each gets (a pause or resume). */
export function sessionsDelivering(lanes: readonly Lane[], topics: TopicPartitions): Map<ConsumerSession, TopicPartitions> {
  const delivering = deliveringSessions(lanes)
  if (delivering.length === 0) throw new NotConnectedError('FailoverConsumer (not running on any cluster right now)')
  const bySession = new Map<ConsumerSession, TopicPartitions>()
  if (lanes.length === 1) return bySession.set(delivering[0]!, topics)
  for (const entry of topics) {
    for (const session of delivering.filter((s) => s.topics.includes(entry.topic))) {
      const list = bySession.get(session)
      if (list) list.push(entry)
      else bySession.set(session, [entry])
    }
  }
  return bySession
}

/** The session of each lane that delivers now. */
export function deliveringSessions(lanes: readonly Lane[]): ConsumerSession[] {
  return lanes.flatMap((lane) => {
    const session = lane.switching.delivering
    return session?.isActive ? [session] : []
  })
}

/** The offsets to commit, grouped by the delivering session that commits them (see {@link sessionFor}). */
export function offsetsBySession(
  lanes: readonly Lane[],
  offsets: readonly FailoverTopicPartitionOffset[],
): Map<ConsumerSession, TopicPartitionOffsetAndMetadata[]> {
  const bySession = new Map<ConsumerSession, TopicPartitionOffsetAndMetadata[]>()
  for (const { cluster, ...offset } of offsets) {
    const session = sessionFor(lanes, offset.topic, cluster)
    const list = bySession.get(session)
    if (list) list.push(offset)
    else bySession.set(session, [offset])
  }
  return bySession
}

/** The lane that reads a checkpointed position's copy (by its origin). */
export function laneOf(lanes: readonly Lane[], policy: ReplicationPolicy, position: CheckpointPosition): Lane {
  if (lanes.length === 1) return lanes[0]!
  const origin = policy.parse(position.topic, position.cluster).originCluster
  return lanes.find((lane) => lane.home === origin) ?? lanes[0]!
}

/** The lane `cluster`, `describeGroup` and the top of `status()` speak for: the active cluster's origin with `dualRead: 'direct'`. */
export function primaryLane(lanes: readonly Lane[], activeCluster: string | undefined): Lane {
  return lanes.find((lane) => lane.home === activeCluster) ?? lanes[0]!
}
