import { afterEach, describe, expect, it, vi } from 'vitest'
import type {
  Batch,
  ConsumerConfig,
  ConsumerRunConfig,
  EachBatchPayload,
  Kafka,
  KafkaMessage,
  Offsets,
  TopicPartitionOffsetAndMetadata,
} from 'kafkajs'
import { validateConsumerConfig } from '../../../../src/consumer/options.js'
import { ProcessedPositions, type TopicPartition } from '../../../../src/consumer/positions.js'
import { ConsumerSession } from '../../../../src/consumer/session/consumer-session.js'
import type { SessionOwner, SessionSetup } from '../../../../src/consumer/session/types.js'
import type { StartPositions } from '../../../../src/consumer/positioning.js'
import { partitionKey } from '../../../../src/util/partition-key.js'
import type { FailoverEachMessagePayload, FailoverRunConfig } from '../../../../src/consumer/run-config.js'
import { createReplicationPolicy, ProvenanceStamper } from '../../../../src/topology/index.js'
import { DeliveryFilter, type DeliveryFilterSetup } from '../../../../src/consumer/delivery/delivery-filter.js'

// A stand-in for the kafkajs consumer: records what run() was given and tracks pauses, so that
// the record loop can be driven batch by batch without a broker.
function fakeKafka() {
  const paused = new Map<string, Set<number>>()
  const handlers = new Map<string, Array<(event: { payload: any }) => void>>()
  const consumer = {
    events: { GROUP_JOIN: 'consumer.group_join', CRASH: 'consumer.crash', REQUEST_TIMEOUT: 'consumer.network.request_timeout' },
    runConfig: undefined as ConsumerRunConfig | undefined,
    commits: [] as TopicPartitionOffsetAndMetadata[][],
    commitOffsets: async (offsets: TopicPartitionOffsetAndMetadata[]) => {
      consumer.commits.push(offsets)
    },
    seeks: [] as Array<{ topic: string; partition: number; offset: string }>,
    on: (event: string, handler: (event: { payload: any }) => void) => {
      handlers.set(event, [...(handlers.get(event) ?? []), handler])
      return () => {}
    },
    emit: (event: string, payload: unknown) => {
      for (const h of handlers.get(event) ?? []) h({ payload })
    },
    seek: (entry: { topic: string; partition: number; offset: string }) => {
      consumer.seeks.push(entry)
    },
    resume: (topics: Array<{ topic: string; partitions?: number[] }>) => {
      for (const { topic, partitions } of topics) {
        if (partitions === undefined) paused.delete(topic)
        else for (const p of partitions) paused.get(topic)?.delete(p)
      }
    },
    disconnect: async () => {},
    connect: async () => {},
    subscribe: async () => {},
    run: async (config: ConsumerRunConfig) => {
      consumer.runConfig = config
    },
    pause: (topics: Array<{ topic: string; partitions?: number[] }>) => {
      for (const { topic, partitions = [0, 1, 2] } of topics) {
        const set = paused.get(topic) ?? new Set<number>()
        partitions.forEach((p) => set.add(p))
        paused.set(topic, set)
      }
    },
    paused: () => [...paused].map(([topic, set]) => ({ topic, partitions: [...set] })),
  }
  const created: { config?: ConsumerConfig } = {}
  return {
    kafka: {
      consumer: (config: ConsumerConfig) => {
        created.config = config
        return consumer
      },
    } as unknown as Kafka,
    consumer,
    created,
  }
}

const message = (offset: number): KafkaMessage => ({
  offset: String(offset),
  timestamp: String(1000 + offset),
  key: null,
  value: Buffer.from(`v${offset}`),
  attributes: 0,
  headers: {},
})

interface Driver {
  payload: EachBatchPayload
  resolved: string[]
  heartbeats: number
  commits: number
  stale: boolean
  running: boolean
}

function batchPayload(topic: string, partition: number, offsets: number[]): Driver {
  const driver: Driver = { resolved: [], heartbeats: 0, commits: 0, stale: false, running: true, payload: undefined as never }
  driver.payload = {
    batch: { topic, partition, messages: offsets.map(message) } as unknown as Batch,
    resolveOffset: (offset: string) => {
      driver.resolved.push(offset)
    },
    heartbeat: async () => {
      driver.heartbeats++
    },
    pause: () => () => {},
    commitOffsetsIfNecessary: async () => {
      driver.commits++
    },
    uncommittedOffsets: () => ({ topics: [] }),
    isRunning: () => driver.running,
    isStale: () => driver.stale,
  }
  return driver
}

type SessionOptions = {
  active?: boolean
  position?: SessionOwner['position']
  startOffsets?: SessionOwner['startOffsets']
  restartOnFailure?: (error: Error) => Promise<boolean>
  filter?: Omit<DeliveryFilterSetup, 'onDeduplicated'>
}

async function startSession(run: FailoverRunConfig, options: SessionOptions = {}) {
  const built = buildSession(options)
  const { session, consumer } = built
  await session.start(['orders', 'dc1.orders'], false, run, [], options.active ?? true)
  // Nothing joined in the fake: an active session delivers once activated.
  if (options.active ?? true) {
    consumer.emit('consumer.group_join', { memberAssignment: {} })
    await session.activate()
  }
  const eachBatch = consumer.runConfig!.eachBatch!
  return { ...built, eachBatch, restartOnFailure: built.created.config!.retry!.restartOnFailure! }
}

