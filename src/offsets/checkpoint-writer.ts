/**
 * The checkpoint writer: keeps the latest consumer position per (cluster, topic, partition) and
 * writes the changed ones to the compacted checkpoint topic every `intervalMs`.
 *
 * @module
 */
import { asKafkaDRError, CodecError } from '../errors.js'
import { errorMessage, logger } from '../util/log.js'
import { withTimeout } from '../util/timeout.js'
import { expectFunction, expectInt, expectObject, expectString, invalid } from '../util/validate.js'
import { mm2DefaultExclusion } from '../topology/mm2-exclusions.js'
import { type CheckpointWriterId, DEFAULT_CHECKPOINT_TOPIC, encodeCheckpoint } from './checkpoint-codec.js'
import type { CheckpointFlushResult, CheckpointPosition, CheckpointTarget, CheckpointWriteFailedInfo, CheckpointWriterOptions, CheckpointWrittenInfo } from './checkpoint-writer-types.js'

/** The writer's types, re-exported so one import brings the writer and its options. */
export type { CheckpointFlushResult, CheckpointPosition, CheckpointTarget, CheckpointWriteFailedInfo, CheckpointWriterOptions, CheckpointWrittenInfo } from './checkpoint-writer-types.js'

const log = logger('checkpoint')

interface Entry extends CheckpointPosition {
  // Bumped by every record(): a flush only clears an entry that did not change while it was sent.
  seq: number
}

/**
 * Writes consumer checkpoints, throttled. {@link CheckpointWriter.record} is cheap and never
 * throws: it keeps the latest position per (cluster, topic, partition) in memory. A timer
 * (unref'd, so it never keeps the process alive) writes the changed positions every `intervalMs`
 * as one send per target; the record key is the position, so compaction keeps the newest.
 *
 * A failed write is logged and retried on the next tick; the positions stay pending. With several
 * targets, a failure on any of them keeps the positions pending for all: rewriting a checkpoint is
 * harmless (same key, newer `writtenAt`).
 *
 * @example
 * ```ts
 * const writer = new CheckpointWriter({ group: 'billing', targets: () => [{ cluster: 'dc1', producer }] })
 * // in eachMessage, after processing:
 * writer.record({ cluster: 'dc1', topic, partition, offset: String(Number(message.offset) + 1), timestamp: Number(message.timestamp) })
 * // before a switch or on shutdown:
 * await writer.close()
 * ```
 */
export class CheckpointWriter {
  /** Checkpoint topic written to. */
  readonly topic: string
  /** Consumer group. */
  readonly group: string
  /** Time between two writes, in ms. */
  readonly intervalMs: number
  private readonly sendTimeoutMs: number
  private readonly targets: () => CheckpointTarget[]
  private readonly onWritten: ((info: CheckpointWrittenInfo) => void) | undefined
  private readonly onError: ((info: CheckpointWriteFailedInfo) => void) | undefined
  private readonly collect: (() => CheckpointPosition[]) | undefined
  private readonly writer: (() => CheckpointWriterId | undefined) | undefined
  private readonly dirty = new Map<string, Entry>()
  private readonly timer: NodeJS.Timeout
  private chain: Promise<unknown> = Promise.resolve()
  private busy = false
  private closed = false
  private seq = 0

