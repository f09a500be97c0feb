import type { KafkaMessage } from 'kafkajs'
import type { Checkpoint } from '../offsets/checkpoint-codec.js'
import type { CheckpointPosition } from '../offsets/checkpoint-writer-types.js'

interface TopicPositions {
  /** Last processed record per partition. */
  messages: Array<KafkaMessage | undefined>
  /** When the record was processed (ms since epoch), per partition. */
  at: number[]
  /** Changed since the last `drain()`, per partition. */
  changed: boolean[]
}

/**
 * The last record a group processed per (topic, partition) on one cluster. The hot path stores
 * a reference and the time; offsets and timestamps are worked out when checkpoints are collected
 * (once per interval) or when a switch needs them. The time travels with the position, so a
 * position collected or written late (a record that finished just as its session was fenced)
 * never looks newer than positions reached since on another cluster.
 */
export class ProcessedPositions {
  private readonly byTopic = new Map<string, TopicPositions>()

  constructor(readonly cluster: string) {}

  /** Notes that `message` of `topic`/`partition` was processed. Called for every record. */
  note(topic: string, partition: number, message: KafkaMessage): void {
    let entry = this.byTopic.get(topic)
    if (entry === undefined) {
      entry = { messages: [], at: [], changed: [] }
      this.byTopic.set(topic, entry)
    }
    entry.messages[partition] = message
    entry.at[partition] = Date.now()
    entry.changed[partition] = true
  }

  /** Positions that changed since the last call (for the checkpoint writer). */
  drain(): CheckpointPosition[] {
    const out: CheckpointPosition[] = []
    for (const [topic, entry] of this.byTopic) {
      entry.changed.forEach((changed, partition) => {
        if (!changed) return
        entry.changed[partition] = false
        out.push({ ...this.position(topic, partition, entry.messages[partition]!), at: entry.at[partition]! })
      })
    }
    return out
  }

  /** Every position as a checkpoint, `writtenAt` being the time its record was processed. */
  checkpoints(group: string): Checkpoint[] {
    const out: Checkpoint[] = []
    for (const [topic, entry] of this.byTopic) {
      entry.messages.forEach((message, partition) => {
        if (message) out.push({ group, ...this.position(topic, partition, message), writtenAt: entry.at[partition]! })
      })
    }
    return out
  }

  private position(topic: string, partition: number, message: KafkaMessage): CheckpointPosition {
    return { cluster: this.cluster, topic, partition, offset: (BigInt(message.offset) + 1n).toString(), timestamp: Number(message.timestamp) }
  }
}
