/**
 * The checkpoint writer: keeps the latest consumer position per (cluster, topic, partition) and
 * writes the changed ones to the compacted checkpoint topic every `intervalMs`.
 *
 * @module
 */
import { asKafkaDRError, CodecError } from '../errors/index.js'
import { errorMessage, logger } from '../util/log.js'
import { withTimeout } from '../util/timeout.js'
import { expectFunction, expectInt, expectObject, expectString, invalid } from '../util/validate.js'
import { mm2DefaultExclusion } from '../topology/mm2-exclusions.js'
import { type CheckpointWriterId, DEFAULT_CHECKPOINT_TOPIC, encodeCheckpoint } from './checkpoint-codec.js'
import type {
  CheckpointFlushResult,
  CheckpointPosition,
  CheckpointTarget,
  CheckpointWriteFailedInfo,
  CheckpointWriterOptions,
  CheckpointWrittenInfo,
} from './checkpoint-writer-types.js'

/** The writer's types, re-exported so one import brings the writer and its options. */
export type {
  CheckpointFlushResult,
  CheckpointPosition,
  CheckpointTarget,
  CheckpointWriteFailedInfo,
  CheckpointWriterOptions,
  CheckpointWrittenInfo,
} from './checkpoint-writer-types.js'

const log = logger('checkpoint')

interface Entry extends CheckpointPosition {
  // Bumped by every record(): a target holds a position once it took this very seq.
  seq: number
}

/** What one cluster has taken, and its send in progress. */
interface TargetState {
  /** Seq of each position as last written to this cluster. */
  readonly taken: Map<string, number>
  /** The last send queued on this cluster; later sends to it start after it. */
  chain: Promise<unknown>
  busy: boolean
}

/** Outcome of one send to one cluster. */
type TargetOutcome = { cluster: string; ok: true } | { cluster: string; ok: false; error: unknown }

/** The positions of one write, encoded once for every target. */
type Encoded = Map<string, { seq: number; message: { key: Buffer; value: Buffer } }>

