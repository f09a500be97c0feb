import type { Producer, ProducerRecord } from 'kafkajs'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { InvalidOptionError, KafkaClientError } from '../../../src/errors/index.js'
import { decodeCheckpoint, DEFAULT_CHECKPOINT_TOPIC } from '../../../src/offsets/checkpoint-codec.js'
import { CheckpointWriter, type CheckpointWriterOptions } from '../../../src/offsets/checkpoint-writer.js'

/** A producer that records what it was asked to send and can be made to fail or hang. */
class FakeProducer {
  sends: ProducerRecord[] = []
  failWith: Error | undefined
  hang = false
  private release: (() => void) | undefined

  async send(record: ProducerRecord): Promise<[]> {
    this.sends.push(record)
    if (this.hang)
      await new Promise<void>((resolve) => {
        this.release = resolve
      })
    if (this.failWith) throw this.failWith
    return []
  }

  unhang(): void {
    this.hang = false
    this.release?.()
  }

  /** Decoded checkpoints of every send, in order. */
  decoded(): Array<ReturnType<typeof decodeCheckpoint>> {
    return this.sends.flatMap((s) => s.messages.map((m) => decodeCheckpoint(m.key as Buffer, m.value as Buffer)))
  }

  asProducer(): Producer {
    return this as unknown as Producer
  }
}

const writers: CheckpointWriter[] = []
function writer(options: Partial<CheckpointWriterOptions> & { producer?: FakeProducer } = {}): CheckpointWriter {
  const { producer = new FakeProducer(), ...rest } = options
  const w = new CheckpointWriter({ group: 'g', targets: () => [{ cluster: 'dc1', producer: producer.asProducer() }], ...rest })
  writers.push(w)
  return w
}

const pos = (partition: number, offset: number, timestamp = 1000 + offset) => ({
  cluster: 'dc1',
  topic: 'orders',
  partition,
  offset: String(offset),
  timestamp,
})