  /** @throws `InvalidOptionError` naming the bad option. */
  constructor(options: CheckpointWriterOptions) {
    expectObject(options, 'checkpoint', ['group', 'targets', 'topic', 'intervalMs', 'sendTimeoutMs', 'onWritten', 'onError', 'collect', 'writer'])
    this.group = expectString(options.group, 'checkpoint.group')
    if (options.targets === undefined) invalid('checkpoint.targets', 'a function returning the producers to write to', undefined)
    this.targets = expectFunction<() => CheckpointTarget[]>(options.targets, 'checkpoint.targets')!
    this.topic = expectString(options.topic, 'checkpoint.topic', DEFAULT_CHECKPOINT_TOPIC)
    this.intervalMs = expectInt(options.intervalMs, 'checkpoint.intervalMs', 1000, { min: 10 })
    this.sendTimeoutMs = expectInt(options.sendTimeoutMs, 'checkpoint.sendTimeoutMs', 5000, { min: 1 })
    this.onWritten = expectFunction(options.onWritten, 'checkpoint.onWritten')
    this.onError = expectFunction(options.onError, 'checkpoint.onError')
    this.collect = expectFunction(options.collect, 'checkpoint.collect')
    this.writer = expectFunction(options.writer, 'checkpoint.writer')
    const excludedBy = mm2DefaultExclusion(this.topic)
    if (excludedBy !== undefined) log('checkpoint topic %s matches MirrorMaker 2 default %s: MM2 will not replicate it', this.topic, excludedBy)
    this.timer = setInterval(() => this.tick(), this.intervalMs)
    this.timer.unref()
  }

  /** Positions recorded but not yet written everywhere. */
  get pending(): number {
    return this.dirty.size
  }

  /**
   * Remembers a position; only the latest per (cluster, topic, partition) is written. Never throws
   * and does no I/O. Ignored after {@link CheckpointWriter.close}.
   */
  record(position: CheckpointPosition): void {
    if (this.closed) return
    const key = `${position.cluster}\u0000${position.topic}\u0000${position.partition}`
    const entry = this.dirty.get(key)
    this.seq++
    if (entry === undefined) {
      this.dirty.set(key, { cluster: position.cluster, topic: position.topic, partition: position.partition, offset: position.offset, timestamp: position.timestamp, at: position.at, seq: this.seq })
    } else {
      entry.offset = position.offset
      entry.timestamp = position.timestamp
      entry.at = position.at
      entry.seq = this.seq
    }
  }

  /**
   * Writes the pending positions now (before a switch, on disconnect), after any write in
   * progress. Resolves with what happened; never rejects.
   */
  flush(): Promise<CheckpointFlushResult> {
    const run = this.chain.then(() => this.write()).catch((error: unknown): CheckpointFlushResult => {
      // Not expected (write() handles send failures); kept so that flush() never rejects.
      log('checkpoint flush failed: %s', errorMessage(error))
      return { written: 0, writtenTo: [], failed: [{ cluster: '', error }], pending: this.dirty.size }
    })
    this.chain = run
    return run
  }

  /**
   * Stops the timer and writes what is pending once more, within `timeoutMs` in all (default
   * `sendTimeoutMs`). A write in progress is waited for during half of that: the last write
   * must land after it (a reader keeps the last record of a key), but not wait behind one stuck
   * on a hung cluster for long. Later {@link CheckpointWriter.record} calls are ignored. Never
   * rejects.
   */
  async close(timeoutMs = this.sendTimeoutMs): Promise<CheckpointFlushResult> {
    const deadline = Date.now() + timeoutMs
    clearInterval(this.timer)
    // The last positions are collected before closing: they are the ones a restart needs most.
    this.pull()
    this.closed = true
    if (this.busy) await withTimeout(this.chain, Math.floor(timeoutMs / 2), 'the checkpoint write in progress').catch(() => {})
    return this.write(Math.max(1, deadline - Date.now())).catch((error: unknown): CheckpointFlushResult => {
      log('last checkpoint write failed: %s', errorMessage(error))
      return { written: 0, writtenTo: [], failed: [{ cluster: '', error }], pending: this.dirty.size }
    })
  }

  /** Pulls positions from the `collect` hook (the consumer's cheap per-record bookkeeping). */
  private pull(): void {
    // record() ignores positions after close(), so pulling then would only drop them.
    if (!this.collect || this.closed) return
    for (const position of this.collect()) this.record(position)
  }

  private tick(): void {
    // A slow send must not pile up writes behind it; the next tick catches up.
    if (this.busy) return
    this.pull()
    if (this.dirty.size === 0) return
    void this.flush()
  }