function buildSession(options: SessionOptions = {}) {
  const { kafka, consumer, created } = fakeKafka()
  const positions = new ProcessedPositions('dc2')
  const failures: Array<{ error: unknown; attempt: number }> = []
  const gaveUp: Array<{ error: unknown; byApplication: boolean }> = []
  const deduplicated: Array<{ cluster: string; topic: string; partition: number; count: number }> = []
  // The consumer's one filter tells of dropped copies (the `consumer:deduplicated` event).
  const filter =
    options.filter &&
    new DeliveryFilter({
      ...options.filter,
      onDeduplicated: (cluster, topic, partition, count) => {
        deduplicated.push({ cluster, topic, partition, count })
      },
    })
  const session = new ConsumerSession({
    cluster: 'dc2',
    kafka,
    config: validateConsumerConfig(
      { groupId: 'g', ...(options.restartOnFailure ? { retry: { restartOnFailure: options.restartOnFailure } } : {}) },
      { replicationPolicy: createReplicationPolicy('prefix', ['dc1', 'dc2']), clusters: ['dc1', 'dc2'], provenance: true },
    ),
    policy: createReplicationPolicy('prefix', ['dc1', 'dc2']),
    positions,
    filter,
    owner: {
      position: options.position ?? (async () => new Map()),
      // By default there are no start offsets to take: the join positions.
      startOffsets: options.startOffsets ?? (() => Promise.reject(new Error('no start offsets in this test'))),
      positionFailed: (_session, error, attempt) => {
        failures.push({ error, attempt })
      },
      clusterError: () => {},
      gaveUp: (_session, error, byApplication) => {
        gaveUp.push({ error, byApplication })
      },
      joined: () => {},
      teardown: async (_session, client) => {
        await client.disconnect()
        return true
      },
    },
  })
  return { session, consumer, created, positions, failures, gaveUp, deduplicated, filter }
}

describe('ConsumerSession: the first join of a fresh run', () => {
  const assignment = { orders: [0, 1], 'dc1.orders': [0] }
  const flush = () => new Promise((resolve) => setImmediate(resolve))

  it('joins once they are known, and starts at once, seeking only where they say', async () => {
    const positioned: number[] = []
    let runBeforeStartOffsets = false
    const { session, consumer } = buildSession({
      startOffsets: async () => {
        await new Promise((resolve) => setTimeout(resolve, 50))
        runBeforeStartOffsets = consumer.runConfig !== undefined
        return new Map([[partitionKey('dc1.orders', 0), { offset: '42' }]])
      },
      position: async () => {
        positioned.push(1)
        return new Map()
      },
    })
    await session.start(['orders', 'dc1.orders'], false, { eachMessage: async () => {} }, [], true)
    expect(runBeforeStartOffsets).toBe(false)
    consumer.emit('consumer.group_join', { memberAssignment: assignment })
    // Nothing was paused, so kafkajs fetches at once (a resume would wait out its idle sleep).
    expect(consumer.paused()).toEqual([])
    expect(consumer.seeks).toEqual([{ topic: 'dc1.orders', partition: 0, offset: '42' }])
    await session.activate()
    expect(positioned).toEqual([])
  })

  it('joins without them after a while, pauses and positions at the join, and ignores them when they come later', async () => {
    let giveStartOffsets!: (offsets: StartPositions) => void
    const { session, consumer } = buildSession({
      startOffsets: () =>
        new Promise((resolve) => {
          giveStartOffsets = resolve
        }),
      position: async () => new Map([[partitionKey('orders', 1), { offset: '7' }]]),
    })
    const started = Date.now()
    await session.start(['orders', 'dc1.orders'], false, { eachMessage: async () => {} }, [], true)
    // kafkajs' run() (the JoinGroup) waited for them, but not for long.
    expect(consumer.runConfig).toBeDefined()
    expect(Date.now() - started).toBeLessThan(2000)
    consumer.emit('consumer.group_join', { memberAssignment: assignment })
    expect(consumer.paused()).not.toEqual([])
    giveStartOffsets(new Map([[partitionKey('dc1.orders', 0), { offset: '42' }]]))
    await session.activate()
    expect(consumer.seeks).toEqual([{ topic: 'orders', partition: 1, offset: '7' }])
    expect(consumer.paused().flatMap((p) => p.partitions)).toEqual([])
  })

  it('positions every later join (a rebalance) the usual way', async () => {
    let positions = 0
    const { session, consumer } = buildSession({
      startOffsets: async () => new Map(),
      position: async () => {
        positions++
        return new Map()
      },
    })
    await session.start(['orders', 'dc1.orders'], false, { eachMessage: async () => {} }, [], true)
    await flush()
    consumer.emit('consumer.group_join', { memberAssignment: assignment })
    expect(positions).toBe(0)
    consumer.emit('consumer.group_join', { memberAssignment: assignment })
    await session.activate()
    expect(positions).toBe(1)
  })

  it('asks no start offsets for a standby', async () => {
    let asked = 0
    const { session } = buildSession({
      startOffsets: async () => {
        asked++
        return new Map()
      },
    })
    await session.start(['orders'], false, { eachMessage: async () => {} }, [], false)
    expect(asked).toBe(0)
  })
})

