/**
 * A session's latest assignment and where it starts. At every group join the assignment is held
 * (paused) until the consumer's translation has positioned it (seeks), then resumed; a fresh
 * run's first join whose start offsets are already known starts at once instead.
 *
 * @module
 */
import type { Consumer } from 'kafkajs'
import { backoff } from '../../util/backoff.js'
import { errorMessage, logger } from '../../util/log.js'
import { partitionKey } from '../../util/partition-key.js'
import { delay } from '../../util/timeout.js'
import { CopyCatchUp } from '../delivery/copy-catch-up.js'
import type { StartPositions } from '../positioning.js'
import type { TopicPartition } from '../positions.js'
import type { UserPauses } from './user-pauses.js'

const log = logger('consumer')

/** Back-off between attempts to position an assignment, in ms. */
export const POSITION_RETRY = { initialMs: 250, maxMs: 5000 }

/** What an {@link Assignment} asks of its session. */
export interface AssignmentHost {
  readonly consumer: Consumer
  readonly cluster: string
  readonly groupId: string
  /** Whether the session delivers now (active and not stopped). */
  delivers: () => boolean
  /** Where `assigned` starts (see `SessionOwner.position`). */
  position: (assigned: readonly TopicPartition[]) => Promise<StartPositions>
  /** Positioning failed; it is tried again after `retryInMs`. */
  positionFailed: (error: unknown, attempt: number, retryInMs: number) => void
}

/** See the module description. */
export class Assignment {
  /** The partitions of the latest join. */
  partitions: TopicPartition[] = []
  /** The last positioning attempt failed (it is being retried). */
  failing = false
  /** Bumped by every join, (de)activation and stop: a positioning of an older one is dropped. */
  private generation = 0
  /** Resolves once the current generation is positioned and resumed. */
  private positioned: Promise<void> | undefined
  /** A fresh run's start offsets, known before its first join; undefined otherwise. */
  private startOffsets: StartPositions | undefined
  /** Partitions started on a copy behind the group's position (set by the seeks). */
  readonly catchUp = new CopyCatchUp()

  constructor(
    private readonly host: AssignmentHost,
    private readonly userPauses: UserPauses,
  ) {}

  /** A (de)activation or a stop: a positioning under way is dropped. */
  invalidate(): void {
    this.generation++
    this.positioned = undefined
  }

  /**
   * Takes a fresh run's start offsets once `offsets` resolves (see `SessionOwner.startOffsets`),
   * unless a join or a (de)activation comes first. A failure leaves the positioning to the join.
   * Resolves once they are taken or failed; never rejects.
   */
  prepareStart(offsets: Promise<StartPositions>): Promise<void> {
    const generation = this.generation
    return offsets
      .then((known) => {
        if (generation === this.generation) this.startOffsets = known
      })
      .catch((error: unknown) =>
        log('start offsets of %s on %s: %s (positioned at the join)', this.host.groupId, this.host.cluster, errorMessage(error)),
      )
  }

  /**
   * At a group join, synchronously (before kafkajs fetches for it): the first join of a fresh run
   * whose start offsets are known starts at once, since a paused assignment waits out kafkajs'
   * idle fetch sleep (`maxWaitTimeInMs`) after its resume. Any other is paused, and positioned
   * when the session delivers.
   */
  joined(memberAssignment: Record<string, number[]>): void {
    this.partitions = Object.entries(memberAssignment).flatMap(([topic, partitions]) =>
      partitions.map((partition) => ({ topic, partition })),
    )
    const startOffsets = this.startOffsets
    this.startOffsets = undefined
    this.invalidate()
    this.catchUp.clear()
    const delivers = this.host.delivers()
    if (delivers && startOffsets !== undefined) {
      seekAndResume(this.host.consumer, this.host.cluster, this.partitions, startOffsets, this.userPauses, this.catchUp)
      this.positioned = Promise.resolve()
      return
    }
    this.pauseAll()
    if (delivers) this.positioned = this.position(this.generation)
  }

  /** Resolves once the current assignment is positioned and resumed, positioning it if nothing does yet. */
  positionedNow(): Promise<void> {
    this.positioned ??= this.position(this.generation)
    return this.positioned
  }

  /** Pauses the whole assignment (a standby's, or one waiting for its positions). */
  pauseAll(): void {
    if (this.partitions.length === 0) return
    try {
      this.host.consumer.pause(groupByTopic(this.partitions))
    } catch (error) {
      log('pausing %s on %s: %s', this.host.groupId, this.host.cluster, errorMessage(error))
    }
  }

  /** Positions the assignment of `generation`, seeks, resumes; retried with capped back-off. */
  private async position(generation: number): Promise<void> {
    const current = (): boolean => generation === this.generation && this.host.delivers()
    for (let attempt = 1; current(); attempt++) {
      const assigned = this.partitions
      if (assigned.length === 0) return
      try {
        const offsets = await this.host.position(assigned)
        if (!current()) return
        seekAndResume(this.host.consumer, this.host.cluster, assigned, offsets, this.userPauses, this.catchUp)
        this.failing = false
        return
      } catch (error) {
        if (!current()) return
        this.failing = true
        const retryInMs = backoff(attempt, POSITION_RETRY)
        this.host.positionFailed(error, attempt, retryInMs)
        await delay(retryInMs)
      }
    }
  }
}

/**
 * Starts a positioned assignment: seeks each partition that has a position (by `partitionKey`;
 * the others resume where kafkajs would) and tells `catchUp` what it skips, then resumes every
 * one the application did not pause.
 */
export function seekAndResume(
  consumer: Consumer,
  cluster: string,
  assigned: readonly TopicPartition[],
  positions: StartPositions,
  userPauses: UserPauses,
  catchUp: CopyCatchUp,
): void {
  for (const { topic, partition } of assigned) {
    const position = positions.get(partitionKey(topic, partition))
    catchUp.started(topic, partition, position?.skipBelowTimestamp)
    if (position === undefined) continue
    const { offset, skipBelowTimestamp } = position
    if (skipBelowTimestamp === undefined) log('seek %s/%s[%d] to %s', cluster, topic, partition, offset)
    else
      log(
        "seek %s/%s[%d] to %s, the copy's end: records replicated below timestamp %d are skipped",
        cluster,
        topic,
        partition,
        offset,
        skipBelowTimestamp,
      )
    consumer.seek({ topic, partition, offset })
  }
  const resumable = assigned.filter(({ topic, partition }) => !userPauses.has(topic, partition))
  if (resumable.length > 0) consumer.resume(groupByTopic(resumable))
}

/** Partitions as kafkajs' `pause` and `resume` take them: grouped by topic. */
export function groupByTopic(partitions: readonly TopicPartition[]): Array<{ topic: string; partitions: number[] }> {
  const byTopic = new Map<string, number[]>()
  for (const { topic, partition } of partitions) {
    const list = byTopic.get(topic)
    if (list) list.push(partition)
    else byTopic.set(topic, [partition])
  }
  return [...byTopic].map(([topic, list]) => ({ topic, partitions: list }))
}
