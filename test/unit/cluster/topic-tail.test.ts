/**
 * TopicTail.caughtUp waits for the tail to read, woken by its progress rather than polling, and
 * gives up as soon as the tail is closed (issue #24). kafkajs is a fake: one topic, one
 * partition holding offsets 0..4; the test hands the tail its batches.
 */
import type { Admin, Kafka } from 'kafkajs'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { TopicTail } from '../../../src/cluster/topic-tail.js'
import { NotConnectedError } from '../../../src/errors/index.js'

function fakeKafka() {
  const handlers = new Map<string, (event: { payload: any }) => void>()
  const consumer = {
    events: { END_BATCH_PROCESS: 'consumer.end_batch_process', CRASH: 'consumer.crash' },
    on: (event: string, handler: (event: { payload: any }) => void) => {
      handlers.set(event, handler)
      return () => {}
    },
    connect: async () => {},
    subscribe: async () => {},
    run: async () => {},
    disconnect: async () => {},
  }
  const admin = {
    listTopics: async () => ['control'],
    fetchTopicOffsets: async () => [{ partition: 0, offset: '5', high: '5', low: '0' }],
  }
  return {
    kafka: { consumer: () => consumer } as unknown as Kafka,
    admin: async () => admin as unknown as Admin,
    /** The tail's consumer finished a batch ending at `lastOffset`. */
    read: (lastOffset: number) =>
      handlers.get(consumer.events.END_BATCH_PROCESS)?.({ payload: { topic: 'control', partition: 0, lastOffset: String(lastOffset) } }),
  }
}

function tail(fake: ReturnType<typeof fakeKafka>): TopicTail {
  const t = new TopicTail({ cluster: 'dc1', kafka: fake.kafka, admin: fake.admin, onRecord: () => {}, what: 'control' })
  t.want(['control'])
  return t
}

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('TopicTail.caughtUp', () => {
  it('resolves once the tail has read to the end', async () => {
    const fake = fakeKafka()
    const t = tail(fake)
    let done = false
    const caughtUp = t.caughtUp(60_000).then(() => {
      done = true
    })
    await vi.advanceTimersByTimeAsync(0)
    fake.read(2)
    await vi.advanceTimersByTimeAsync(0)
    expect(done).toBe(false)
    fake.read(4)
    await vi.advanceTimersByTimeAsync(0)
    await caughtUp
    expect(done).toBe(true)
    await t.close()
  })

  it('rejects with NotConnectedError as soon as the tail is closed, instead of waiting out its deadline', async () => {
    const fake = fakeKafka()
    const t = tail(fake)
    const caughtUp = t.caughtUp(60_000).then(
      () => undefined,
      (e: unknown) => e,
    )
    await vi.advanceTimersByTimeAsync(0)
    await t.close()
    await vi.advanceTimersByTimeAsync(100)
    const outcome = await Promise.race([caughtUp, Promise.resolve('still waiting')])
    expect(outcome).toBeInstanceOf(NotConnectedError)
  })

  it('times out with a TimeoutError naming the partitions behind', async () => {
    const fake = fakeKafka()
    const t = tail(fake)
    const caughtUp = t.caughtUp(1000).then(
      () => undefined,
      (e: unknown) => e,
    )
    await vi.advanceTimersByTimeAsync(1000)
    expect(await caughtUp).toMatchObject({ code: 'ERR_TIMEOUT', message: expect.stringContaining('behind: control') })
    await t.close()
  })
})
