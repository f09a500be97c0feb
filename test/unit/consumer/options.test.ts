import kafkajs from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { validateConsumerConfig, type ConsumerOptionsContext } from '../../../src/consumer/options.js'
import { InvalidOptionError } from '../../../src/errors/index.js'
import { DefaultReplicationPolicy, IdentityReplicationPolicy, type ReplicationPolicy } from '../../../src/topology/replication-policy.js'

const prefix: ConsumerOptionsContext = {
  replicationPolicy: new DefaultReplicationPolicy({ clusters: ['dc1', 'dc2'] }),
  clusters: ['dc1', 'dc2'],
  provenance: true,
}
const identity: ConsumerOptionsContext = { replicationPolicy: new IdentityReplicationPolicy(), clusters: ['dc1', 'dc2'], provenance: true }

/** The InvalidOptionError validateConsumerConfig throws for `config`. */
function rejection(config: unknown, context = prefix): InvalidOptionError {
  try {
    validateConsumerConfig(config, context)
  } catch (error) {
    if (error instanceof InvalidOptionError) return error
    throw error
  }
  throw new Error('validateConsumerConfig accepted the config')
}

describe('validateConsumerConfig: defaults', () => {
  it('fills in every default and passes kafkajs only the group and allowAutoTopicCreation: false', () => {
    expect(validateConsumerConfig({ groupId: 'billing' }, prefix)).toEqual({
      groupId: 'billing',
      kafkajs: { groupId: 'billing', allowAutoTopicCreation: false },
      checkpoint: { topic: 'kafkajs-dr.checkpoints', intervalMs: 1000, writeToAllClusters: true },
      translators: ['timestamp', 'mm2'],
      onMissingCheckpoint: 'earliest',
      timestampSafetyMarginMs: 0,
      newCopyCheckIntervalMs: 5000,
      teardownTimeoutMs: 3000,
      groupSplit: { yield: true, yieldAfterMs: 20_000 },
      origins: ['dc1', 'dc2'],
      dualRead: 'replicas',
      dedupe: undefined,
      instanceId: undefined,
    })
  })

  it('gives each call its own translators list', () => {
    const a = validateConsumerConfig({ groupId: 'g' }, prefix)
    a.translators.push('identity')
    expect(validateConsumerConfig({ groupId: 'g' }, prefix).translators).toEqual(['timestamp', 'mm2'])
  })

  it('fills in the defaults of a partly given checkpoint object', () => {
    expect(validateConsumerConfig({ groupId: 'g', checkpoint: { writeToAllClusters: false } }, prefix).checkpoint).toEqual({
      topic: 'kafkajs-dr.checkpoints',
      intervalMs: 1000,
      writeToAllClusters: false,
    })
  })
})

describe('validateConsumerConfig: values given', () => {
  it('keeps every value, kafkajs options in `kafkajs` and kafkajs-dr options outside it', () => {
    const restartOnFailure = async (): Promise<boolean> => false
    const assigners = [kafkajs.PartitionAssigners.roundRobin]
    const config = {
      groupId: 'billing',
      partitionAssigners: assigners,
      metadataMaxAge: 0,
      sessionTimeout: 10_000,
      rebalanceTimeout: 20_000,
      heartbeatInterval: 1000,
      maxBytesPerPartition: 1024,
      minBytes: 0,
      maxBytes: 2048,
      maxWaitTimeInMs: 0,
      retry: { retries: 0, initialRetryTime: 50, maxRetryTime: 500, factor: 0, multiplier: 1.5, restartOnFailure },
      allowAutoTopicCreation: true,
      maxInFlightRequests: 1,
      readUncommitted: true,
      rackId: 'eu-west-1a',
      checkpoint: { topic: 'billing.checkpoints', intervalMs: 10, writeToAllClusters: true },
      translators: ['identity', 'timestamp'],
      onMissingCheckpoint: 'error',
      timestampSafetyMarginMs: 250,
      newCopyCheckIntervalMs: 0,
      teardownTimeoutMs: 1,
      groupSplit: { yield: false, yieldAfterMs: 0 },
      origins: ['dc2'],
      dualRead: 'replicas',
      dedupe: { windowSize: 1000, maxProducers: 5 },
    }
    const {
      checkpoint,
      translators,
      onMissingCheckpoint,
      timestampSafetyMarginMs,
      newCopyCheckIntervalMs,
      teardownTimeoutMs,
      groupSplit,
      origins,
      dualRead,
      dedupe,
      ...kafkajsConfig
    } = config
    expect(validateConsumerConfig(config, prefix)).toEqual({
      groupId: 'billing',
      kafkajs: kafkajsConfig,
      checkpoint,
      translators,
      onMissingCheckpoint,
      timestampSafetyMarginMs,
      newCopyCheckIntervalMs,
      teardownTimeoutMs,
      groupSplit,
      origins,
      dualRead,
      dedupe,
    })
  })

  it('treats maxInFlightRequests null as kafkajs does (no limit) and leaves it out', () => {
    expect(validateConsumerConfig({ groupId: 'g', maxInFlightRequests: null }, prefix).kafkajs).toEqual({
      groupId: 'g',
      allowAutoTopicCreation: false,
    })
  })

  it('does not change the config given', () => {
    const config = { groupId: 'g', retry: { retries: 1 }, checkpoint: { intervalMs: 50 } }
    const copy = structuredClone(config)
    validateConsumerConfig(config, prefix)
    expect(config).toEqual(copy)
  })
})

