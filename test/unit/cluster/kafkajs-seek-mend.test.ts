/**
 * kafkajs' own `ConsumerGroup.seekOffsets`, on a fresh copy of its module (kafkajs' own class is
 * left as it is), called on a group whose offset manager records the requests it would send.
 */
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { mendKafkajsSeeks, type KafkajsConsumerGroupClass } from '../../../src/cluster/kafkajs-seek-mend.js'

const require = createRequire(import.meta.url)
const groupPath = require.resolve('kafkajs/src/consumer/consumerGroup')
const SeekOffsets = require('kafkajs/src/consumer/seekOffsets') as new () => {
  set(t: string, p: number, o: string): void
  size: number
  has(t: string, p: number): boolean
}

function freshGroupClass(): KafkajsConsumerGroupClass {
  const original = require.cache[groupPath]
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a fresh copy of one module
  delete require.cache[groupPath]
  try {
    return require(groupPath) as KafkajsConsumerGroupClass
  } finally {
    require.cache[groupPath] = original
  }
}

/** A group with seeks pending on `orders` 0-2 and `payments` 0, all assigned. */
function groupWithSeeks(options: { autoCommit?: boolean; commitFails?: boolean } = {}) {
  const commits: unknown[] = []
  const singleSeeks: unknown[] = []
  const cleared: string[] = []
  const seekOffset = new SeekOffsets()
  for (const p of [0, 1, 2]) seekOffset.set('orders', p, String(100 + p))
  seekOffset.set('payments', 0, '7')
  const offsetManager = {
    autoCommit: options.autoCommit ?? true,
    memberAssignment: { orders: [0, 1, 2], payments: [0] },
    groupId: 'g',
    generationId: 4,
    memberId: 'm-1',
    getCoordinator: () =>
      Promise.resolve({
        offsetCommit: (request: unknown) => {
          if (options.commitFails === true) return Promise.reject(new Error('coordinator moved'))
          commits.push(request)
          return Promise.resolve()
        },
      }),
    clearOffsets: ({ topic, partition }: { topic: string; partition: number }) => {
      cleared.push(`${topic}-${partition}`)
    },
    seek: (entry: unknown) => {
      singleSeeks.push(entry)
      return Promise.resolve()
    },
    resolveOffsets: () => Promise.resolve(),
  }
  const group = { seekOffset, offsetManager, logger: { debug: () => {} } }
  return { group, commits, singleSeeks, cleared, seekOffset }
}

const assigned = [
  { topic: 'orders', partitions: [0, 1, 2] },
  { topic: 'payments', partitions: [0] },
]

describe('mendKafkajsSeeks', () => {
  it('without the mend, kafkajs commits each seek on its own (the control)', async () => {
    const { prototype } = freshGroupClass()
    const { group, singleSeeks } = groupWithSeeks()
    await prototype.seekOffsets.call(group as never, assigned)
    expect(singleSeeks).toHaveLength(4)
  })

  it('commits every pending seek in one OffsetCommit, with the group generation, then clears them', async () => {
    const groupClass = freshGroupClass()
    expect(mendKafkajsSeeks(groupClass)).toBe(true)
    expect(mendKafkajsSeeks(groupClass)).toBe(true) // once only
    const { group, commits, singleSeeks, cleared, seekOffset } = groupWithSeeks()
    await groupClass.prototype.seekOffsets.call(group as never, assigned)
    expect(singleSeeks).toEqual([])
    expect(commits).toEqual([
      {
        groupId: 'g',
        memberId: 'm-1',
        groupGenerationId: 4,
        topics: [
          {
            topic: 'orders',
            partitions: [
              { partition: 0, offset: '100' },
              { partition: 1, offset: '101' },
              { partition: 2, offset: '102' },
            ],
          },
          { topic: 'payments', partitions: [{ partition: 0, offset: '7' }] },
        ],
      },
    ])
    expect(cleared).toEqual(['orders-0', 'orders-1', 'orders-2', 'payments-0'])
    expect(seekOffset.size).toBe(0)
  })

  it('puts the seeks back when the commit fails, for the next fetch to try again', async () => {
    const groupClass = freshGroupClass()
    mendKafkajsSeeks(groupClass)
    const { group, cleared, seekOffset } = groupWithSeeks({ commitFails: true })
    await expect(groupClass.prototype.seekOffsets.call(group as never, assigned)).rejects.toThrow('coordinator moved')
    expect(cleared).toEqual([])
    expect(seekOffset.size).toBe(4)
    expect(seekOffset.has('orders', 2)).toBe(true)
  })

  it("leaves seeks of partitions no longer assigned, and runs kafkajs' own code without autoCommit", async () => {
    const groupClass = freshGroupClass()
    mendKafkajsSeeks(groupClass)
    const partly = groupWithSeeks()
    partly.group.offsetManager.memberAssignment = { orders: [1], payments: [] }
    await groupClass.prototype.seekOffsets.call(partly.group as never, assigned)
    expect(partly.singleSeeks).toEqual([{ topic: 'orders', partition: 1, offset: '101' }])
    expect(partly.commits).toEqual([])
    const manual = groupWithSeeks({ autoCommit: false })
    await groupClass.prototype.seekOffsets.call(manual.group as never, assigned)
    expect(manual.singleSeeks).toHaveLength(4)
    expect(manual.commits).toEqual([])
  })

  it('leaves a kafkajs whose group class has no seekOffsets alone', () => {
    expect(mendKafkajsSeeks({ prototype: {} } as unknown as KafkajsConsumerGroupClass)).toBe(false)
  })
})
