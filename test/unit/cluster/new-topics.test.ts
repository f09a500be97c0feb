import type { Admin, Consumer } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { subscribeWhenKnown, waitForTopicLeaders } from '../../../src/cluster/new-topics.js'

/** A consumer whose subscribe() fails with each of `failures` in turn, then succeeds. */
function consumerFailing(...failures: Array<{ type: string }>): { consumer: Consumer; calls: () => number } {
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

/** An admin whose fetchTopicMetadata answers each of `answers` in turn: an error type, or the partitions' leaders. */
function adminAnswering(...answers: Array<{ type: string } | number[]>): { admin: Admin; calls: () => number } {
  let calls = 0
  const admin = {
    fetchTopicMetadata: async ({ topics }: { topics: string[] }) => {
      const answer = answers[Math.min(calls++, answers.length - 1)]!
      if (!Array.isArray(answer)) throw Object.assign(new Error(answer.type), answer)
      return { topics: [{ name: topics[0], partitions: answer.map((leader, partitionId) => ({ partitionId, leader })) }] }
    },
  } as unknown as Admin
  return { admin, calls: () => calls }
}

describe('waitForTopicLeaders', () => {
  it('waits while the broker does not serve the topic, then while a partition has no leader', async () => {
    const { admin, calls } = adminAnswering({ type: 'UNKNOWN_TOPIC_OR_PARTITION' }, [1, -1], [1, 1])
    await waitForTopicLeaders(admin, 'cp')
    expect(calls()).toBe(3)
  })

  it('gives other errors back at once', async () => {
    const { admin, calls } = adminAnswering({ type: 'TOPIC_AUTHORIZATION_FAILED' })
    await expect(waitForTopicLeaders(admin, 'cp')).rejects.toMatchObject({ type: 'TOPIC_AUTHORIZATION_FAILED' })
    expect(calls()).toBe(1)
  })
})