describe('validateConsumerConfig: unknown options', () => {
  it('suggests the nearest option for a typo', () => {
    const error = rejection({ groupId: 'g', onMissingCheckpiont: 'error' })
    expect(error.message).toBe('Unknown option `consumer.onMissingCheckpiont`; did you mean `onMissingCheckpoint`?')
    expect(error.path).toBe('consumer.onMissingCheckpiont')
  })

  it.each([
    ['a kafkajs option', { groupId: 'g', sessionTimeOut: 10_000 }, 'consumer.sessionTimeOut', 'sessionTimeout'],
    ['a kafkajs option in another case', { groupId: 'g', groupID: 'g' }, 'consumer.groupID', 'groupId'],
    ['a checkpoint option', { groupId: 'g', checkpoint: { intervalMS: 100 } }, 'consumer.checkpoint.intervalMS', 'intervalMs'],
    ['a retry option', { groupId: 'g', retry: { retires: 3 } }, 'consumer.retry.retires', 'retries'],
    ['a plural', { groupId: 'g', translator: ['mm2'] }, 'consumer.translator', 'translators'],
  ])('suggests for %s', (_what, config, path, suggestion) => {
    const error = rejection(config)
    expect(error.path).toBe(path)
    expect(error.message).toBe(`Unknown option \`${path}\`; did you mean \`${suggestion}\`?`)
  })

  it('lists every known option when none is close', () => {
    expect(rejection({ groupId: 'g', eachMessage: async () => {} }).message).toBe(
      'Unknown option `consumer.eachMessage`; known options of `consumer` are: groupId, partitionAssigners, metadataMaxAge, ' +
        'sessionTimeout, rebalanceTimeout, heartbeatInterval, maxBytesPerPartition, minBytes, maxBytes, maxWaitTimeInMs, retry, ' +
        'allowAutoTopicCreation, maxInFlightRequests, readUncommitted, rackId, checkpoint, translators, onMissingCheckpoint, ' +
        'timestampSafetyMarginMs, newCopyCheckIntervalMs, teardownTimeoutMs, groupSplit, origins, dualRead, dedupe, instanceId',
    )
  })
})

