/**
 * Commits a consumer's pending seeks in one `OffsetCommit` per broker instead of one per
 * partition. kafkajs 2.2.4 (`ConsumerGroup.seekOffsets`), under `autoCommit`, commits each seek
 * with a request of its own, one after another, before its next fetch: a failover consumer seeks
 * every partition it positions (at a switch, a rebalance, a start from checkpoints), so at 480
 * partitions the first fetch waited about a second for them, and tens of ms at 12.
 *
 * The mended `seekOffsets` commits the same offsets with the same group generation and member id,
 * clears the same cached offsets, and puts the seeks back if the commit fails (kafkajs' own loop
 * keeps the seeks it has not reached), so the next fetch tries again. Without `autoCommit`, or
 * with one seek, kafkajs' own code runs. It patches the kafkajs this package resolves, once; a
 * kafkajs without that module is left as it is.
 *
 * @module
 */
import { errorMessage, logger } from '../util/log.js'
import { ConsumerGroupClass } from './kafkajs-internals.js'

const log = logger('cluster')

/** One seek waiting in kafkajs' `SeekOffsets` map. */
interface SeekEntry {
  topic: string
  partition: number
  offset: string
}

/** What the mend uses of kafkajs' `OffsetManager`. */
interface KafkajsOffsetManager {
  autoCommit: boolean
  memberAssignment: Record<string, number[] | undefined>
  groupId: string
  generationId: number
  memberId: string
  getCoordinator(): Promise<{ offsetCommit(request: unknown): Promise<unknown> }>
  clearOffsets(partition: { topic: string; partition: number }): void
  seek(entry: SeekEntry): Promise<void>
  resolveOffsets(): Promise<void>
}

/** What the mend uses of kafkajs' `ConsumerGroup`. */
interface KafkajsConsumerGroup {
  seekOffset: { pop(topic: string, partition: number): SeekEntry | undefined; set(topic: string, partition: number, offset: string): void }
  offsetManager: KafkajsOffsetManager
  seekOffsets(this: KafkajsConsumerGroup, topicPartitions: Array<{ topic: string; partitions: number[] }>): Promise<void>
}

/** kafkajs' `ConsumerGroup` class, as far as the mend needs it. */
export interface KafkajsConsumerGroupClass {
  prototype: KafkajsConsumerGroup
}

const MENDED = Symbol.for('kafkajs-dr.seeks-batched')

/**
 * Applies the mend to `groupClass` (kafkajs' own by default), once. Returns whether the class is
 * mended now.
 */
export function mendKafkajsSeeks(groupClass = ConsumerGroupClass as KafkajsConsumerGroupClass | undefined): boolean {
  const prototype: (KafkajsConsumerGroup & { [MENDED]?: true }) | undefined = groupClass?.prototype
  if (prototype === undefined || typeof prototype.seekOffsets !== 'function') return false
  if (prototype[MENDED]) return true
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the group as `this` below
  const ownSeekOffsets = prototype.seekOffsets
  prototype.seekOffsets = async function seekOffsets(topicPartitions) {
    const offsets = this.offsetManager
    if (!offsets.autoCommit) return ownSeekOffsets.call(this, topicPartitions)
    const seeks: SeekEntry[] = []
    for (const { topic, partitions } of topicPartitions) {
      for (const partition of partitions) {
        const seek = this.seekOffset.pop(topic, partition)
        // kafkajs' own seek ignores a partition no longer assigned.
        if (seek !== undefined && offsets.memberAssignment[topic]?.includes(partition) === true) seeks.push(seek)
      }
    }
    if (seeks.length === 1) await offsets.seek(seeks[0]!)
    else if (seeks.length > 1) await commitSeeks(this, seeks)
    await offsets.resolveOffsets()
  }
  prototype[MENDED] = true
  return true
}

async function commitSeeks(group: KafkajsConsumerGroup, seeks: readonly SeekEntry[]): Promise<void> {
  const offsets = group.offsetManager
  const byTopic = new Map<string, Array<{ partition: number; offset: string }>>()
  for (const { topic, partition, offset } of seeks) {
    const list = byTopic.get(topic)
    if (list) list.push({ partition, offset })
    else byTopic.set(topic, [{ partition, offset }])
  }
  try {
    const coordinator = await offsets.getCoordinator()
    await coordinator.offsetCommit({
      groupId: offsets.groupId,
      memberId: offsets.memberId,
      groupGenerationId: offsets.generationId,
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    })
  } catch (error) {
    log('committing %d seeks of %s failed (%s): tried again at the next fetch', seeks.length, offsets.groupId, errorMessage(error))
    for (const { topic, partition, offset } of seeks) group.seekOffset.set(topic, partition, offset)
    throw error
  }
  for (const seek of seeks) offsets.clearOffsets(seek)
}