describe('ConsumerSession start', () => {
  it('stops trying to subscribe once stopped: a stopped consumer never reconnects for its retries', async () => {
    const { session, consumer } = buildSession({ active: false })
    let subscribes = 0
    consumer.subscribe = async () => {
      subscribes++
      throw Object.assign(new Error('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' })
    }
    const started = session.start(['orders'], false, { eachMessage: async () => {} }, [], false)
    await new Promise((resolve) => setTimeout(resolve, 350))
    await session.stop(1000)
    const atStop = subscribes
    expect(atStop).toBeGreaterThanOrEqual(2)
    await expect(started).resolves.toBeUndefined()
    // The retries would have gone on for about 3.5 s (the next one 400 ms after the third).
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect(subscribes).toBe(atStop)
    expect(consumer.runConfig).toBeUndefined()
  })
})

describe('ConsumerSession when kafkajs gives its consumer up', () => {
  it('tells only of a crash kafkajs will not restart from, and delivers nothing from then on', async () => {
    const { session, consumer, gaveUp } = await startSession({ eachMessage: async () => {} })
    consumer.emit('consumer.crash', { error: new Error('a blip'), restart: true })
    expect(gaveUp).toEqual([])
    expect(session.isActive).toBe(true)
    const fatal = new TypeError('handler bug')
    consumer.emit('consumer.crash', { error: fatal, restart: false })
    expect(gaveUp).toEqual([{ error: fatal, byApplication: false }])
    expect(session.isActive).toBe(false)
    consumer.emit('consumer.crash', { error: fatal, restart: false })
    expect(gaveUp).toHaveLength(1)
  })

  it('says when the application declined the restart, and never restarts a stopped session', async () => {
    const declined = await startSession({ eachMessage: async () => {} }, { restartOnFailure: async () => false })
    expect(await declined.restartOnFailure(new Error('retries exceeded'))).toBe(false)
    declined.consumer.emit('consumer.crash', { error: new Error('retries exceeded'), restart: false })
    expect(declined.gaveUp.map((g) => g.byApplication)).toEqual([true])

    const stopped = await startSession({ eachMessage: async () => {} }, { restartOnFailure: async () => true })
    expect(await stopped.restartOnFailure(new Error('x'))).toBe(true)
    await stopped.session.stop(100)
    expect(await stopped.restartOnFailure(new Error('x'))).toBe(false)
    stopped.consumer.emit('consumer.crash', { error: new Error('x'), restart: false })
    expect(stopped.gaveUp).toEqual([])
  })
})

describe('ConsumerSession standby and activation', () => {
  const join = { memberAssignment: { orders: [0, 1], 'dc1.orders': [1] } }

  it('a standby pauses its whole assignment at every join and positions nothing', async () => {
    const position = vi.fn(async () => new Map([['orders\u00000', { offset: '5' }]]))
    const { consumer } = await startSession({ eachMessage: async () => {} }, { active: false, position })
    consumer.emit('consumer.group_join', join)
    expect(consumer.paused()).toEqual([
      { topic: 'orders', partitions: [0, 1] },
      { topic: 'dc1.orders', partitions: [1] },
    ])
    expect(position).not.toHaveBeenCalled()
    expect(consumer.seeks).toEqual([])
  })

  it('activation positions the current assignment by seeks, then resumes what the application did not pause', async () => {
    const position = vi.fn(
      async (_s: unknown, assigned: readonly TopicPartition[]) =>
        new Map(assigned.filter((p) => p.partition === 1).map((p) => [partitionKey(p.topic, p.partition), { offset: '42' }])),
    )
    const { session, consumer } = await startSession({ eachMessage: async () => {} }, { active: false, position })
    consumer.emit('consumer.group_join', join)
    session.pause([{ topic: 'orders', partitions: [0] }])
    await session.activate()
    expect(position).toHaveBeenCalledTimes(1)
    expect(consumer.seeks).toEqual([
      { topic: 'orders', partition: 1, offset: '42' },
      { topic: 'dc1.orders', partition: 1, offset: '42' },
    ])
    expect(consumer.paused()).toEqual([
      { topic: 'orders', partitions: [0] },
      { topic: 'dc1.orders', partitions: [] },
    ])
    expect(session.isActive).toBe(true)
  })

  it('an active session positions every new assignment before anything is fetched for it', async () => {
    let release: () => void = () => {}
    const position = vi.fn(
      () =>
        new Promise<StartPositions>((resolve) => {
          release = () => resolve(new Map([[partitionKey('orders', 0), { offset: '7' }]]))
        }),
    )
    const { consumer } = await startSession({ eachMessage: async () => {} }, { active: true, position })
    consumer.emit('consumer.group_join', join)
    // Paused while the positions are worked out.
    expect(consumer.paused()).toEqual([
      { topic: 'orders', partitions: [0, 1] },
      { topic: 'dc1.orders', partitions: [1] },
    ])
    release()
    await vi.waitFor(() => expect(consumer.seeks).toEqual([{ topic: 'orders', partition: 0, offset: '7' }]))
    expect(consumer.paused()).toEqual([
      { topic: 'orders', partitions: [] },
      { topic: 'dc1.orders', partitions: [] },
    ])
  })

  it('a failed positioning is reported with its attempt number and tried again until it succeeds', async () => {
    let calls = 0
    const position = vi.fn(async () => {
      if (++calls < 3) throw new Error(`translation failed ${calls}`)
      return new Map([[partitionKey('orders', 0), { offset: '3' }]])
    })
    const { session, consumer, failures } = await startSession({ eachMessage: async () => {} }, { active: false, position })
    consumer.emit('consumer.group_join', join)
    await session.activate()
    expect(failures.map((f) => [f.attempt, (f.error as Error).message])).toEqual([
      [1, 'translation failed 1'],
      [2, 'translation failed 2'],
    ])
    expect(consumer.seeks).toEqual([{ topic: 'orders', partition: 0, offset: '3' }])
  })

  it('a deactivation during positioning drops its result: nothing is sought or resumed', async () => {
    let release: () => void = () => {}
    const position = vi.fn(
      () =>
        new Promise<StartPositions>((resolve) => {
          release = () => resolve(new Map([[partitionKey('orders', 0), { offset: '9' }]]))
        }),
    )
    const { session, consumer } = await startSession({ eachMessage: async () => {} }, { active: false, position })
    consumer.emit('consumer.group_join', join)
    const activation = session.activate()
    await vi.waitFor(() => expect(position).toHaveBeenCalled())
    session.deactivate()
    release()
    await activation
    expect(consumer.seeks).toEqual([])
    expect(consumer.paused()).toEqual([
      { topic: 'orders', partitions: [0, 1] },
      { topic: 'dc1.orders', partitions: [1] },
    ])
  })
})

