import type { Admin } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import {
  CHECKPOINT_TOPIC_CONFIG,
  checkpointTopicsOn,
  ensureCheckpointTopic,
  mm2CheckpointsTopic,
  mm2SeparatorOf,
} from '../../../src/offsets/checkpoint-topic.js'
import { DefaultReplicationPolicy, IdentityReplicationPolicy } from '../../../src/topology/replication-policy.js'

function fakeAdmin(existing: string[], createAnswer: () => Promise<boolean>) {
  const created: unknown[] = []
  const admin = {
    async listTopics() {
      return existing
    },
    async createTopics(args: unknown) {
      created.push(args)
      return createAnswer()
    },
    async fetchTopicMetadata() {
      return { topics: [{ name: 'cp', partitions: [{ partitionId: 0, leader: 1 }] }] }
    },
    async describeConfigs() {
      return { resources: [{ configEntries: [{ configName: 'cleanup.policy', configValue: 'delete' }] }] }
    },
  }
  return { admin: admin as unknown as Admin, created }
}

describe('ensureCheckpointTopic', () => {
  it('creates a missing topic compacted, with small segments and the given partitions', async () => {
    const { admin, created } = fakeAdmin([], async () => true)
    expect(await ensureCheckpointTopic(admin, 'cp', { numPartitions: 3, configs: { 'min.insync.replicas': '2' } })).toBe(true)
    expect(created).toEqual([
      {
        waitForLeaders: true,
        topics: [
          {
            topic: 'cp',
            numPartitions: 3,
            replicationFactor: -1,
            configEntries: expect.arrayContaining([
              { name: 'cleanup.policy', value: 'compact' },
              { name: 'segment.ms', value: CHECKPOINT_TOPIC_CONFIG['segment.ms'] },
              { name: 'min.insync.replicas', value: '2' },
            ]),
          },
        ],
      },
    ])
  })

  it('leaves an existing topic alone and treats a lost creation race as "exists"', async () => {
    const exists = fakeAdmin(['cp'], async () => true)
    expect(await ensureCheckpointTopic(exists.admin, 'cp')).toBe(false)
    expect(exists.created).toEqual([])
    // kafkajs answers false for TOPIC_ALREADY_EXISTS; a raw error of that type is tolerated too.
    expect(await ensureCheckpointTopic(fakeAdmin([], async () => false).admin, 'cp')).toBe(false)
    const raced = fakeAdmin([], async () => {
      throw Object.assign(new Error('exists'), { type: 'TOPIC_ALREADY_EXISTS' })
    })
    expect(await ensureCheckpointTopic(raced.admin, 'cp')).toBe(false)
    const broken = fakeAdmin([], async () => {
      throw Object.assign(new Error('denied'), { type: 'TOPIC_AUTHORIZATION_FAILED' })
    })
    await expect(ensureCheckpointTopic(broken.admin, 'cp')).rejects.toThrow('denied')
  })

  it('counts a creation whose leaders kafkajs gave up waiting for as created, once the leaders are there', async () => {
    // kafkajs' createTopics fails so when the broker has not served the new topic's metadata yet.
    const stale = fakeAdmin([], async () => {
      throw Object.assign(new Error('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' })
    })
    expect(await ensureCheckpointTopic(stale.admin, 'cp')).toBe(true)
    expect(stale.created).toHaveLength(1)
  })

  it('rejects bad options with the path', async () => {
    const { admin } = fakeAdmin([], async () => true)
    await expect(ensureCheckpointTopic(admin, 'cp', { numPartitions: 0 })).rejects.toThrow(/checkpoint\.numPartitions/)
  })
})

describe('checkpoint topic names', () => {
  it('lists the local copy then each replicated copy under the prefix policy, one topic under identity', () => {
    const prefix = new DefaultReplicationPolicy({ clusters: ['dc1', 'dc2', 'dc3'] })
    expect(checkpointTopicsOn('dc2', ['dc1', 'dc2', 'dc3'], prefix, 'kafkajs-dr.checkpoints')).toEqual([
      'kafkajs-dr.checkpoints',
      'dc1.kafkajs-dr.checkpoints',
      'dc3.kafkajs-dr.checkpoints',
    ])
    expect(checkpointTopicsOn('dc2', ['dc1', 'dc2'], new IdentityReplicationPolicy(), 'kafkajs-dr.checkpoints')).toEqual([
      'kafkajs-dr.checkpoints',
    ])
  })

  it("names MM2's checkpoints topic with the policy's separator (KIP-690)", () => {
    expect(mm2CheckpointsTopic('dc1')).toBe('dc1.checkpoints.internal')
    const underscore = new DefaultReplicationPolicy({ clusters: ['dc1', 'dc2'], separator: '_' })
    expect(mm2CheckpointsTopic('dc1', mm2SeparatorOf(underscore))).toBe('dc1_checkpoints_internal')
    expect(mm2SeparatorOf(new IdentityReplicationPolicy())).toBe('.')
  })
})