  private async write(sendTimeoutMs = this.sendTimeoutMs): Promise<CheckpointFlushResult> {
    this.pull()
    if (this.dirty.size === 0) return { written: 0, writtenTo: [], failed: [], pending: 0 }
    this.busy = true
    try {
      let targets: CheckpointTarget[]
      try {
        targets = this.targets()
      } catch (error) {
        log('checkpoint targets unavailable: %s', errorMessage(error))
        targets = []
      }
      if (targets.length === 0) {
        log('no checkpoint target; %d positions pending', this.dirty.size)
        return { written: 0, writtenTo: [], failed: [], pending: this.dirty.size }
      }
      const writtenAt = Date.now()
      const { batch, messages } = this.encodePending(writtenAt)
      if (messages.length === 0) return { written: 0, writtenTo: [], failed: [], pending: this.dirty.size }
      const failed = await this.sendToAll(targets, messages, writtenAt, sendTimeoutMs)
      if (failed.length === 0) {
        for (const [key, seq] of batch) if (this.dirty.get(key)?.seq === seq) this.dirty.delete(key)
      }
      const writtenTo = targets.map((t) => t.cluster).filter((c) => !failed.some((f) => f.cluster === c))
      return { written: failed.length === 0 ? messages.length : 0, writtenTo, failed, pending: this.dirty.size }
    } finally {
      this.busy = false
    }
  }

  private encodePending(writtenAt: number): { batch: Map<string, number>, messages: Array<{ key: Buffer, value: Buffer }> } {
    const batch = new Map<string, number>()
    const messages: Array<{ key: Buffer, value: Buffer }> = []
    const writer = this.writer?.()
    for (const [key, entry] of this.dirty) {
      try {
        messages.push(encodeCheckpoint({ group: this.group, cluster: entry.cluster, topic: entry.topic, partition: entry.partition, offset: entry.offset, timestamp: entry.timestamp, writtenAt: entry.at ?? writtenAt, ...(writer ? { writer } : {}) }))
        batch.set(key, entry.seq)
      } catch (error) {
        // A position that cannot be encoded never will be: drop it rather than retry forever.
        if (!(error instanceof CodecError)) throw error
        log('dropping checkpoint %s[%d] of %s: %s', entry.topic, entry.partition, entry.cluster, errorMessage(error))
        this.dirty.delete(key)
      }
    }
    return { batch, messages }
  }

  private async sendToAll(targets: CheckpointTarget[], messages: Array<{ key: Buffer, value: Buffer }>, writtenAt: number, sendTimeoutMs: number): Promise<Array<{ cluster: string, error: unknown }>> {
    const failed: Array<{ cluster: string, error: unknown }> = []
    await Promise.all(targets.map(async ({ cluster, producer }) => {
      const started = Date.now()
      try {
        await withTimeout(producer.send({ topic: this.topic, messages }), sendTimeoutMs, `writing ${messages.length} checkpoints to ${cluster}`, { cluster, topic: this.topic, group: this.group })
        log('wrote %d checkpoints of %s to %s/%s', messages.length, this.group, cluster, this.topic)
        this.notify(this.onWritten, { cluster, topic: this.topic, group: this.group, count: messages.length, timestamp: writtenAt, durationMs: Date.now() - started })
      } catch (caught) {
        const error = asKafkaDRError(caught, `Writing ${messages.length} checkpoints of '${this.group}' to '${cluster}' failed`, { cluster, topic: this.topic, group: this.group })
        failed.push({ cluster, error })
        log('writing %d checkpoints of %s to %s/%s failed (retried next tick): %s', messages.length, this.group, cluster, this.topic, errorMessage(error))
        this.notify(this.onError, { cluster, topic: this.topic, group: this.group, count: messages.length, error })
      }
    }))
    return failed
  }

  private notify<T>(listener: ((info: T) => void) | undefined, info: T): void {
    try {
      listener?.(info)
    } catch (error) {
      log('checkpoint listener threw: %s', errorMessage(error))
    }
  }
}