describe('CheckpointWriter', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_700_000_000_000 })
  })
  afterEach(async () => {
    vi.useRealTimers()
    await Promise.all(writers.splice(0).map((w) => w.close()))
  })

  it('coalesces many positions into one send holding only the latest per (cluster, topic, partition)', async () => {
    const producer = new FakeProducer()
    const w = writer({ producer })
    for (let i = 1; i <= 500; i++) w.record(pos(i % 3, i))
    w.record({ ...pos(0, 7), cluster: 'dc2' })
    expect(w.pending).toBe(4)
    const result = await w.flush()
    expect(result).toEqual({ written: 4, writtenTo: ['dc1'], failed: [], pending: 0 })
    expect(producer.sends).toHaveLength(1)
    expect(producer.sends[0]!.topic).toBe(DEFAULT_CHECKPOINT_TOPIC)
    const decoded = producer.decoded()
    expect(decoded).toEqual(
      expect.arrayContaining([
        { group: 'g', cluster: 'dc1', topic: 'orders', partition: 0, offset: '498', timestamp: 1498, writtenAt: 1_700_000_000_000 },
        { group: 'g', cluster: 'dc1', topic: 'orders', partition: 1, offset: '499', timestamp: 1499, writtenAt: 1_700_000_000_000 },
        { group: 'g', cluster: 'dc1', topic: 'orders', partition: 2, offset: '500', timestamp: 1500, writtenAt: 1_700_000_000_000 },
        { group: 'g', cluster: 'dc2', topic: 'orders', partition: 0, offset: '7', timestamp: 1007, writtenAt: 1_700_000_000_000 },
      ]),
    )
  })

  it('writes on the timer only what changed since the last write', async () => {
    const producer = new FakeProducer()
    const w = writer({ producer, intervalMs: 1000 })
    w.record(pos(0, 1))
    w.record(pos(1, 1))
    await vi.advanceTimersByTimeAsync(999)
    expect(producer.sends).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(1)
    expect(producer.sends).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(3000)
    expect(producer.sends).toHaveLength(1) // nothing dirty: no empty sends
    w.record(pos(1, 2))
    await vi.advanceTimersByTimeAsync(1000)
    expect(producer.sends).toHaveLength(2)
    expect(producer.sends[1]!.messages).toHaveLength(1)
    expect(producer.decoded().at(-1)).toMatchObject({ partition: 1, offset: '2' })
  })

  it('keeps positions after a failed write, reports it, and writes them on the next tick', async () => {
    const producer = new FakeProducer()
    producer.failWith = new Error('broker down')
    const errors: unknown[] = []
    const written: number[] = []
    const w = writer({ producer, onError: (info) => errors.push(info), onWritten: (info) => written.push(info.count) })
    w.record(pos(0, 5))
    const failed = await w.flush()
    expect(failed.written).toBe(0)
    expect(failed.pending).toBe(1)
    // kafkajs' error reaches the application as the cause of a KafkaClientError.
    const wrapped = expect.objectContaining({
      name: 'KafkaClientError',
      code: 'ERR_KAFKAJS',
      cause: producer.failWith,
      cluster: 'dc1',
      group: 'g',
      message: "Writing 1 checkpoints of 'g' to 'dc1' failed: broker down",
    })
    expect(failed.failed).toEqual([{ cluster: 'dc1', error: wrapped }])
    expect(errors).toEqual([{ cluster: 'dc1', topic: DEFAULT_CHECKPOINT_TOPIC, group: 'g', count: 1, error: wrapped }])
    expect((errors[0] as { error: unknown }).error).toBeInstanceOf(KafkaClientError)
    producer.failWith = undefined
    await vi.advanceTimersByTimeAsync(1000)
    expect(w.pending).toBe(0)
    expect(written).toEqual([1])
    expect(producer.decoded().at(-1)).toMatchObject({ partition: 0, offset: '5' })
  })

  it('does not lose a position recorded while its previous value is being sent', async () => {
    const producer = new FakeProducer()
    producer.hang = true
    const w = writer({ producer })
    w.record(pos(0, 1))
    const first = w.flush()
    await vi.advanceTimersByTimeAsync(0)
    w.record(pos(0, 2)) // arrives during the send of offset 1
    producer.unhang()
    expect((await first).pending).toBe(1)
    await w.flush()
    expect(producer.decoded().map((c) => c!.offset)).toEqual(['1', '2'])
    expect(w.pending).toBe(0)
  })

  it('bounds a hanging send by sendTimeoutMs and retries later', async () => {
    const producer = new FakeProducer()
    producer.hang = true
    const w = writer({ producer, sendTimeoutMs: 300, intervalMs: 1000 })
    w.record(pos(0, 1))
    const flushed = w.flush()
    await vi.advanceTimersByTimeAsync(300)
    const result = await flushed
    expect(result.failed[0]!.error).toMatchObject({ code: 'ERR_TIMEOUT', cluster: 'dc1' })
    expect(result.pending).toBe(1)
    producer.unhang()
  })

  it('with several targets, keeps positions pending until every target took them', async () => {
    const ok = new FakeProducer()
    const bad = new FakeProducer()
    bad.failWith = new Error('nope')
    const w = new CheckpointWriter({
      group: 'g',
      targets: () => [
        { cluster: 'dc1', producer: ok.asProducer() },
        { cluster: 'dc2', producer: bad.asProducer() },
      ],
    })
    writers.push(w)
    w.record(pos(0, 1))
    const result = await w.flush()
    expect(result.failed.map((f) => f.cluster)).toEqual(['dc2'])
    expect(result.pending).toBe(1)
    bad.failWith = undefined
    expect(await w.flush()).toMatchObject({ written: 1, writtenTo: ['dc1', 'dc2'], pending: 0 })
    expect(ok.sends).toHaveLength(1) // dc1 already took it: only dc2 is written again
    expect(bad.sends).toHaveLength(2)
  })

  it('keeps writing the other targets on every tick while one target hangs (a paused cluster)', async () => {
    const ok = new FakeProducer()
    const hung = new FakeProducer()
    hung.hang = true
    const w = new CheckpointWriter({
      group: 'g',
      intervalMs: 1000,
      sendTimeoutMs: 5000,
      targets: () => [
        { cluster: 'dc1', producer: hung.asProducer() },
        { cluster: 'dc2', producer: ok.asProducer() },
      ],
    })
    writers.push(w)
    for (let second = 1; second <= 4; second++) {
      w.record(pos(0, second))
      await vi.advanceTimersByTimeAsync(1000)
    }
    // dc2 took every second's position; dc1 still holds its first send and was not sent more.
    expect(ok.decoded().map((c) => c?.offset)).toEqual(['1', '2', '3', '4'])
    expect(hung.sends).toHaveLength(1)
    expect(w.pending).toBe(1)
    // The hung send times out; the next tick writes dc1 the latest position only.
    hung.hang = false
    await vi.advanceTimersByTimeAsync(2000)
    hung.unhang()
    await vi.advanceTimersByTimeAsync(1000)
    expect(hung.decoded().at(-1)?.offset).toBe('4')
    expect(w.pending).toBe(0)
  })

  it('postpones when there is no target, and survives a throwing targets() and listeners', async () => {
    let targets: Array<{ cluster: string; producer: Producer }> = []
    const producer = new FakeProducer()
    const w = new CheckpointWriter({
      group: 'g',
      targets: () => targets,
      onWritten: () => {
        throw new Error('listener bug')
      },
    })
    writers.push(w)
    w.record(pos(0, 1))
    expect(await w.flush()).toEqual({ written: 0, writtenTo: [], failed: [], pending: 1 })
    const throwing = new CheckpointWriter({
      group: 'g',
      targets: () => {
        throw new Error('no active cluster')
      },
    })
    writers.push(throwing)
    throwing.record(pos(0, 1))
    expect(await throwing.flush()).toEqual({ written: 0, writtenTo: [], failed: [], pending: 1 })
    targets = [{ cluster: 'dc1', producer: producer.asProducer() }]
    expect(await w.flush()).toEqual({ written: 1, writtenTo: ['dc1'], failed: [], pending: 0 })
  })

  it('close(): the last write does not queue behind one stuck on a hung target, and is bounded per target', async () => {
    const ok = new FakeProducer()
    const hung = new FakeProducer()
    hung.hang = true
    const w = new CheckpointWriter({
      group: 'g',
      sendTimeoutMs: 5000,
      targets: () => [
        { cluster: 'dc1', producer: ok.asProducer() },
        { cluster: 'dc2', producer: hung.asProducer() },
      ],
    })
    w.record(pos(0, 1))
    void w.flush() // stuck on dc2 for up to 5 s
    await vi.advanceTimersByTimeAsync(10)
    w.record(pos(0, 2))
    const closing = w.close(300)
    await vi.advanceTimersByTimeAsync(300)
    const result = await closing
    expect(result.writtenTo).toEqual(['dc1'])
    expect(result.failed.map((f) => f.cluster)).toEqual(['dc2'])
    expect(ok.decoded().at(-1)?.offset).toBe('2')
    hung.unhang()
  })

  it('drops a position that cannot be encoded instead of retrying it forever', async () => {
    const producer = new FakeProducer()
    const w = writer({ producer })
    w.record({ ...pos(0, 1), offset: '-5' })
    w.record(pos(1, 3))
    expect(await w.flush()).toEqual({ written: 1, writtenTo: ['dc1'], failed: [], pending: 0 })
    expect(producer.decoded()).toHaveLength(1)
  })

  it('close() flushes, stops the timer and ignores later records', async () => {
    const producer = new FakeProducer()
    const w = writer({ producer })
    w.record(pos(0, 9))
    expect(await w.close()).toMatchObject({ written: 1, pending: 0 })
    w.record(pos(0, 10))
    expect(w.pending).toBe(0)
    await vi.advanceTimersByTimeAsync(5000)
    expect(producer.sends).toHaveLength(1)
  })

  it("uses an unref'd timer so it never keeps the process alive", () => {
    const w = writer()
    expect((w as unknown as { timer: NodeJS.Timeout }).timer.hasRef()).toBe(false)
  })

  it('rejects bad options with the path', () => {
    const targets = (): [] => []
    expect(() => new CheckpointWriter({ group: '', targets })).toThrow(InvalidOptionError)
    expect(() => new CheckpointWriter({ group: 'g' } as CheckpointWriterOptions)).toThrow(/checkpoint\.targets/)
    expect(() => new CheckpointWriter({ group: 'g', targets, intervalMs: 0 })).toThrow(/checkpoint\.intervalMs/)
    expect(() => new CheckpointWriter({ group: 'g', targets, extra: 1 } as CheckpointWriterOptions)).toThrow(
      /Unknown option `checkpoint\.extra`/,
    )
  })
})

