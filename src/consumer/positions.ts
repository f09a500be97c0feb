import type { KafkaMessage } from 'kafkajs'
import type { Checkpoint } from '../offsets/checkpoint-codec.js'
import type { CheckpointPosition } from '../offsets/checkpoint-writer-types.js'
import { logger } from '../util/log.js'

const log = logger('consumer')

/** A partition of a physical topic. */
export interface TopicPartition {
  topic: string
  partition: number
}

/**
 * The position of one partition, as kafkajs would commit it for the group.
 *
 * With automatic commits (kafkajs' default) that is the last processed record: hot loops take
 * the slot once per batch and then only write two fields per record ({@link markProcessed}).
 *
 * With manual commits (`autoCommit: false`) it is the application's last commit that could be
 * dated ({@link ProcessedPositions.commit}); `uncommitted` holds what dates the next one, and
 * `message` stays unused: a processed record the application has not committed is never a
 * position.
 */
export interface PositionSlot {
  /** Automatic commits: the last processed record, or undefined before the first. */
  message: KafkaMessage | undefined
  /** When the position was reached (its record processed or delivered), in ms since the epoch. */
  at: number
  /** Changed since the last `drain()`. */
  changed: boolean
  /** Manual commits: the last dated commit (next offset, timestamp of the record before it). */
  committed: { offset: string; timestamp: number } | undefined
  /** Manual commits: the records delivered and not yet covered by a commit; set by {@link markDelivered}. */
  uncommitted: UncommittedRecords | undefined
}

/** Records in `slot` that `message` was processed at `at` (ms since the epoch). Automatic commits only. */
export function markProcessed(slot: PositionSlot, message: KafkaMessage, at: number): void {
  slot.message = message
  slot.at = at
  slot.changed = true
}

/**
 * Records in `slot` that `message` was delivered to the application at `at` (ms since the
 * epoch), so that a later commit of its next offset can be dated. Manual commits only: from the
 * first call on, the slot's position is only ever what the application commits.
 */
export function markDelivered(slot: PositionSlot, message: KafkaMessage, at: number): void {
  ;(slot.uncommitted ??= new UncommittedRecords()).add(message.offset, message.timestamp, at)
}

/**
 * Above this many uncommitted records in one partition the oldest half is forgotten. A commit
 * is dated by the record just before it, which is among the newest delivered: only a commit
 * lagging this far behind what was delivered goes undated (and the checkpoint waits for the
 * next one).
 */
export const MAX_UNCOMMITTED = 20_000

/**
 * Offsets, timestamps and delivery times of the records of one partition that were delivered but
 * not yet committed, in offset order. Three flat arrays of values kafkajs already made (the
 * record's own offset and timestamp strings), not the records: their keys, values and headers are
 * not kept alive.
 */
export class UncommittedRecords {
  private readonly offsets: string[] = []
  private readonly timestamps: string[] = []
  private readonly ats: number[] = []

  /** How many records are held. */
  get size(): number {
    return this.offsets.length
  }

  /**
   * Adds a delivered record. A record at or below the last one held (delivered again after a
   * failed handler or a seek back) replaces the held ones from its offset on.
   */
  add(offset: string, timestamp: string, at: number): void {
    const { offsets, timestamps, ats } = this
    let n = offsets.length
    if (n > 0 && compareOffsets(offset, offsets[n - 1]!) <= 0) {
      n = this.firstAtOrAbove(offset)
      offsets.length = n
      timestamps.length = n
      ats.length = n
    } else if (n >= MAX_UNCOMMITTED) {
      const drop = MAX_UNCOMMITTED / 2
      offsets.splice(0, drop)
      timestamps.splice(0, drop)
      ats.splice(0, drop)
    }
    offsets.push(offset)
    timestamps.push(timestamp)
    ats.push(at)
  }

  /**
   * The record that dates a commit of `next`: the last one below it (the record at `next - 1`,
   * or the last data record before it where offsets have gaps: compaction, transaction markers).
   * `undefined` when no held record is below `next`.
   */
  before(next: string): { offset: string; timestamp: number; at: number } | undefined {
    const i = this.firstAtOrAbove(next) - 1
    return i < 0 ? undefined : { offset: this.offsets[i]!, timestamp: Number(this.timestamps[i]), at: this.ats[i]! }
  }

  /** Forgets the records below `next` (a commit of `next` covers them). */
  dropBelow(next: string): void {
    const n = this.firstAtOrAbove(next)
    if (n === 0) return
    this.offsets.splice(0, n)
    this.timestamps.splice(0, n)
    this.ats.splice(0, n)
  }