describe('ConsumerSession eachMessage loop', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('runs eachMessage over kafkajs eachBatch without auto-resolve, and calls the handler per record with its source', async () => {
    const seen: FailoverEachMessagePayload[] = []
    const { consumer, positions, eachBatch } = await startSession({
      eachMessage: async (p) => {
        seen.push(p)
      },
    })
    expect(consumer.runConfig).toMatchObject({ eachBatchAutoResolve: false })
    expect(consumer.runConfig!.eachMessage).toBeUndefined()
    const driver = batchPayload('dc1.orders', 4, [7, 8, 9])
    await eachBatch(driver.payload)
    expect(seen.map((p) => [p.topic, p.physicalTopic, p.partition, p.cluster, p.originCluster, p.message.offset])).toEqual([
      ['orders', 'dc1.orders', 4, 'dc2', 'dc1', '7'],
      ['orders', 'dc1.orders', 4, 'dc2', 'dc1', '8'],
      ['orders', 'dc1.orders', 4, 'dc2', 'dc1', '9'],
    ])
    expect(driver.resolved).toEqual(['7', '8', '9'])
    expect(positions.drain().map((p) => [p.topic, p.partition, p.offset, p.timestamp])).toEqual([['dc1.orders', 4, '10', 1009]])
  })

  it('stops at a throwing handler: earlier records resolved and noted, the failed one neither', async () => {
    const { positions, eachBatch } = await startSession({
      eachMessage: async ({ message }) => {
        if (message.offset === '2') throw new Error('boom')
      },
    })
    const driver = batchPayload('orders', 0, [0, 1, 2, 3])
    await expect(eachBatch(driver.payload)).rejects.toThrow('boom')
    expect(driver.resolved).toEqual(['0', '1'])
    expect(positions.drain().map((p) => p.offset)).toEqual(['2'])
  })

  it('stops when the partition goes stale (a seek) or the consumer stops running', async () => {
    const calls: string[] = []
    let driver: Driver
    const { eachBatch } = await startSession({
      eachMessage: async ({ message }) => {
        calls.push(message.offset)
        if (message.offset === '1') driver.stale = true
        if (message.offset === '11') driver.running = false
      },
    })
    driver = batchPayload('orders', 0, [0, 1, 2])
    await eachBatch(driver.payload)
    expect(calls).toEqual(['0', '1'])
    expect(driver.resolved).toEqual(['0', '1'])
    driver = batchPayload('orders', 1, [10, 11, 12])
    await eachBatch(driver.payload)
    expect(calls).toEqual(['0', '1', '10', '11'])
  })

  it('stops after the record whose handler paused its partition, through the payload or the consumer', async () => {
    const calls: string[] = []
    const started = await startSession({
      eachMessage: async ({ message, pause, physicalTopic, partition }) => {
        calls.push(`${partition}:${message.offset}`)
        if (message.offset === '1') pause()
        if (message.offset === '21') session.pause([{ topic: physicalTopic, partitions: [partition] }])
      },
    })
    const session = started.session // the handler runs only after startSession() returned
    const byPayload = batchPayload('orders', 1, [0, 1, 2])
    await started.eachBatch(byPayload.payload)
    expect(calls).toEqual(['1:0', '1:1'])
    // A pause of another partition does not stop this one.
    const other = batchPayload('orders', 2, [20, 21, 22])
    started.consumer.pause([{ topic: 'orders', partitions: [0] }])
    await started.eachBatch(other.payload)
    expect(calls).toEqual(['1:0', '1:1', '2:20', '2:21'])
    expect(other.resolved).toEqual(['20', '21'])
  })

  it('calls no handler once deactivated or stopped, and ends the batch quietly (an error would restart kafkajs)', async () => {
    const handler = vi.fn(async () => {})
    const deactivated = await startSession({ eachMessage: handler })
    deactivated.session.deactivate()
    await deactivated.eachBatch(batchPayload('orders', 0, [0]).payload)
    const stopped = await startSession({ eachMessage: handler })
    await stopped.session.stop(100)
    await stopped.eachBatch(batchPayload('orders', 0, [0]).payload)
    expect(handler).not.toHaveBeenCalled()
    expect(deactivated.session.isActive).toBe(false)
    expect(stopped.session.isActive).toBe(false)
  })

  it('a user eachBatch still in its batch when delivery stops: isRunning turns false, resolveOffset throws', async () => {
    let stop: () => void = () => {}
    const seen: boolean[] = []
    const { session, eachBatch } = await startSession({
      eachBatch: async ({ resolveOffset, isRunning }) => {
        resolveOffset('0')
        seen.push(isRunning())
        stop()
        seen.push(isRunning())
        resolveOffset('1')
      },
    })
    stop = () => session.deactivate()
    await expect(eachBatch(batchPayload('orders', 0, [0, 1]).payload)).rejects.toThrow(/fenced/)
    expect(seen).toEqual([true, false])
  })

  it('heartbeats and commits at most every 50 ms by default, after every record with a commit threshold, never without auto-commit', async () => {
    vi.useFakeTimers({ now: 0 })
    const slowly = async (): Promise<void> => {
      vi.setSystemTime(Date.now() + 20)
    }
    const byTime = await startSession({ eachMessage: slowly })
    const timed = batchPayload('orders', 0, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) // 20 ms each: 200 ms
    await byTime.eachBatch(timed.payload)
    // One before the first record, then one every 50 ms, each with a commit check.
    expect(timed.heartbeats).toBeGreaterThanOrEqual(4)
    expect(timed.heartbeats).toBeLessThanOrEqual(5)
    expect(timed.commits).toBe(timed.heartbeats - 1)

    const byCount = await startSession({ eachMessage: slowly, autoCommitThreshold: 5 })
    const counted = batchPayload('orders', 0, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    await byCount.eachBatch(counted.payload)
    expect(counted.commits).toBe(10)

    const manual = await startSession({ eachMessage: slowly, autoCommit: false })
    const none = batchPayload('orders', 0, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    await manual.eachBatch(none.payload)
    expect(none.commits).toBe(0)
    expect(none.heartbeats).toBeGreaterThanOrEqual(4)
  })

  it('ends a batch before its first record while the group rebalances', async () => {
    // kafkajs hands the rest of its fetch to eachBatch after a heartbeat met a rebalance; its
    // heartbeat keeps failing until the member rejoins, and no record of those batches is handled.
    const handled: string[] = []
    const { eachBatch } = await startSession({
      eachMessage: async ({ message }) => {
        handled.push(message.offset)
      },
    })
    const rebalancing = batchPayload('orders', 0, [0, 1, 2])
    rebalancing.payload.heartbeat = async () => {
      throw Object.assign(new Error('The group is rebalancing'), { type: 'REBALANCE_IN_PROGRESS' })
    }
    await expect(eachBatch(rebalancing.payload)).rejects.toThrow('rebalancing')
    expect(handled).toEqual([])
    expect(rebalancing.resolved).toEqual([])
  })

  it('notes the last offset a user eachBatch resolves, whatever order it resolves in', async () => {
    const resolves: string[][] = [
      ['3', '4', '6'],
      ['6', '3'],
      ['4', '99'],
    ]
    let call = 0
    const { positions, eachBatch } = await startSession({
      eachBatch: async ({ resolveOffset }) => {
        for (const offset of resolves[call++]!) resolveOffset(offset)
      },
      eachBatchAutoResolve: false,
    })
    const offsets: string[][] = []
    for (let i = 0; i < resolves.length; i++) {
      const driver = batchPayload('orders', 0, [3, 4, 5, 6])
      await eachBatch(driver.payload)
      expect(driver.resolved).toEqual(resolves[i])
      offsets.push(positions.drain().map((p) => p.offset))
    }
    // Gaps skipped, a step back honoured, an offset not in the batch ignored.
    expect(offsets).toEqual([['7'], ['4'], ['5']])
  })

  it('passes a user eachBatch through kafkajs eachBatch with its auto-resolve setting', async () => {
    const { consumer } = await startSession({ eachBatch: async () => {}, eachBatchAutoResolve: false })
    expect(consumer.runConfig!.eachBatch).toBeTypeOf('function')
    expect(consumer.runConfig!.eachBatchAutoResolve).toBe(false)
  })
})

describe("ConsumerSession on a copy behind the group's position", () => {
  // orders[0] starts at the copy's end, 3, where no record at or after timestamp 1005 had been
  // replicated yet (the fake's records have timestamp 1000 + offset); orders[1] starts normally.
  const behind = async (): Promise<StartPositions> =>
    new Map([
      [partitionKey('orders', 0), { offset: '3', skipBelowTimestamp: 1005 }],
      [partitionKey('orders', 1), { offset: '3' }],
    ])
  const activeOnBehindCopy = async (run: FailoverRunConfig) => {
    const started = await startSession(run, { active: false, position: behind })
    started.consumer.emit('consumer.group_join', { memberAssignment: { orders: [0, 1] } })
    await started.session.activate()
    return started
  }

  it('eachMessage: skips the records replicated below the position, resolved and noted, then delivers all from the first at or after it', async () => {
    const handled: string[] = []
    const { positions, eachBatch } = await activeOnBehindCopy({
      eachMessage: async ({ partition, message }) => {
        handled.push(`${partition}:${message.offset}`)
      },
    })
    const first = batchPayload('orders', 0, [3, 4])
    await eachBatch(first.payload)
    expect(handled).toEqual([])
    expect(first.resolved).toEqual(['4'])
    expect(positions.drain().map((p) => [p.partition, p.offset])).toEqual([[0, '5']])
    const second = batchPayload('orders', 0, [4, 5, 6])
    await eachBatch(second.payload)
    expect(second.resolved).toEqual(['4', '5', '6'])
    // From the first record at or after the position on, nothing is skipped, older or not.
    await eachBatch(batchPayload('orders', 0, [2]).payload)
    await eachBatch(batchPayload('orders', 1, [3]).payload)
    expect(handled).toEqual(['0:5', '0:6', '0:2', '1:3'])
  })

  it('eachBatch: the handler sees the batch from the first record at or after the position; a batch all below it is not handed over', async () => {
    const seen: Array<{ offsets: string[]; lastOffset: string }> = []
    const { eachBatch } = await activeOnBehindCopy({
      eachBatch: async ({ batch }) => {
        seen.push({ offsets: batch.messages.map((m) => m.offset), lastOffset: batch.lastOffset() })
      },
    })
    const lastOffset = function (this: Batch) {
      return '9'
    }
    const below = batchPayload('orders', 0, [3])
    await eachBatch(below.payload)
    const across = batchPayload('orders', 0, [4, 5, 6])
    Object.setPrototypeOf(across.payload.batch, { lastOffset })
    await eachBatch(across.payload)
    expect(below.resolved).toEqual(['3'])
    expect(across.resolved).toEqual(['4'])
    expect(seen).toEqual([{ offsets: ['5', '6'], lastOffset: '9' }])
  })

  it('a later join skips nothing unless its positioning says so', async () => {
    const handled: string[] = []
    const position = vi.fn(behind)
    const { session, consumer, eachBatch } = await startSession(
      {
        eachMessage: async ({ message }) => {
          handled.push(message.offset)
        },
      },
      { active: false, position },
    )
    consumer.emit('consumer.group_join', { memberAssignment: { orders: [0] } })
    await session.activate()
    position.mockImplementation(async () => new Map([[partitionKey('orders', 0), { offset: '3' }]]))
    consumer.emit('consumer.group_join', { memberAssignment: { orders: [0] } })
    await vi.waitFor(() => {
      expect(consumer.seeks).toHaveLength(2)
    })
    await eachBatch(batchPayload('orders', 0, [3]).payload)
    expect(handled).toEqual(['3'])
  })
})

describe('ConsumerSession positions with manual commits (autoCommit: false)', () => {
  const drained = (positions: ProcessedPositions): Array<[string, number, string, number]> =>
    positions.drain().map((p) => [p.topic, p.partition, p.offset, p.timestamp])

  it('eachMessage: checkpoints what the handler commits through the session, dated by the record before the offset; nothing else', async () => {
    const buffer: KafkaMessage[] = []
    const started = await startSession({
      autoCommit: false,
      // Buffers records; every third one flushes the buffer and commits past it, from inside the handler.
      eachMessage: async ({ message, physicalTopic, partition }) => {
        buffer.push(message)
        if (buffer.length === 3) {
          buffer.length = 0
          await session.commitOffsets([{ topic: physicalTopic, partition, offset: String(Number(message.offset) + 1) }])
        }
      },
    })
    const session = started.session // the handler runs only after startSession() returned
    const before = batchPayload('dc1.orders', 1, [10, 11])
    await started.eachBatch(before.payload)
    // Processed, in the buffer, nothing committed yet: no position.
    expect(drained(started.positions)).toEqual([])
    expect(started.positions.checkpoints('g')).toEqual([])
    const driver = batchPayload('dc1.orders', 1, [12, 13, 14])
    await started.eachBatch(driver.payload)
    // kafkajs' own steps are unchanged: every record resolved, no commit of resolved offsets.
    expect([...before.resolved, ...driver.resolved]).toEqual(['10', '11', '12', '13', '14'])
    expect(before.commits + driver.commits).toBe(0)
    expect(started.consumer.commits).toEqual([[{ topic: 'dc1.orders', partition: 1, offset: '13' }]])
    // 13 and 14 were processed but sit in the buffer: not checkpointed.
    expect(drained(started.positions)).toEqual([['dc1.orders', 1, '13', 1012]])
    expect(started.positions.checkpoints('g').map((c) => c.offset)).toEqual(['13'])
    // A commit from outside the handler (a flush timer) of records it saw.
    await session.commitOffsets([{ topic: 'dc1.orders', partition: 1, offset: '15' }])
    expect(drained(started.positions)).toEqual([['dc1.orders', 1, '15', 1014]])
    // A commit of records never delivered to this session goes to kafkajs but does not move the checkpoint.
    await session.commitOffsets([{ topic: 'orders', partition: 0, offset: '99' }])
    expect(started.consumer.commits.at(-1)).toEqual([{ topic: 'orders', partition: 0, offset: '99' }])
    expect(drained(started.positions)).toEqual([])
  })

  it('eachBatch: resolved and auto-resolved records are not positions; offsets given to commitOffsetsIfNecessary are, and reach kafkajs', async () => {
    const given: Array<Offsets | undefined> = []
    let call = 0
    const started = await startSession({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
        for (const message of batch.messages) resolveOffset(message.offset)
        if (call++ === 1)
          await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: '22' }] }] })
        else await commitOffsetsIfNecessary()
      },
    })
    const first = batchPayload('orders', 2, [20, 21, 22, 23])
    first.payload.commitOffsetsIfNecessary = async (offsets?: Offsets) => {
      given.push(offsets)
    }
    await started.eachBatch(first.payload)
    // Without offsets, autoCommitInterval or autoCommitThreshold kafkajs commits nothing: no position.
    expect(given).toEqual([undefined])
    expect(drained(started.positions)).toEqual([])
    const second = batchPayload('orders', 2, [24])
    second.payload.commitOffsetsIfNecessary = async (offsets?: Offsets) => {
      given.push(offsets)
    }
    await started.eachBatch(second.payload)
    expect(given.at(-1)).toEqual({ topics: [{ topic: 'orders', partitions: [{ partition: 2, offset: '22' }] }] })
    // Dated by record 21 (delivered in the batch before).
    expect(drained(started.positions)).toEqual([['orders', 2, '22', 1021]])
  })

  it('eachBatch: commitOffsetsIfNecessary() without offsets checkpoints the resolved offsets only when kafkajs committed them (interval or threshold due)', async () => {
    for (const due of [false, true]) {
      const started = await startSession({
        autoCommit: false,
        autoCommitInterval: 1000,
        eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
          resolveOffset(batch.messages[1]!.offset)
          await commitOffsetsIfNecessary()
        },
      })
      // kafkajs' offset manager in miniature: resolved offsets are uncommitted until a due commit.
      const driver = batchPayload('orders', 0, [5, 6, 7])
      const resolved = new Map<number, string>()
      driver.payload.resolveOffset = (offset: string) => {
        resolved.set(0, String(Number(offset) + 1))
      }
      driver.payload.uncommittedOffsets = () => ({
        topics:
          resolved.size === 0 ? [] : [{ topic: 'orders', partitions: [...resolved].map(([partition, offset]) => ({ partition, offset })) }],
      })
      driver.payload.commitOffsetsIfNecessary = async () => {
        if (due) resolved.clear()
      }
      await started.eachBatch(driver.payload)
      expect(drained(started.positions)).toEqual(due ? [['orders', 0, '7', 1006]] : [])
    }
  })

  it('with autoCommit (the default) commits are passed on and the position stays the last processed record', async () => {
    const { session, consumer, positions, eachBatch } = await startSession({ eachMessage: async () => {} })
    await eachBatch(batchPayload('orders', 0, [0, 1, 2]).payload)
    await session.commitOffsets([{ topic: 'orders', partition: 0, offset: '1' }])
    expect(consumer.commits).toEqual([[{ topic: 'orders', partition: 0, offset: '1' }]])
    expect(drained(positions)).toEqual([['orders', 0, '3', 1002]])
  })
})

