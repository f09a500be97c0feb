/**
 * Types of the checkpoint writer: positions, targets, options and event payloads.
 *
 * @module
 */
import type { Producer } from 'kafkajs'
import type { KafkaDRError } from '../errors/index.js'
import type { CheckpointWriterId } from './checkpoint-codec.js'

/** A consumer position to checkpoint; the group is the writer's. */
export interface CheckpointPosition {
  /** Cluster the position belongs to. */
  cluster: string
  /** Physical topic on that cluster. */
  topic: string
  /** Partition. */
  partition: number
  /** Next offset to consume (last processed offset + 1), decimal string. */
  offset: string
  /** CreateTime in ms of the last processed record; `-1` when unknown. */
  timestamp: number
  /**
   * When the position was reached (ms since epoch); written as the checkpoint's `writtenAt`, so
   * that a position written late never looks newer than it is. Default: the time of the write.
   */
  at?: number
}

/** Where checkpoints go: the producer of one cluster. */
export interface CheckpointTarget {
  /** Cluster name, for events and logs. */
  cluster: string
  /** A connected producer of that cluster. */
  producer: Producer
}

/**
 * Payload of the `checkpoint:written` event.
 *
 * @group Consumer
 */
export interface CheckpointWrittenInfo {
  /** Cluster written to. */
  cluster: string
  /** Checkpoint topic. */
  topic: string
  /** Consumer group. */
  group: string
  /** Checkpoints written in this batch. */
  count: number
  /** When the send started (ms since epoch). */
  timestamp: number
  /** Time the send took, in ms. */
  durationMs: number
}

/**
 * Payload of a failed write (the writer retries it on the next tick).
 *
 * @group Consumer
 */
export interface CheckpointWriteFailedInfo {
  /** Cluster that could not be written. */
  cluster: string
  /** Checkpoint topic. */
  topic: string
  /** Consumer group. */
  group: string
  /** Checkpoints that were to be written. */
  count: number
  /** The error: a `TimeoutError`, or a `KafkaClientError` with kafkajs' error as `cause`. */
  error: KafkaDRError
}

/** What a {@link CheckpointWriter.flush} did. It never rejects. */
export interface CheckpointFlushResult {
  /** Positions this write left taken by every target (no longer pending). */
  written: number
  /** The targets that took every checkpoint of this write (a target skipped by a tick because its previous send is still in progress is not listed). */
  writtenTo: string[]
  /** Targets that failed, with their error. */
  failed: Array<{ cluster: string; error: unknown }>
  /** Positions still waiting to be written after this flush. */
  pending: number
}

/** Options of {@link CheckpointWriter}. */
export interface CheckpointWriterOptions {
  /** Consumer group whose positions are checkpointed. */
  group: string
  /**
   * Where to write, asked at every flush: the active cluster's producer, or every reachable
   * cluster's producer when checkpoints are written to all clusters. An empty list postpones the
   * write.
   */
  targets: () => CheckpointTarget[]
  /**
   * Compacted checkpoint topic.
   *
   * @default DEFAULT_CHECKPOINT_TOPIC ('kafkajs-dr.checkpoints')
   */
  topic?: string
  /**
   * Time between two writes of the changed positions, in ms.
   *
   * @default 1000
   */
  intervalMs?: number
  /**
   * Bound on one send, in ms: kafkajs retries a dead cluster for many seconds.
   *
   * @default 5000
   */
  sendTimeoutMs?: number
  /** Called after each successful write to one cluster (the `checkpoint:written` event). Must not throw. */
  onWritten?: (info: CheckpointWrittenInfo) => void
  /** Called after a failed write to one cluster; the positions stay pending. Must not throw. */
  onError?: (info: CheckpointWriteFailedInfo) => void
  /**
   * Pull mode: called before every write to collect the positions that changed since the last
   * call, so the hot path only notes the last processed record (no per-record `record()` call).
   */
  collect?: () => CheckpointPosition[]
  /**
   * Who writes a position, asked for each position at every write and recorded in its checkpoint
   * (see `CheckpointWriterId`), so that the instances of a group see where the others deliver.
   * None by default.
   */
  writer?: (position: CheckpointPosition) => CheckpointWriterId | undefined
}
