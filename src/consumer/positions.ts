import type { KafkaMessage } from 'kafkajs'
import type { Checkpoint } from '../offsets/checkpoint-codec.js'
import type { CheckpointPosition } from '../offsets/checkpoint-writer-types.js'

/**
 * The last processed record of one partition. Hot loops take the slot once per batch and then
 * only write two fields per record.
 */
export interface PositionSlot {
  /** Last processed record, or undefined before the first. */
  message: KafkaMessage | undefined
  /** When it was processed, in ms since the epoch. */
  at: number
  /** Changed since the last `drain()`. */
  changed: boolean
}

/** Records in `slot` that `message` was processed at `at` (ms since the epoch). */
export function markProcessed(slot: PositionSlot, message: KafkaMessage, at: number): void {
  slot.message = message
  slot.at = at
  slot.changed = true
}

/**
 * The last record a group processed per (topic, partition) on one cluster. The hot path stores
 * a reference and the time; offsets and timestamps are worked out when checkpoints are collected
 * (once per interval) or when a switch needs them. The time travels with the position, so a
 * position collected or written late (a record that finished just as its session was fenced)
 * never looks newer than positions reached since on another cluster.
 */
export class ProcessedPositions {
  private readonly byTopic = new Map<string, PositionSlot[]>()

  constructor(readonly cluster: string) {}

  /** The slot of `topic`/`partition`, created on first use; write it with {@link markProcessed}. */
  slot(topic: string, partition: number): PositionSlot {
    let slots = this.byTopic.get(topic)
    if (slots === undefined) {
      slots = []
      this.byTopic.set(topic, slots)
    }
    let slot = slots[partition]
    if (slot === undefined) {
      slot = { message: undefined, at: 0, changed: false }
      slots[partition] = slot
    }
    return slot
  }

  /** Positions that changed since the last call (for the checkpoint writer). */
  drain(): CheckpointPosition[] {
    const out: CheckpointPosition[] = []
    this.forEachProcessed((topic, partition, slot, message) => {
      if (!slot.changed) return
      slot.changed = false
      out.push({ ...this.position(topic, partition, message), at: slot.at })
    })
    return out
  }

  /** Every position as a checkpoint, `writtenAt` being the time its record was processed. */
  checkpoints(group: string): Checkpoint[] {
    const out: Checkpoint[] = []
    this.forEachProcessed((topic, partition, slot, message) => {
      out.push({ group, ...this.position(topic, partition, message), writtenAt: slot.at })
    })
    return out
  }

  private forEachProcessed(visit: (topic: string, partition: number, slot: PositionSlot, message: KafkaMessage) => void): void {
    for (const [topic, slots] of this.byTopic) {
      slots.forEach((slot, partition) => {
        if (slot.message !== undefined) visit(topic, partition, slot, slot.message)
      })
    }
  }

  private position(topic: string, partition: number, message: KafkaMessage): CheckpointPosition {
    return { cluster: this.cluster, topic, partition, offset: (BigInt(message.offset) + 1n).toString(), timestamp: Number(message.timestamp) }
  }
}
