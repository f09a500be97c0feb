import type { Consumer } from 'kafkajs'
import { logger } from '../../util/log.js'
import { partitionKey } from '../../util/partition-key.js'
import type { TopicPartition } from '../positions.js'
import type { UserPauses } from './user-pauses.js'

const log = logger('consumer')

/**
 * Starts a positioned assignment: seeks each partition that has an offset (by `partitionKey`;
 * the others resume where kafkajs would), then resumes every one the application did not pause.
 */
export function seekAndResume(consumer: Consumer, cluster: string, assigned: readonly TopicPartition[], offsets: ReadonlyMap<string, string>, userPauses: UserPauses): void {
  for (const { topic, partition } of assigned) {
    const offset = offsets.get(partitionKey(topic, partition))
    if (offset === undefined) continue
    log('seek %s/%s[%d] to %s', cluster, topic, partition, offset)
    consumer.seek({ topic, partition, offset })
  }
  const resumable = assigned.filter(({ topic, partition }) => !userPauses.has(topic, partition))
  if (resumable.length > 0) consumer.resume(groupByTopic(resumable))
}

/** Partitions as kafkajs' `pause` and `resume` take them: grouped by topic. */
export function groupByTopic(partitions: readonly TopicPartition[]): Array<{ topic: string, partitions: number[] }> {
  const byTopic = new Map<string, number[]>()
  for (const { topic, partition } of partitions) {
    const list = byTopic.get(topic)
    if (list) list.push(partition)
    else byTopic.set(topic, [partition])
  }
  return [...byTopic].map(([topic, list]) => ({ topic, partitions: list }))
}
