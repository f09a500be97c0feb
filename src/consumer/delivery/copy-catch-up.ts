/**
 * Partitions started at the end of a copy whose replication was behind the group's position
 * (see `TranslatedPartition.pendingTimestamp`): the timestamp lookup found no record at or after
 * the checkpoint's timestamp, so the group's position there is not known yet. The records that
 * replication adds before the first one at or after that timestamp were processed on the origin,
 * and are skipped; from that record on, everything is delivered. That is where the lookup would
 * have started on a complete copy, so a start here repeats no more than one there would.
 *
 * @module
 */
import type { Batch, KafkaMessage } from 'kafkajs'
import { logger } from '../../util/log.js'
import { partitionKey } from '../../util/partition-key.js'
import { markProcessed, type PositionSlot } from '../positions.js'

const log = logger('consumer')

/** See the module description. One per session: its seeks set it, its delivery loops read it. */
export class CopyCatchUp {
  /** The timestamp each partition still waits for, by `partitionKey`. */
  private readonly pending = new Map<string, { timestamp: number; skipped: number }>()

  /** Whether any partition still skips: the delivery loops look no further when none does. */
  get skipping(): boolean {
    return this.pending.size > 0
  }

  /** The partition starts (a seek): it skips records below `timestamp`, or nothing when undefined. */
  started(topic: string, partition: number, timestamp: number | undefined): void {
    const key = partitionKey(topic, partition)
    if (timestamp === undefined) this.pending.delete(key)
    else this.pending.set(key, { timestamp, skipped: 0 })
  }

  /** A new assignment: nothing skips until its seeks say so. */
  clear(): void {
    this.pending.clear()
  }

  /**
   * How many of `messages` (a fetched batch of the partition, in offset order) to skip from the
   * front. The partition is done once a record at or after its timestamp arrives.
   */
  leading(topic: string, partition: number, messages: readonly KafkaMessage[]): number {
    const key = partitionKey(topic, partition)
    const waiting = this.pending.get(key)
    if (waiting === undefined) return 0
    let n = 0
    while (n < messages.length && Number(messages[n]!.timestamp) < waiting.timestamp) n++
    waiting.skipped += n
    if (n < messages.length) {
      this.pending.delete(key)
      log(
        "%s[%d]: the copy reached the group's position; %d records replicated below timestamp %d skipped",
        topic,
        partition,
        waiting.skipped,
        waiting.timestamp,
      )
    }
    return n
  }
}

/**
 * Skips the batch's leading records that `catchUp` says its partition's copy received below the
 * group's position: resolved and, with `notePosition` (automatic commits), noted as processed, as
 * the records the delivery filter skips are. Returns how many.
 */
export function skipLeadingRecords(
  catchUp: CopyCatchUp,
  batch: Batch,
  slot: PositionSlot,
  resolveOffset: (offset: string) => void,
  notePosition: boolean,
): number {
  const skipped = catchUp.leading(batch.topic, batch.partition, batch.messages)
  if (skipped === 0) return 0
  const last = batch.messages[skipped - 1]!
  if (notePosition) markProcessed(slot, last, Date.now())
  resolveOffset(last.offset)
  return skipped
}
