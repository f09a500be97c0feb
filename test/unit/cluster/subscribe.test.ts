import type { Consumer } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { subscribeWhenKnown } from '../../../src/cluster/subscribe.js'

/** A consumer whose subscribe() fails with each of `failures` in turn, then succeeds. */
function consumerFailing(...failures: Array<{ type: string }>): { consumer: Consumer, calls: () => number } {
  let calls = 0
  const consumer = {
    subscribe: async () => {
      const failure = failures[calls++]
      if (failure !== undefined) throw Object.assign(new Error(failure.type), failure)
    },
  } as unknown as Consumer
  return { consumer, calls: () => calls }
}

describe('subscribeWhenKnown', () => {
  it('tries again while the broker does not know a topic yet', async () => {
    const { consumer, calls } = consumerFailing({ type: 'UNKNOWN_TOPIC_OR_PARTITION' }, { type: 'UNKNOWN_TOPIC_OR_PARTITION' })
    await subscribeWhenKnown(consumer, { topics: ['orders'] })
    expect(calls()).toBe(3)
  })

  it('gives other errors back at once', async () => {
    const { consumer, calls } = consumerFailing({ type: 'TOPIC_AUTHORIZATION_FAILED' })
    await expect(subscribeWhenKnown(consumer, { topics: ['orders'] })).rejects.toMatchObject({ type: 'TOPIC_AUTHORIZATION_FAILED' })
    expect(calls()).toBe(1)
  })

  it('gives up on a topic that stays unknown, after six more tries', async () => {
    const { consumer, calls } = consumerFailing(...Array.from({ length: 10 }, () => ({ type: 'UNKNOWN_TOPIC_OR_PARTITION' })))
    await expect(subscribeWhenKnown(consumer, { topics: ['missing'] })).rejects.toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' })
    expect(calls()).toBe(7)
  }, 15_000)
})