describe('validateConsumerConfig: dual-read', () => {
  it("keeps origins in the client's cluster order and takes dedupe: true as the defaults", () => {
    const options = validateConsumerConfig({ groupId: 'g', origins: ['dc2', 'dc1'], dualRead: 'direct', dedupe: true }, prefix)
    expect(options).toMatchObject({ origins: ['dc1', 'dc2'], dualRead: 'direct', dedupe: { windowSize: 1_048_576, maxProducers: 1000 } })
    expect(validateConsumerConfig({ groupId: 'g', origins: 'all', dedupe: false }, prefix)).toMatchObject({
      origins: ['dc1', 'dc2'],
      dedupe: undefined,
    })
  })

  it('rejects an unknown origin, naming the clusters', () => {
    const error = rejection({ groupId: 'g', origins: ['dc1', 'dc3'] })
    expect(error.path).toBe('consumer.origins[1]')
    expect(error.message).toContain('dc1, dc2')
    expect(rejection({ groupId: 'g', origins: [] }).path).toBe('consumer.origins')
    expect(rejection({ groupId: 'g', origins: 'dc1' }).path).toBe('consumer.origins')
  })

  it("rejects direct reads where topic names cannot tell origins, and with an assigner of the application's", () => {
    const identityError = rejection({ groupId: 'g', dualRead: 'direct' }, identity)
    expect(identityError.path).toBe('consumer.dualRead')
    expect(identityError.message).toContain('identity')
    expect(rejection({ groupId: 'g', dualRead: 'direct', partitionAssigners: [kafkajs.PartitionAssigners.roundRobin] }).path).toBe(
      'consumer.partitionAssigners',
    )
    expect(rejection({ groupId: 'g', dualRead: 'both' }).path).toBe('consumer.dualRead')
  })

  it('turns dedupe on by default under identity naming (records can come back through a replica), unless told otherwise', () => {
    expect(validateConsumerConfig({ groupId: 'g' }, identity).dedupe).toEqual({ windowSize: 1_048_576, maxProducers: 1000 })
    expect(validateConsumerConfig({ groupId: 'g', dedupe: false }, identity).dedupe).toBeUndefined()
    expect(validateConsumerConfig({ groupId: 'g' }, { ...identity, provenance: false }).dedupe).toBeUndefined()
  })

  it('rejects dedupe when the client stamps no provenance, and bad window settings', () => {
    const error = rejection({ groupId: 'g', dedupe: true }, { ...prefix, provenance: false })
    expect(error.path).toBe('consumer.dedupe')
    expect(error.message).toContain('provenance')
    expect(rejection({ groupId: 'g', dedupe: { windowSize: 0 } }).path).toBe('consumer.dedupe.windowSize')
    expect(rejection({ groupId: 'g', dedupe: { window: 10 } }).message).toContain('windowSize')
  })
})

describe('validateConsumerConfig: instanceId', () => {
  it('keeps a pod or host name', () => {
    expect(validateConsumerConfig({ groupId: 'g', instanceId: 'billing-0' }, prefix).instanceId).toBe('billing-0')
    expect(validateConsumerConfig({ groupId: 'g', instanceId: 'eu-west-1a:ip-10-0-0-7.ec2.internal' }, prefix).instanceId).toBe(
      'eu-west-1a:ip-10-0-0-7.ec2.internal',
    )
    expect(validateConsumerConfig({ groupId: 'g', instanceId: 'x'.repeat(249) }, prefix).instanceId).toHaveLength(249)
  })

  it.each([
    ['an empty string', ''],
    ['a number', 7],
    ['a space', 'billing 0'],
    ['a slash', 'billing/0'],
    ['non-ASCII', 'billing-é'],
    ['250 characters', 'x'.repeat(250)],
  ])('rejects %s, naming the option', (_what, instanceId) => {
    const error = rejection({ groupId: 'g', instanceId })
    expect(error.path).toBe('consumer.instanceId')
    expect(error.message).toContain('`consumer.instanceId`')
  })

  it("rejects it with an assigner of the application's, which would not carry the id", () => {
    const error = rejection({ groupId: 'g', instanceId: 'billing-0', partitionAssigners: [kafkajs.PartitionAssigners.roundRobin] })
    expect(error.path).toBe('consumer.partitionAssigners')
    expect(error.message).toContain('instanceId')
  })
})