describe('CheckpointWriter pull mode (collect)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_700_000_000_000 })
  })
  afterEach(async () => {
    vi.useRealTimers()
    await Promise.all(writers.splice(0).map((w) => w.close()))
  })

  it('collects positions on every tick and once more on close, so the last positions are written', async () => {
    const producer = new FakeProducer()
    const queue: Array<ReturnType<typeof pos>> = [pos(0, 5)]
    const w = writer({ producer, intervalMs: 1000, collect: () => queue.splice(0) })
    await vi.advanceTimersByTimeAsync(1000)
    expect(producer.decoded().map((c) => c?.offset)).toEqual(['5'])
    queue.push(pos(0, 9), pos(1, 3))
    const result = await w.close()
    expect(result.written).toBe(2)
    expect(producer.decoded().map((c) => c?.offset)).toEqual(['5', '9', '3'])
    queue.push(pos(0, 11))
    await vi.advanceTimersByTimeAsync(5000)
    expect(producer.sends).toHaveLength(2) // closed: nothing collected or written any more
  })
})

describe('CheckpointWriter writtenAt', () => {
  afterEach(async () => {
    await Promise.all(writers.splice(0).map((w) => w.close()))
  })

  it("writes a position's own time as writtenAt, and the write time for positions without one", async () => {
    const producer = new FakeProducer()
    const w = writer({ producer })
    w.record({ ...pos(0, 5), at: 1234 })
    w.record(pos(1, 6))
    const before = Date.now()
    await w.flush()
    const [timed, untimed] = producer.decoded()
    expect(timed?.writtenAt).toBe(1234)
    expect(untimed?.writtenAt).toBeGreaterThanOrEqual(before)
  })
})