  /** Index of the first held offset ≥ `offset` (binary search; the size when there is none). */
  private firstAtOrAbove(offset: string): number {
    const { offsets } = this
    let lo = 0
    let hi = offsets.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compareOffsets(offsets[mid]!, offset) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

/** Compares two offsets in canonical decimal form (no sign, no leading zeros) without parsing them. */
function compareOffsets(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length
  return a < b ? -1 : a > b ? 1 : 0
}

/** `offset` as a canonical decimal string, or undefined when it is not a non-negative integer (kafkajs refuses those). */
function canonicalOffset(offset: unknown): string | undefined {
  try {
    const value = BigInt(String(offset))
    return value < 0n ? undefined : value.toString()
  } catch {
    return undefined
  }
}

/**
 * Per (topic, partition) on one cluster, the position kafkajs would commit for the group: the
 * last processed record with automatic commits; the application's last commit, dated by the
 * record before it, with manual ones. The hot path stores a reference and the time; offsets and
 * timestamps are worked out when checkpoints are collected (once per interval) or when a switch
 * needs them. The time travels with the position, so a position collected or written late (a
 * record that finished just as its session was fenced) never looks newer than positions reached
 * since on another cluster.
 */
export class ProcessedPositions {
  private readonly byTopic = new Map<string, PositionSlot[]>()

  constructor(readonly cluster: string) {}

  /** The slot of `topic`/`partition`, created on first use; write it with {@link markProcessed} or {@link markDelivered}. */
  slot(topic: string, partition: number): PositionSlot {
    let slots = this.byTopic.get(topic)
    if (slots === undefined) {
      slots = []
      this.byTopic.set(topic, slots)
    }
    let slot = slots[partition]
    if (slot === undefined) {
      slot = { message: undefined, at: 0, changed: false, committed: undefined, uncommitted: undefined }
      slots[partition] = slot
    }
    return slot
  }

  /**
   * Manual commits: the application commits `offset` (the next offset to read) on
   * `topic`/`partition`. The position becomes (`offset`, timestamp of the last delivered record
   * below it), dated by that record's delivery. That record is the one at `offset - 1`, or the
   * last before it where offsets have gaps (compaction, transaction markers); translation by an
   * earlier record's timestamp only re-reads more, never less. A commit without such a record (a
   * record this cluster's sessions never delivered, or one forgotten since) leaves the position
   * where it was: an older checkpoint only means duplicates after a failover, a guessed one could
   * mean loss.
   *
   * @returns whether the position moved
   */
  commit(topic: string, partition: number, offset: unknown): boolean {
    const next = canonicalOffset(offset)
    if (next === undefined) return false
    const slot = this.byTopic.get(topic)?.[partition]
    if (slot?.committed?.offset === next) return false // committed again: already the position
    const record = slot?.uncommitted?.before(next)
    if (slot === undefined || record === undefined) {
      log(
        'commit of %s/%s[%d] at %s not checkpointed: no record before it was delivered here (or it was forgotten)',
        this.cluster,
        topic,
        partition,
        next,
      )
      return false
    }
    slot.committed = { offset: next, timestamp: record.timestamp }
    slot.at = record.at
    slot.changed = true
    slot.uncommitted!.dropBelow(next)
    return true
  }

  /** Positions that changed since the last call (for the checkpoint writer). */
  drain(): CheckpointPosition[] {
    const out: CheckpointPosition[] = []
    this.forEachPosition((topic, partition, slot, offset, timestamp) => {
      if (!slot.changed) return
      slot.changed = false
      out.push({ cluster: this.cluster, topic, partition, offset, timestamp, at: slot.at })
    })
    return out
  }

  /** Every position as a checkpoint, `writtenAt` being the time its record was processed (or delivered). */
  checkpoints(group: string): Checkpoint[] {
    const out: Checkpoint[] = []
    this.forEachPosition((topic, partition, slot, offset, timestamp) => {
      out.push({ group, cluster: this.cluster, topic, partition, offset, timestamp, writtenAt: slot.at })
    })
    return out
  }

  private forEachPosition(visit: (topic: string, partition: number, slot: PositionSlot, offset: string, timestamp: number) => void): void {
    for (const [topic, slots] of this.byTopic) {
      slots.forEach((slot, partition) => {
        if (slot.uncommitted !== undefined) {
          // Manual commits: only what the application committed.
          if (slot.committed !== undefined) visit(topic, partition, slot, slot.committed.offset, slot.committed.timestamp)
        } else if (slot.message !== undefined) {
          visit(topic, partition, slot, (BigInt(slot.message.offset) + 1n).toString(), Number(slot.message.timestamp))
        }
      })
    }
  }
}