describe('validateConsumerConfig: rejected values', () => {
  const g = (extra: Record<string, unknown>): Record<string, unknown> => ({ groupId: 'g', ...extra })

  it.each([
    ['a config that is not an object', 'g', 'consumer', "Expected `consumer` to be an object, got 'g'"],
    ['no groupId', {}, 'consumer.groupId', 'Expected `consumer.groupId` to be a non-empty string, got undefined'],
    ['an empty groupId', { groupId: '' }, 'consumer.groupId', "Expected `consumer.groupId` to be a non-empty string, got ''"],
    [
      'an unknown onMissingCheckpoint',
      g({ onMissingCheckpoint: 'skip' }),
      'consumer.onMissingCheckpoint',
      "Expected `consumer.onMissingCheckpoint` to be one of 'earliest', 'latest', 'error', got 'skip'",
    ],
    [
      'translators as a string',
      g({ translators: 'mm2' }),
      'consumer.translators',
      "Expected `consumer.translators` to be a non-empty list of translator names, got 'mm2'",
    ],
    [
      'no translators',
      g({ translators: [] }),
      'consumer.translators',
      'Expected `consumer.translators` to be a non-empty list of translator names, got an array',
    ],
    [
      'an unknown translator',
      g({ translators: ['timestamp', 'magic'] }),
      'consumer.translators[1]',
      "Expected `consumer.translators[1]` to be one of 'timestamp', 'mm2', 'identity', got 'magic'",
    ],
    [
      'a hole in translators',
      g({ translators: ['mm2', undefined] }),
      'consumer.translators[1]',
      "Expected `consumer.translators[1]` to be one of 'timestamp', 'mm2', 'identity', got undefined",
    ],
    [
      'a repeated translator',
      g({ translators: ['mm2', 'timestamp', 'mm2'] }),
      'consumer.translators',
      "Expected `consumer.translators` to be a list without repeats, got an array; 'mm2' appears more than once",
    ],
    [
      'a negative timestampSafetyMarginMs',
      g({ timestampSafetyMarginMs: -1 }),
      'consumer.timestampSafetyMarginMs',
      'Expected `consumer.timestampSafetyMarginMs` to be an integer ≥ 0, got -1',
    ],
    [
      'a fractional timestampSafetyMarginMs',
      g({ timestampSafetyMarginMs: 0.5 }),
      'consumer.timestampSafetyMarginMs',
      'Expected `consumer.timestampSafetyMarginMs` to be an integer, got 0.5',
    ],
    [
      'a negative newCopyCheckIntervalMs',
      g({ newCopyCheckIntervalMs: -1 }),
      'consumer.newCopyCheckIntervalMs',
      'Expected `consumer.newCopyCheckIntervalMs` to be an integer ≥ 0, got -1',
    ],
    [
      'a newCopyCheckIntervalMs Node would turn into 1 ms',
      g({ newCopyCheckIntervalMs: 2 ** 31 }),
      'consumer.newCopyCheckIntervalMs',
      'Expected `consumer.newCopyCheckIntervalMs` to be an integer ≤ 2147483647, got 2147483648',
    ],
    [
      'a teardownTimeoutMs of 0',
      g({ teardownTimeoutMs: 0 }),
      'consumer.teardownTimeoutMs',
      'Expected `consumer.teardownTimeoutMs` to be an integer ≥ 1, got 0',
    ],
    [
      'a groupSplit that is not an object',
      g({ groupSplit: true }),
      'consumer.groupSplit',
      'Expected `consumer.groupSplit` to be an object, got true',
    ],
    [
      'a negative groupSplit.yieldAfterMs',
      g({ groupSplit: { yieldAfterMs: -1 } }),
      'consumer.groupSplit.yieldAfterMs',
      'Expected `consumer.groupSplit.yieldAfterMs` to be an integer ≥ 0, got -1',
    ],
    [
      'a non-boolean groupSplit.yield',
      g({ groupSplit: { yield: 'no' } }),
      'consumer.groupSplit.yield',
      "Expected `consumer.groupSplit.yield` to be a boolean, got 'no'",
    ],
    [
      'a checkpoint that is not an object',
      g({ checkpoint: 'cp' }),
      'consumer.checkpoint',
      "Expected `consumer.checkpoint` to be an object, got 'cp'",
    ],
    [
      'a checkpoint interval below 10 ms',
      g({ checkpoint: { intervalMs: 9 } }),
      'consumer.checkpoint.intervalMs',
      'Expected `consumer.checkpoint.intervalMs` to be an integer ≥ 10, got 9',
    ],
    [
      'a non-boolean writeToAllClusters',
      g({ checkpoint: { writeToAllClusters: 'yes' } }),
      'consumer.checkpoint.writeToAllClusters',
      "Expected `consumer.checkpoint.writeToAllClusters` to be a boolean, got 'yes'",
    ],
    [
      'an empty checkpoint topic',
      g({ checkpoint: { topic: '' } }),
      'consumer.checkpoint.topic',
      "Expected `consumer.checkpoint.topic` to be a non-empty string, got ''",
    ],
    [
      'a checkpoint topic with illegal characters',
      g({ checkpoint: { topic: 'my checkpoints' } }),
      'consumer.checkpoint.topic',
      "Expected `consumer.checkpoint.topic` to be a legal Kafka topic name (at most 249 letters, digits, '.', '_' or '-'; not '.' or '..'), got 'my checkpoints'",
    ],
    ['a checkpoint topic of 250 characters', g({ checkpoint: { topic: 'c'.repeat(250) } }), 'consumer.checkpoint.topic', undefined],
    ['a checkpoint topic named ..', g({ checkpoint: { topic: '..' } }), 'consumer.checkpoint.topic', undefined],
    [
      'a sessionTimeout given as a string',
      g({ sessionTimeout: '30000' }),
      'consumer.sessionTimeout',
      "Expected `consumer.sessionTimeout` to be an integer, got '30000'",
    ],
    [
      'a rebalanceTimeout of 0',
      g({ rebalanceTimeout: 0 }),
      'consumer.rebalanceTimeout',
      'Expected `consumer.rebalanceTimeout` to be an integer ≥ 1, got 0',
    ],
    [
      'a negative metadataMaxAge',
      g({ metadataMaxAge: -1 }),
      'consumer.metadataMaxAge',
      'Expected `consumer.metadataMaxAge` to be an integer ≥ 0, got -1',
    ],
    [
      'a maxBytesPerPartition of 0',
      g({ maxBytesPerPartition: 0 }),
      'consumer.maxBytesPerPartition',
      'Expected `consumer.maxBytesPerPartition` to be an integer ≥ 1, got 0',
    ],
    ['a negative minBytes', g({ minBytes: -1 }), 'consumer.minBytes', 'Expected `consumer.minBytes` to be an integer ≥ 0, got -1'],
    ['a maxBytes of 0', g({ maxBytes: 0 }), 'consumer.maxBytes', 'Expected `consumer.maxBytes` to be an integer ≥ 1, got 0'],
    [
      'a fractional maxWaitTimeInMs',
      g({ maxWaitTimeInMs: 1.5 }),
      'consumer.maxWaitTimeInMs',
      'Expected `consumer.maxWaitTimeInMs` to be an integer, got 1.5',
    ],
    [
      'a maxInFlightRequests of 0',
      g({ maxInFlightRequests: 0 }),
      'consumer.maxInFlightRequests',
      'Expected `consumer.maxInFlightRequests` to be an integer ≥ 1, or null for no limit, got 0; with 0 kafkajs would never send a request',
    ],
    [
      'a non-boolean readUncommitted',
      g({ readUncommitted: 'true' }),
      'consumer.readUncommitted',
      "Expected `consumer.readUncommitted` to be a boolean, got 'true'",
    ],
    [
      'a non-boolean allowAutoTopicCreation',
      g({ allowAutoTopicCreation: 1 }),
      'consumer.allowAutoTopicCreation',
      'Expected `consumer.allowAutoTopicCreation` to be a boolean, got 1',
    ],
    ['an empty rackId', g({ rackId: '' }), 'consumer.rackId', "Expected `consumer.rackId` to be a non-empty string, got ''"],
    [
      'no partition assigners',
      g({ partitionAssigners: [] }),
      'consumer.partitionAssigners',
      'Expected `consumer.partitionAssigners` to be a non-empty list of kafkajs partition assigners, got an array',
    ],
    [
      'an assigner by name',
      g({ partitionAssigners: ['RoundRobinAssigner'] }),
      'consumer.partitionAssigners[0]',
      "Expected `consumer.partitionAssigners[0]` to be a kafkajs PartitionAssigner (a function), got 'RoundRobinAssigner'; e.g. PartitionAssigners.roundRobin",
    ],
    ['retry that is not an object', g({ retry: 5 }), 'consumer.retry', 'Expected `consumer.retry` to be an object, got 5'],
    [
      'negative retries',
      g({ retry: { retries: -1 } }),
      'consumer.retry.retries',
      'Expected `consumer.retry.retries` to be an integer ≥ 0, got -1',
    ],
    [
      'a retry factor above 1',
      g({ retry: { factor: 2 } }),
      'consumer.retry.factor',
      'Expected `consumer.retry.factor` to be a number ≤ 1, got 2',
    ],
    [
      'a retry multiplier below 1',
      g({ retry: { multiplier: 0.5 } }),
      'consumer.retry.multiplier',
      'Expected `consumer.retry.multiplier` to be a number ≥ 1, got 0.5',
    ],
    [
      'a fractional initialRetryTime',
      g({ retry: { initialRetryTime: 0.5 } }),
      'consumer.retry.initialRetryTime',
      'Expected `consumer.retry.initialRetryTime` to be an integer, got 0.5',
    ],
    [
      'a negative maxRetryTime',
      g({ retry: { maxRetryTime: -1 } }),
      'consumer.retry.maxRetryTime',
      'Expected `consumer.retry.maxRetryTime` to be an integer ≥ 0, got -1',
    ],
    [
      'a restartOnFailure that is not a function',
      g({ retry: { restartOnFailure: false } }),
      'consumer.retry.restartOnFailure',
      'Expected `consumer.retry.restartOnFailure` to be a function, got false',
    ],
  ])('rejects %s', (_what, config, path, message) => {
    const error = rejection(config)
    expect(error.path).toBe(path)
    expect(error.code).toBe('ERR_INVALID_OPTION')
    if (message !== undefined) expect(error.message).toBe(message)
  })
})

