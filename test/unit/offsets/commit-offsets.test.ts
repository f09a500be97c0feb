import type { Admin } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { GroupNotEmptyError, KafkaDRError, KafkaClientError } from '../../../src/errors/index.js'
import { commitTranslatedOffsets } from '../../../src/offsets/commit-offsets.js'
import type { TranslationResult } from '../../../src/offsets/translation-types.js'

const result: TranslationResult = {
  group: 'g',
  targetCluster: 'dc2',
  partitions: [
    { topic: 'a', partition: 0, offset: '5', method: 'timestamp', candidates: { timestamp: '5' } },
    { topic: 'a', partition: 1, offset: '0', method: 'earliest', candidates: {} },
    { topic: 'b', partition: 0, offset: '9', method: 'native', candidates: {} },
  ],
  refused: [],
  unmapped: [],
  missing: [],
  missingTopics: [],
  checkpointsRead: 2,
  undecodableCheckpoints: 0,
  readMs: 1,
  durationMs: 2,
}

function fakeAdmin(fail?: (topic: string) => Error | undefined) {
  const calls: Array<{ groupId: string; topic: string; partitions: unknown }> = []
  const admin = {
    async setOffsets(args: { groupId: string; topic: string; partitions: unknown }) {
      const error = fail?.(args.topic)
      if (error) throw error
      calls.push(args)
    },
  }
  return { admin: admin as unknown as Admin, calls }
}

describe('commitTranslatedOffsets', () => {
  it('commits every partition with one setOffsets per topic', async () => {
    const { admin, calls } = fakeAdmin()
    const committed = await commitTranslatedOffsets(admin, result)
    expect(calls).toEqual([
      {
        groupId: 'g',
        topic: 'a',
        partitions: [
          { partition: 0, offset: '5' },
          { partition: 1, offset: '0' },
        ],
      },
      { groupId: 'g', topic: 'b', partitions: [{ partition: 0, offset: '9' }] },
    ])
    expect(committed).toMatchObject({ topics: ['a', 'b'], partitions: 3 })
  })

  it('turns kafkajs\'s "group has running instances" into GroupNotEmptyError listing what was committed', async () => {
    const cause = Object.assign(new Error('The consumer group must have no running instances, current state: Stable'), {
      name: 'KafkaJSNonRetriableError',
    })
    const { admin } = fakeAdmin((topic) => (topic === 'b' ? cause : undefined))
    const error = await commitTranslatedOffsets(admin, result).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(GroupNotEmptyError)
    expect(error).toBeInstanceOf(KafkaDRError)
    expect(error).toMatchObject({
      code: 'ERR_GROUP_NOT_EMPTY',
      retriable: true,
      group: 'g',
      cluster: 'dc2',
      topic: 'b',
      committedTopics: ['a'],
      cause,
    })
  })

  it('treats a broker UNKNOWN_MEMBER_ID (a member joined meanwhile) the same way, and wraps anything else as the cause of a KafkaClientError', async () => {
    const raced = Object.assign(new Error('The coordinator is not aware of this member'), { type: 'UNKNOWN_MEMBER_ID' })
    await expect(commitTranslatedOffsets(fakeAdmin(() => raced).admin, result)).rejects.toBeInstanceOf(GroupNotEmptyError)
    const other = new Error('Connection error')
    const error = await commitTranslatedOffsets(fakeAdmin(() => other).admin, result).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KafkaClientError)
    expect(error).toMatchObject({ code: 'ERR_KAFKAJS', cause: other, cluster: 'dc2', group: 'g' })
  })
})