describe('ConsumerSession stop', () => {
  it('resolves with whether the consumer left its group in time (a hung cluster keeps the member)', async () => {
    const { session } = await startSession({ eachMessage: async () => {} })
    expect(await session.stop(100)).toBe(true)
    const hung = await startSession({ eachMessage: async () => {} })
    ;(hung.session as unknown as { setup: SessionSetup }).setup.owner.teardown = async () => false
    expect(await hung.session.stop(100)).toBe(false)
  })
})

describe('ConsumerSession provenance: origin, origins by header, dedupe', () => {
  const stamper = new ProvenanceStamper({ instanceId: Buffer.alloc(8, 7) })
  // Records 0..5 of one producer, stamped once (ids 0..5), first written in `origin`.
  const stamped = Array.from({ length: 6 }, (_, i) => stamper.stamp({ value: `r${i}` }, 'dc1'))
  /** A batch of `topic` holding the stamped records `ids` (origin rewritten to `origin`) at offsets from `firstOffset`. */
  function stampedBatch(topic: string, ids: number[], firstOffset: number, origin = 'dc1'): Driver {
    const driver = batchPayload(
      topic,
      0,
      ids.map((_, i) => firstOffset + i),
    )
    const messages = driver.payload.batch.messages
    ids.forEach((id, i) => {
      messages[i]!.headers = stamper.withOrigin(stamped[id]!, origin).headers!
      messages[i]!.value = Buffer.from(`r${id}`)
    })
    return driver
  }
  const dedupe = { windowSize: 1024, maxProducers: 10 }

  it("gives the header's origin as the payload's originCluster (a record a failing-over producer re-sent)", async () => {
    const seen: string[] = []
    const { eachBatch } = await startSession(
      {
        eachMessage: async (p) => {
          seen.push(p.originCluster)
        },
      },
      { filter: { header: 'x-dr' } },
    )
    const driver = stampedBatch('dc1.orders', [0, 1], 10, 'dc2')
    driver.payload.batch.messages.push(message(12)) // no header: the topic's origin
    await eachBatch(driver.payload)
    expect(seen).toEqual(['dc2', 'dc2', 'dc1'])
  })

  it('eachMessage: drops copies of delivered records arriving by another path, resolving and checkpointing them', async () => {
    const handled: string[] = []
    const { eachBatch, positions, deduplicated } = await startSession(
      {
        eachMessage: async ({ message: m }) => {
          handled.push(String(m.value))
        },
      },
      { filter: { header: 'x-dr', dedupe } },
    )
    await eachBatch(stampedBatch('orders', [0, 1, 2], 0).payload)
    const copies = stampedBatch('dc1.orders', [1, 2, 3], 40)
    await eachBatch(copies.payload)
    expect(handled).toEqual(['r0', 'r1', 'r2', 'r3'])
    expect(copies.resolved).toEqual(['40', '41', '42'])
    expect(deduplicated).toEqual([{ cluster: 'dc2', topic: 'dc1.orders', partition: 0, count: 2 }])
    expect(positions.drain().map((p) => [p.topic, p.offset])).toEqual([
      ['orders', '3'],
      ['dc1.orders', '43'],
    ])
  })

  it('eachMessage: a record whose handler threw is not marked, so its redelivery is handled', async () => {
    let fail = true
    const handled: string[] = []
    const { eachBatch } = await startSession(
      {
        eachMessage: async ({ message: m }) => {
          if (String(m.value) === 'r1' && fail) throw new Error('boom')
          handled.push(String(m.value))
        },
      },
      { filter: { header: 'x-dr', dedupe } },
    )
    await expect(eachBatch(stampedBatch('orders', [0, 1], 0).payload)).rejects.toThrow('boom')
    fail = false
    await eachBatch(stampedBatch('orders', [1], 1).payload)
    expect(handled).toEqual(['r0', 'r1'])
  })

  it('eachBatch: the handler sees the batch without copies; lastOffset() still covers them; only resolved records are marked', async () => {
    const batches: string[][] = []
    const lastOffsets: string[] = []
    const { eachBatch, deduplicated } = await startSession(
      {
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset }) => {
          batches.push(batch.messages.map((m) => String(m.value)))
          lastOffsets.push(batch.lastOffset())
          // Resolves only the first record handed over: the rest are not delivered yet.
          if (batch.messages[0]) resolveOffset(batch.messages[0].offset)
        },
      },
      { filter: { header: 'x-dr', dedupe } },
    )
    const first = stampedBatch('orders', [0, 1, 2], 0)
    ;(first.payload.batch as unknown as { lastOffset: () => string }).lastOffset = () => '2'
    await eachBatch(first.payload)
    const second = stampedBatch('dc1.orders', [0, 1, 2, 3], 20)
    ;(second.payload.batch as unknown as { lastOffset: () => string }).lastOffset = () => '23'
    await eachBatch(second.payload)
    // r0 was resolved and so delivered: dropped; r1 and r2 were handed over but never resolved.
    expect(batches).toEqual([
      ['r0', 'r1', 'r2'],
      ['r1', 'r2', 'r3'],
    ])
    expect(lastOffsets).toEqual(['2', '23'])
    expect(deduplicated).toEqual([{ cluster: 'dc2', topic: 'dc1.orders', partition: 0, count: 1 }])
  })

  it('skips records of origins not read when names cannot tell them (identity naming), by header', async () => {
    const handled: string[] = []
    const { eachBatch, positions, filter } = await startSession(
      {
        eachMessage: async ({ message: m }) => {
          handled.push(String(m.value))
        },
      },
      { filter: { header: 'x-dr', origins: ['dc1'] } },
    )
    const driver = stampedBatch('orders', [0, 1], 0, 'dc2')
    driver.payload.batch.messages.push({
      ...message(2),
      value: Buffer.from('r2'),
      headers: stamper.withOrigin(stamped[2]!, 'dc1').headers!,
    } as KafkaMessage)
    await eachBatch(driver.payload)
    expect(handled).toEqual(['r2'])
    expect(filter!.skippedOrigin).toBe(2)
    expect(driver.resolved).toEqual(['0', '1', '2'])
    expect(positions.drain().map((p) => p.offset)).toEqual(['3'])
  })
})