describe('validateConsumerConfig: heartbeatInterval below sessionTimeout', () => {
  it("accepts a heartbeat below the session timeout, given or kafkajs' default", () => {
    expect(validateConsumerConfig({ groupId: 'g', heartbeatInterval: 29_999 }, prefix).kafkajs.heartbeatInterval).toBe(29_999)
    expect(validateConsumerConfig({ groupId: 'g', sessionTimeout: 3001 }, prefix).kafkajs.sessionTimeout).toBe(3001)
  })

  it('rejects a heartbeat not below the session timeout given', () => {
    const error = rejection({ groupId: 'g', sessionTimeout: 10_000, heartbeatInterval: 10_000 })
    expect(error.path).toBe('consumer.heartbeatInterval')
    expect(error.message).toBe(
      'Expected `consumer.heartbeatInterval` to be lower than `consumer.sessionTimeout` (10000), got 10000; about a third of sessionTimeout is usual',
    )
  })

  it("rejects a heartbeat not below kafkajs' default session timeout", () => {
    const error = rejection({ groupId: 'g', heartbeatInterval: 30_000 })
    expect(error.path).toBe('consumer.heartbeatInterval')
    expect(error.message).toMatch(/lower than `consumer.sessionTimeout` \(30000, kafkajs' default\)/)
  })

  it("rejects a session timeout not above kafkajs' default heartbeat", () => {
    const error = rejection({ groupId: 'g', sessionTimeout: 3000 })
    expect(error.path).toBe('consumer.sessionTimeout')
    expect(error.message).toBe(
      "Expected `consumer.sessionTimeout` to be higher than `consumer.heartbeatInterval` (3000, kafkajs' default), got 3000; about a third of sessionTimeout is usual",
    )
  })
})

describe('validateConsumerConfig: checkpoint topic and MirrorMaker 2', () => {
  it.each([
    ['foo.internal', 'topics.exclude pattern `.*[\\-\\.]internal`'],
    ['foo-internal', 'topics.exclude pattern `.*[\\-\\.]internal`'],
    ['x.replica', 'topics.exclude pattern `.*\\.replica`'],
    ['__x', 'topics.exclude pattern `__.*`'],
    ['.checkpoints', 'ReplicationPolicy.isInternalTopic (a name starting with `.`)'],
  ])('rejects %s under prefix naming, naming the rule', (topic, rule) => {
    const error = rejection({ groupId: 'g', checkpoint: { topic } })
    expect(error.path).toBe('consumer.checkpoint.topic')
    expect(error.message).toBe(
      `Expected \`consumer.checkpoint.topic\` to be a topic that MirrorMaker 2 replicates, got '${topic}'; ` +
        `it matches MM2's default ${rule}, so its checkpoints would never reach the other clusters; choose another name, e.g. the default 'kafkajs-dr.checkpoints'`,
    )
  })

  it('applies the rule under a custom policy too (it may well describe MM2)', () => {
    const custom: ReplicationPolicy = {
      name: 'custom',
      physicalTopic: (t) => t,
      parse: (t, c) => ({ logicalTopic: t, originCluster: c }),
      physicalTopicsFor: (t) => [t],
    }
    expect(
      rejection(
        { groupId: 'g', checkpoint: { topic: 'foo.internal' } },
        { replicationPolicy: custom, clusters: ['dc1', 'dc2'], provenance: true },
      ).path,
    ).toBe('consumer.checkpoint.topic')
  })

  it('accepts such names under identity naming, where MM2 with its defaults is not the replicator', () => {
    for (const topic of ['foo.internal', 'x.replica', '__x']) {
      expect(validateConsumerConfig({ groupId: 'g', checkpoint: { topic } }, identity).checkpoint.topic).toBe(topic)
    }
  })

  it('still requires a legal topic name under identity naming', () => {
    expect(rejection({ groupId: 'g', checkpoint: { topic: 'a/b' } }, identity).path).toBe('consumer.checkpoint.topic')
  })

  it('accepts names MM2 replicates', () => {
    for (const topic of ['billing.checkpoints', 'internal-checkpoints', 'x.replicas', 'c'.repeat(249)]) {
      expect(validateConsumerConfig({ groupId: 'g', checkpoint: { topic } }, prefix).checkpoint.topic).toBe(topic)
    }
  })
})
