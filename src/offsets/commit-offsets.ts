/**
 * Commits a translation's offsets to the consumer group on the target cluster.
 *
 * @module
 */
import type { Admin, Consumer, Kafka } from 'kafkajs'
import { subscribeWhenKnown } from '../cluster/index.js'
import { asKafkaDRError, GroupNotEmptyError } from '../errors/index.js'
import { errorMessage, logger } from '../util/log.js'
import { withTimeout } from '../util/timeout.js'
import type { TranslationResult } from './translation-types.js'

const log = logger('offsets')

// What kafkajs's setOffsets throws when describeGroup shows members (admin/index.js), and what a
// broker answers when a member joined between that check and the commit.
const NOT_EMPTY_MESSAGE = 'must have no running instances'
const NOT_EMPTY_TYPES = new Set(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS'])
const EMPTY_STATES = new Set(['Empty', 'Dead'])

/**
 * Options of {@link commitTranslatedOffsets}.
 *
 * @group Offsets
 */
export interface CommitTranslatedOffsetsOptions {
  /**
   * The target cluster's client. With it every topic is committed by one short-lived member of
   * the group (one join, one commit, one leave: tens of ms). Without it kafkajs's
   * `admin.setOffsets` is used once per topic, and each call takes about 5 s: it joins the group,
   * commits, then sleeps the fetch wait (`maxWaitTimeInMs`, 5 s, not configurable) because every
   * partition is paused.
   */
  kafka?: Kafka
  /**
   * Bound on the single-join commit, in ms (only with `kafka`).
   *
   * @default 15000
   */
  timeoutMs?: number
}

/**
 * What {@link commitTranslatedOffsets} committed.
 *
 * @group Offsets
 */
export interface CommitTranslatedOffsetsResult {
  /** Topics committed, in order. */
  topics: string[]
  /** Partitions committed. */
  partitions: number
  /** Time taken, in ms. */
  durationMs: number
}

/**
 * Commits every partition of `result` to `result.group` on the target cluster.
 *
 * Kafka accepts such a commit only while the group is empty (state `Empty` or `Dead`): call this
 * before the group's consumers start on the target. A group with members — for example one that a
 * restarted cluster still remembers until their session times out — fails with
 * {@link GroupNotEmptyError} (`ERR_GROUP_NOT_EMPTY`, retriable), which lists the topics already
 * committed; the caller decides whether to wait and retry, or to seek after joining. The commit
 * briefly joins the group (kafkajs's `setOffsets` does too): a consumer joining at that moment
 * sees one extra rebalance.
 *
 * @param admin - a connected admin of `result.targetCluster`
 * @throws {@link GroupNotEmptyError} when the group has members; `TimeoutError`; `KafkaClientError`
 * (kafkajs' error as `cause`) when the cluster refuses the commit
 * @example
 * ```ts
 * const result = await translateOffsets(request)
 * try {
 *   await commitTranslatedOffsets(admin, result, { kafka })
 * } catch (error) {
 *   if (error instanceof GroupNotEmptyError) { ... wait for the group to empty, or seek after joining ... }
 *   throw error
 * }
 * ```
 *
 * @group Offsets
 */
export async function commitTranslatedOffsets(
  admin: Admin,
  result: TranslationResult,
  options: CommitTranslatedOffsetsOptions = {},
): Promise<CommitTranslatedOffsetsResult> {
  const started = Date.now()
  const byTopic = new Map<string, Array<{ partition: number; offset: string }>>()
  for (const { topic, partition, offset } of result.partitions) {
    let list = byTopic.get(topic)
    if (list === undefined) byTopic.set(topic, (list = []))
    list.push({ partition, offset })
  }
  const committed: string[] = []
  try {
    if (byTopic.size === 0) {
      // Nothing to commit.
    } else if (options.kafka !== undefined) {
      await commitAsMember(options.kafka, admin, result.group, byTopic, options.timeoutMs ?? 15_000)
      committed.push(...byTopic.keys())
    } else {
      for (const [topic, partitions] of byTopic) {
        await admin.setOffsets({ groupId: result.group, topic, partitions })
        committed.push(topic)
      }
    }
  } catch (error) {
    const type = (error as { type?: string }).type
    if (
      error instanceof GroupNotEmptyError ||
      errorMessage(error).includes(NOT_EMPTY_MESSAGE) ||
      (type !== undefined && NOT_EMPTY_TYPES.has(type))
    ) {
      const topic = [...byTopic.keys()].find((t) => !committed.includes(t))
      throw new GroupNotEmptyError(
        `Cannot commit translated offsets of group '${result.group}' on '${result.targetCluster}'${topic === undefined ? '' : ` (topic '${topic}')`}: the group has running members; Kafka accepts these commits only for an empty group. Committed so far: ${committed.length === 0 ? 'none' : committed.join(', ')}`,
        {
          cause: error instanceof GroupNotEmptyError ? error.cause : error,
          cluster: result.targetCluster,
          group: result.group,
          ...(topic === undefined ? {} : { topic }),
          committedTopics: [...committed],
        },
      )
    }
    throw asKafkaDRError(error, `Committing translated offsets of group '${result.group}' on '${result.targetCluster}' failed`, {
      cluster: result.targetCluster,
      group: result.group,
    })
  }
  const durationMs = Date.now() - started
  log('committed %d partitions of %s on %s in %d ms', result.partitions.length, result.group, result.targetCluster, durationMs)
  return { topics: committed, partitions: result.partitions.length, durationMs }
}

/**
 * Joins the (empty) group as its only member with every partition paused, commits all offsets
 * in one request under that membership, and leaves.
 */
async function commitAsMember(
  kafka: Kafka,
  admin: Admin,
  group: string,
  byTopic: Map<string, Array<{ partition: number; offset: string }>>,
  timeoutMs: number,
): Promise<void> {
  // The same precondition kafkajs's setOffsets checks.
  const state = (await admin.describeGroups([group])).groups[0]?.state
  if (state !== undefined && !EMPTY_STATES.has(state))
    throw new GroupNotEmptyError(`group state is ${state}`, {
      cause: new Error(`The consumer group must have no running instances, current state: ${state}`),
    })
  const topics = [...byTopic.keys()]
  const consumer = kafka.consumer({
    groupId: group,
    maxWaitTimeInMs: 100,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    allowAutoTopicCreation: false,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000, restartOnFailure: async () => false },
  })
  try {
    await withTimeout(joinAndCommit(consumer, topics, byTopic), timeoutMs, `committing offsets of group '${group}'`, { group })
  } finally {
    await withTimeout(consumer.disconnect(), 2000, `disconnecting the committer of '${group}'`).catch((error: unknown) =>
      log('committer disconnect: %s', errorMessage(error)),
    )
  }
}

async function joinAndCommit(
  consumer: Consumer,
  topics: string[],
  byTopic: Map<string, Array<{ partition: number; offset: string }>>,
): Promise<void> {
  const joined = new Promise<void>((resolve, reject) => {
    consumer.on(consumer.events.GROUP_JOIN, () => resolve())
    consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error))
  })
  joined.catch(() => {})
  await consumer.connect()
  await subscribeWhenKnown(consumer, { topics, fromBeginning: true })
  // run() creates the consumer group synchronously, so pause() right after it takes effect before
  // the first fetch: no record is ever fetched.
  const running = consumer.run({ autoCommit: false, eachBatch: async () => {} })
  consumer.pause(topics.map((topic) => ({ topic })))
  await Promise.all([running, joined])
  await consumer.commitOffsets(
    [...byTopic].flatMap(([topic, partitions]) => partitions.map(({ partition, offset }) => ({ topic, partition, offset }))),
  )
}