describe('ConsumerSession with an instance identity', () => {
  it('joins (runs kafkajs) only after its look for former members, removes them once joining, carries the identity in its assigner, and tells each join', async () => {
    const { kafka, consumer, created } = fakeKafka()
    const policy = createReplicationPolicy('prefix', ['dc1', 'dc2'])
    let finishLook!: (removal: () => void) => void
    const look = new Promise<() => void>((resolve) => {
      finishLook = resolve
    })
    // The removal is sent once the JoinGroup is under way (run() called), not before it.
    let runCalledAtRemoval: boolean | undefined
    const joins: string[] = []
    const identity = { instanceId: 'billing-0', incarnation: 'inc-now' }
    const session = new ConsumerSession({
      cluster: 'dc1',
      kafka,
      config: validateConsumerConfig(
        { groupId: 'g', instanceId: 'billing-0' },
        { replicationPolicy: policy, clusters: ['dc1', 'dc2'], provenance: true },
      ),
      policy,
      positions: new ProcessedPositions('dc1'),
      owner: {
        position: async () => new Map(),
        startOffsets: () => Promise.reject(new Error('no start offsets in this test')),
        positionFailed: () => {},
        clusterError: () => {},
        gaveUp: () => {},
        joined: (s) => {
          joins.push(s.cluster)
        },
        teardown: async () => true,
      },
      identity,
      beforeJoin: () => look,
    })
    const started = session.start(['orders'], false, { eachMessage: async () => {} }, [], false)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(consumer.runConfig).toBeUndefined()
    finishLook(() => {
      runCalledAtRemoval = consumer.runConfig !== undefined
    })
    await started
    expect(consumer.runConfig).toBeDefined()
    expect(runCalledAtRemoval).toBe(true)
    const assigner = created.config!.partitionAssigners![0]!({ cluster: {}, groupId: 'g', logger: {} } as never)
    const { decodeInstanceIdentity } = await import('../../../../src/consumer/session/instance-identity.js')
    const kafkajs = (await import('kafkajs')).default
    expect(
      decodeInstanceIdentity(kafkajs.AssignerProtocol.MemberMetadata.decode(assigner.protocol({ topics: ['orders'] }).metadata)!.userData),
    ).toEqual(identity)
    consumer.emit('consumer.group_join', { memberId: 'm1', memberAssignment: {} })
    expect(joins).toEqual(['dc1'])
    await session.stop(100)
    consumer.emit('consumer.group_join', { memberId: 'm1', memberAssignment: {} })
    expect(joins).toEqual(['dc1'])
  })
})