/**
 * Writes consumer checkpoints, throttled. {@link CheckpointWriter.record} is cheap and never
 * throws: it keeps the latest position per (cluster, topic, partition) in memory. A timer
 * (unref'd, so it never keeps the process alive) writes the changed positions every `intervalMs`
 * as one send per target; the record key is the position, so compaction keeps the newest.
 *
 * Each target is written on its own: a failed write is logged and retried on that target's next
 * tick, and a target whose send hangs (a paused cluster holds it for `sendTimeoutMs`) does not
 * hold the others back, so the surviving cluster keeps getting fresh checkpoints while the failed
 * one times out. A position is pending until every target took its latest value.
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
  private readonly writer: ((position: CheckpointPosition) => CheckpointWriterId | undefined) | undefined
  private readonly dirty = new Map<string, Entry>()
  private readonly byCluster = new Map<string, TargetState>()
  private readonly timer: NodeJS.Timeout
  private closed = false
  private seq = 0

  /** @throws `InvalidOptionError` naming the bad option. */
  constructor(options: CheckpointWriterOptions) {
    expectObject(options, 'checkpoint', [
      'group',
      'targets',
      'topic',
      'intervalMs',
      'sendTimeoutMs',
      'onWritten',
      'onError',
      'collect',
      'writer',
    ])
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
    if (excludedBy !== undefined)
      log('checkpoint topic %s matches MirrorMaker 2 default %s: MM2 will not replicate it', this.topic, excludedBy)
    // Nobody awaits a tick: what a flush or close would reject with (an error of the collect or
    // writer hook, rethrown by encodePending) is logged here, not left an unhandled rejection.
    this.timer = setInterval(() => {
      this.write('tick').catch((error: unknown) => log('checkpoint tick: %s', errorMessage(error)))
    }, this.intervalMs)
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
      this.dirty.set(key, {
        cluster: position.cluster,
        topic: position.topic,
        partition: position.partition,
        offset: position.offset,
        timestamp: position.timestamp,
        at: position.at,
        seq: this.seq,
      })
    } else {
      entry.offset = position.offset
      entry.timestamp = position.timestamp
      entry.at = position.at
      entry.seq = this.seq
    }
  }

  /**
   * Writes the pending positions now (before a switch, on disconnect), on each target after the
   * write in progress there. Resolves with what happened; never rejects.
   */
  flush(): Promise<CheckpointFlushResult> {
    return this.write('flush')
  }

  /**
   * Stops the timer and writes what is pending once more, within `timeoutMs` in all (default
   * `sendTimeoutMs`). A write in progress on a target is waited for during half of that: the last
   * write must land after it (a reader keeps the last record of a key), but not wait behind one
   * stuck on a hung cluster for long. Later {@link CheckpointWriter.record} calls are ignored.
   * Never rejects.
   */
  async close(timeoutMs = this.sendTimeoutMs): Promise<CheckpointFlushResult> {
    clearInterval(this.timer)
    // The last positions are collected before closing: they are the ones a restart needs most.
    this.pull()
    this.closed = true
    return this.write('close', timeoutMs)
  }

  /** Pulls positions from the `collect` hook (the consumer's cheap per-record bookkeeping). */
  private pull(): void {
    // record() ignores positions after close(), so pulling then would only drop them.
    if (!this.collect || this.closed) return
    for (const position of this.collect()) this.record(position)
  }

  /**
   * One write of the pending positions to every target. How a target with a send in progress is
   * treated depends on the caller: the timer skips it (its next tick catches up, so slow sends
   * never pile up), a flush queues behind it, and close waits for it at most half its time.
   */
  private async write(mode: 'tick' | 'flush' | 'close', timeoutMs = this.sendTimeoutMs): Promise<CheckpointFlushResult> {
    const deadline = Date.now() + timeoutMs
    this.pull()
    if (this.dirty.size === 0) return { written: 0, writtenTo: [], failed: [], pending: 0 }
    const targets = this.currentTargets()
    if (targets.length === 0) {
      log('no checkpoint target; %d positions pending', this.dirty.size)
      return { written: 0, writtenTo: [], failed: [], pending: this.dirty.size }
    }
    const encoded = this.encodePending()
    const outcomes = await Promise.all(
      targets.map(async (target): Promise<TargetOutcome | undefined> => {
        const state = this.state(target.cluster)
        if (mode === 'tick' && state.busy) return undefined
        if (mode === 'close') {
          if (state.busy) await withTimeout(state.chain, Math.floor(timeoutMs / 2), 'the checkpoint write in progress').catch(() => {})
          return this.sendTo(target, state, encoded, Math.max(1, deadline - Date.now()))
        }
        const run = state.chain.then(() => this.sendTo(target, state, encoded, this.sendTimeoutMs))
        state.chain = run
        return run
      }),
    )
    const written = this.prune(targets)
    const done = outcomes.filter((o): o is TargetOutcome => o !== undefined)
    return {
      written,
      writtenTo: done.filter((o) => o.ok).map((o) => o.cluster),
      failed: done.flatMap((o) => (o.ok ? [] : [{ cluster: o.cluster, error: o.error }])),
      pending: this.dirty.size,
    }
  }

  private currentTargets(): CheckpointTarget[] {
    try {
      return this.targets()
    } catch (error) {
      log('checkpoint targets unavailable: %s', errorMessage(error))
      return []
    }
  }

  private state(cluster: string): TargetState {
    let state = this.byCluster.get(cluster)
    if (state === undefined) {
      state = { taken: new Map(), chain: Promise.resolve(), busy: false }
      this.byCluster.set(cluster, state)
    }
    return state
  }

  /** Encodes every pending position once; one that cannot be encoded never will be, so it is dropped. */
  private encodePending(): Encoded {
    const encoded: Encoded = new Map()
    const writtenAt = Date.now()
    for (const [key, entry] of this.dirty) {
      try {
        const writer = this.writer?.(entry)
        encoded.set(key, {
          seq: entry.seq,
          message: encodeCheckpoint({
            group: this.group,
            cluster: entry.cluster,
            topic: entry.topic,
            partition: entry.partition,
            offset: entry.offset,
            timestamp: entry.timestamp,
            writtenAt: entry.at ?? writtenAt,
            ...(writer ? { writer } : {}),
          }),
        })
      } catch (error) {
        if (!(error instanceof CodecError)) throw error
        log('dropping checkpoint %s[%d] of %s: %s', entry.topic, entry.partition, entry.cluster, errorMessage(error))
        this.dirty.delete(key)
      }
    }
    return encoded
  }

  /** Sends to one target the positions it has not taken yet, and notes what it took. */
  private async sendTo(
    { cluster, producer }: CheckpointTarget,
    state: TargetState,
    encoded: Encoded,
    sendTimeoutMs: number,
  ): Promise<TargetOutcome> {
    const batch = [...encoded].filter(([key, { seq }]) => (state.taken.get(key) ?? 0) < seq)
    if (batch.length === 0) return { cluster, ok: true }
    const messages = batch.map(([, { message }]) => message)
    const started = Date.now()
    state.busy = true
    try {
      await withTimeout(
        producer.send({ topic: this.topic, messages }),
        sendTimeoutMs,
        `writing ${messages.length} checkpoints to ${cluster}`,
        { cluster, topic: this.topic, group: this.group },
      )
      // A send overtaken by a newer one (close does not queue) must not lower what was taken.
      for (const [key, { seq }] of batch) if ((state.taken.get(key) ?? 0) < seq) state.taken.set(key, seq)
      log('wrote %d checkpoints of %s to %s/%s', messages.length, this.group, cluster, this.topic)
      this.notify(this.onWritten, {
        cluster,
        topic: this.topic,
        group: this.group,
        count: messages.length,
        timestamp: started,
        durationMs: Date.now() - started,
      })
      return { cluster, ok: true }
    } catch (caught) {
      const error = asKafkaDRError(caught, `Writing ${messages.length} checkpoints of '${this.group}' to '${cluster}' failed`, {
        cluster,
        topic: this.topic,
        group: this.group,
      })
      log(
        'writing %d checkpoints of %s to %s/%s failed (retried next tick): %s',
        messages.length,
        this.group,
        cluster,
        this.topic,
        errorMessage(error),
      )
      this.notify(this.onError, { cluster, topic: this.topic, group: this.group, count: messages.length, error })
      return { cluster, ok: false, error }
    } finally {
      state.busy = false
    }
  }

  /** Forgets the positions every current target took at their latest value; returns how many. */
  private prune(targets: CheckpointTarget[]): number {
    let cleared = 0
    for (const [key, entry] of this.dirty) {
      if (!targets.every((t) => this.byCluster.get(t.cluster)?.taken.get(key) === entry.seq)) continue
      this.dirty.delete(key)
      for (const state of this.byCluster.values()) state.taken.delete(key)
      cleared++
    }
    return cleared
  }

  private notify<T>(listener: ((info: T) => void) | undefined, info: T): void {
    try {
      listener?.(info)
    } catch (error) {
      log('checkpoint listener threw: %s', errorMessage(error))
    }
  }
}
