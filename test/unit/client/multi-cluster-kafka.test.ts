import kafkajs from 'kafkajs'
import { describe, expect, it, vi } from 'vitest'
import { MultiClusterKafka } from '../../../src/client/multi-cluster-kafka.js'
import type { MultiClusterKafkaOptions } from '../../../src/client/types.js'
import { isKafkaInstance } from '../../../src/cluster/index.js'
import {
  InvalidOptionError,
  KafkaDRError,
  NoActiveClusterError,
  NotConnectedError,
  UnknownClusterError,
} from '../../../src/errors/index.js'
import { internalsOf } from '../../helpers/client-internals.js'

// Closed loopback ports: nothing here ever connects (connect() is never called).
function options(extra: Partial<MultiClusterKafkaOptions> = {}): MultiClusterKafkaOptions {
  return {
    clusters: {
      dc2: { kafka: { brokers: ['127.0.0.1:1'], logLevel: kafkajs.logLevel.NOTHING }, priority: 2 },
      dc1: { kafka: { brokers: ['127.0.0.1:1'], logLevel: kafkajs.logLevel.NOTHING }, priority: 1 },
    },
    ...extra,
  }
}

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('did not throw')
}

describe('new MultiClusterKafka', () => {
  it('throws InvalidOptionError synchronously for invalid options', () => {
    const error = thrown(
      () => new MultiClusterKafka({ clusters: { dc1: { kafka: { brokers: ['127.0.0.1:1'] }, priority: 'high' as unknown as number } } }),
    )
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect((error as Error).message).toBe("Expected `clusters.dc1.priority` to be an integer, got 'high'")
  })

  it('rejects a misspelt or invalid consumer or producer option when it is created, naming the nearest option', () => {
    const dr = new MultiClusterKafka(options())
    const typo = thrown(() => dr.consumer({ groupId: 'g', onMissingCheckpiont: 'latest' } as never))
    expect(typo).toBeInstanceOf(InvalidOptionError)
    expect((typo as Error).message).toContain('did you mean `onMissingCheckpoint`?')
    expect(() => dr.consumer({ groupId: 'g', onMissingCheckpoint: 'sometimes' as never })).toThrow(/onMissingCheckpoint/)
    expect(() => dr.consumer({ groupId: 'g', checkpoint: { topic: 'offsets.internal' } })).toThrow(/topics\.exclude/)
    expect(() => dr.producer({ deliveryTimeoutMs: 1000, maxAttemps: 3 } as never)).toThrow(/did you mean `maxAttempts`\?/)
  })

  it('throws for missing options and for empty clusters', () => {
    expect(() => new MultiClusterKafka(undefined as unknown as MultiClusterKafkaOptions)).toThrow(InvalidOptionError)
    expect(() => new MultiClusterKafka({ clusters: {} })).toThrow(InvalidOptionError)
  })

  it('rejects an invalid replication option synchronously', () => {
    const error = thrown(() => new MultiClusterKafka(options({ replication: 42 as never })))
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect((error as InvalidOptionError).path).toBe('replication')
  })

  it('rejects an empty provenance header name synchronously', () => {
    const error = thrown(() => new MultiClusterKafka(options({ provenance: { header: '' } })))
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect((error as InvalidOptionError).path).toBe('provenance.header')
  })

  it('lists clusters by priority, then the local cluster, then name', () => {
    const dr = new MultiClusterKafka({
      clusters: {
        b: { kafka: { brokers: ['127.0.0.1:1'] }, priority: 1 },
        z: { kafka: { brokers: ['127.0.0.1:1'] }, priority: 2 },
        a: { kafka: { brokers: ['127.0.0.1:1'] }, priority: 1 },
        l: { kafka: { brokers: ['127.0.0.1:1'] }, priority: 1 },
      },
      localCluster: 'l',
    })
    expect(internalsOf(dr).context.clusters.map((c) => c.name)).toEqual(['l', 'a', 'b', 'z'])
    expect(internalsOf(dr).context.clusters.map((c) => c.priority)).toEqual([1, 1, 1, 2])
  })

  it('uses a given kafkajs instance as is and builds one from a config', () => {
    const kafka = new kafkajs.Kafka({ brokers: ['127.0.0.1:1'], logLevel: kafkajs.logLevel.NOTHING })
    const dr = new MultiClusterKafka({ clusters: { dc1: { kafka }, dc2: { kafka: { brokers: ['127.0.0.1:1'] } } } })
    expect(dr.kafka('dc1')).toBe(kafka)
    expect(isKafkaInstance(dr.kafka('dc2'))).toBe(true)
    expect(internalsOf(dr).context.connection('dc2').kafka).toBe(dr.kafka('dc2'))
  })

  it('throws UnknownClusterError for an unknown cluster name, listing the configured ones', () => {
    const dr = new MultiClusterKafka(options())
    const error = thrown(() => dr.kafka('dc9'))
    expect(error).toBeInstanceOf(UnknownClusterError)
    expect((error as UnknownClusterError).code).toBe('ERR_UNKNOWN_CLUSTER')
    expect((error as UnknownClusterError).cluster).toBe('dc9')
    expect((error as Error).message).toBe("Unknown cluster 'dc9'; configured clusters: dc1, dc2")
  })

  it('has no active cluster and generation 0 before connect()', () => {
    const dr = new MultiClusterKafka(options())
    expect(dr.activeCluster).toBeUndefined()
    expect(dr.generation).toBe(0)
  })
})

describe('MultiClusterKafka events', () => {
  const up = { timestamp: 1, cluster: 'dc1', clusterId: 'id' }

  it('calls on() listeners every time, once() listeners once, none after off(); each call chains', () => {
    const dr = new MultiClusterKafka(options())
    const { events } = internalsOf(dr)
    const seen: string[] = []
    const always = (e: { cluster: string }): void => {
      seen.push(`on ${e.cluster}`)
    }
    expect(dr.on('cluster:up', always).once('cluster:up', (e) => seen.push(`once ${e.cluster}`))).toBe(dr)
    events.emit('cluster:up', up)
    events.emit('cluster:up', up)
    expect(dr.off('cluster:up', always)).toBe(dr)
    events.emit('cluster:up', up)
    expect(seen).toEqual(['on dc1', 'once dc1', 'on dc1'])
  })

  it('off() removes only the listener given', () => {
    const dr = new MultiClusterKafka(options())
    const calls: string[] = []
    const a = (): void => {
      calls.push('a')
    }
    dr.on('cluster:up', a)
      .on('cluster:up', () => calls.push('b'))
      .off('cluster:up', a)
    internalsOf(dr).events.emit('cluster:up', up)
    expect(calls).toEqual(['b'])
  })

  it('runs the other listeners when one throws', () => {
    const dr = new MultiClusterKafka(options())
    const calls: string[] = []
    dr.on('cluster:up', () => {
      throw new Error('listener bug')
    }).on('cluster:up', () => calls.push('second'))
    expect(() => internalsOf(dr).events.emit('cluster:up', up)).not.toThrow()
    expect(calls).toEqual(['second'])
  })

  it('offers no way to emit, or to reach listeners other code added', () => {
    const dr = new MultiClusterKafka(options())
    for (const member of ['emit', 'addListener', 'removeListener', 'removeAllListeners', 'listeners', 'listenerCount', 'eventNames']) {
      expect(member in dr, member).toBe(false)
    }
  })
})

describe('MultiClusterKafka.status before connect()', () => {
  it('shows every cluster unknown, none active, nothing pinned or switching', () => {
    const before = Date.now()
    const dr = new MultiClusterKafka(options({ localCluster: 'dc2' }))
    const after = Date.now()
    const status = dr.status()
    expect(status).toMatchObject({ active: undefined, policy: 'priority', pinned: undefined, switching: false, lastSwitch: undefined })
    expect(status.clusters.map(({ since: _since, ...c }) => c)).toEqual([
      { name: 'dc1', priority: 1, local: false, health: 'unknown', clusterId: undefined, lastError: undefined },
      { name: 'dc2', priority: 2, local: true, health: 'unknown', clusterId: undefined, lastError: undefined },
    ])
    for (const c of status.clusters) {
      expect(c.since).toBeGreaterThanOrEqual(before)
      expect(c.since).toBeLessThanOrEqual(after)
    }
  })

  it('names the policy in use', () => {
    expect(new MultiClusterKafka(options({ discovery: { policy: 'sticky' } })).status().policy).toBe('sticky')
    expect(new MultiClusterKafka(options({ discovery: { policy: 'declared' } })).status().policy).toBe('declared')
    function byDns(): string {
      return 'dc1'
    }
    expect(new MultiClusterKafka(options({ discovery: { policy: byDns } })).status().policy).toBe('byDns')
    expect(new MultiClusterKafka(options({ discovery: { policy: { name: 'consul', decide: () => 'dc1' } } })).status().policy).toBe(
      'consul',
    )
  })

  it("calls an inline function policy custom, not by the option's name", () => {
    expect(new MultiClusterKafka(options({ discovery: { policy: () => 'dc1' } })).status().policy).toBe('custom')
    expect(
      new MultiClusterKafka(
        options({
          discovery: {
            policy: function () {
              return 'dc1'
            },
          },
        }),
      ).status().policy,
    ).toBe('custom')
  })
})

describe('MultiClusterKafka.waitForActive before connect()', () => {
  it('waitForActive removes its listener when it times out', async () => {
    const dr = new MultiClusterKafka(options())
    for (let i = 0; i < 3; i++) await expect(internalsOf(dr).context.waitForActive(5)).rejects.toBeInstanceOf(NoActiveClusterError)
    expect(
      (internalsOf(dr).context as unknown as { internal: { listenerCount(e: string): number } }).internal.listenerCount('change'),
    ).toBe(0)
  })

  it('waitForActive rejects at once for an already aborted signal', async () => {
    vi.useFakeTimers()
    try {
      const dr = new MultiClusterKafka(options())
      let outcome: unknown
      void internalsOf(dr)
        .context.waitForActive(60_000, AbortSignal.abort(new Error('gone')))
        .catch((e: unknown) => {
          outcome = e
        })
      await vi.advanceTimersByTimeAsync(0)
      expect(outcome).toBeInstanceOf(NoActiveClusterError)
    } finally {
      vi.useRealTimers()
    }
  })

  it('waitForActive stops listening to its signal once it has settled', async () => {
    const dr = new MultiClusterKafka(options())
    const controller = new AbortController()
    const removed = vi.spyOn(controller.signal, 'removeEventListener')
    const error = await internalsOf(dr)
      .context.waitForActive(5, controller.signal)
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NoActiveClusterError)
    expect(removed).toHaveBeenCalledWith('abort', expect.any(Function))
  })
})

describe('MultiClusterKafka.failover before connect()', () => {
  it('rejects an unknown cluster with ERR_UNKNOWN_CLUSTER', async () => {
    const dr = new MultiClusterKafka(options())
    const error = await dr.failover('nope').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnknownClusterError)
    expect((error as KafkaDRError).code).toBe('ERR_UNKNOWN_CLUSTER')
    expect((error as KafkaDRError).cluster).toBe('nope')
  })

  it('rejects a known cluster with NotConnectedError', async () => {
    const dr = new MultiClusterKafka(options())
    const error = await dr.failover('dc2').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NotConnectedError)
    expect((error as KafkaDRError).code).toBe('ERR_NOT_CONNECTED')
    expect(dr.status().pinned).toBeUndefined()
  })
})

describe('MultiClusterKafka.disconnect before connect()', () => {
  it('resolves, and a later connect() rejects with NotConnectedError', async () => {
    const dr = new MultiClusterKafka(options())
    await expect(dr.disconnect()).resolves.toBeUndefined()
    await expect(dr.disconnect()).resolves.toBeUndefined()
    const error = await dr.connect().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NotConnectedError)
    expect((error as Error).message).toContain('create a new one')
  })
})

describe('MultiClusterKafka.producer on an unconnected client', () => {
  it('send() rejects with NotConnectedError (it does not throw synchronously)', async () => {
    const dr = new MultiClusterKafka(options())
    const producer = dr.producer()
    let sending: Promise<unknown> | undefined
    expect(() => {
      sending = producer.send({ topic: 'orders', messages: [{ value: 'x' }] })
    }).not.toThrow()
    const error = await sending!.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NotConnectedError)
    expect((error as KafkaDRError).code).toBe('ERR_NOT_CONNECTED')
    expect((error as Error).message).toBe('FailoverProducer is not connected; call connect() first')
  })

  it('sendBatch() rejects with NotConnectedError', async () => {
    const producer = new MultiClusterKafka(options()).producer()
    await expect(producer.sendBatch({ topicMessages: [{ topic: 'orders', messages: [{ value: 'x' }] }] })).rejects.toBeInstanceOf(
      NotConnectedError,
    )
  })

  it("connect() rejects with NoActiveClusterError naming each cluster's health when no cluster becomes active in time", async () => {
    const producer = new MultiClusterKafka(options()).producer({ deliveryTimeoutMs: 20 })
    const error = await producer.connect().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NoActiveClusterError)
    expect((error as KafkaDRError).retriable).toBe(true)
    expect((error as Error).message).toBe('No healthy cluster within 20 ms: dc1: unknown; dc2: unknown')
  })

  it('a disconnected producer cannot connect again', async () => {
    const producer = new MultiClusterKafka(options()).producer()
    await producer.disconnect()
    await expect(producer.connect()).rejects.toBeInstanceOf(NotConnectedError)
    await expect(producer.send({ topic: 'orders', messages: [] })).rejects.toBeInstanceOf(NotConnectedError)
  })

  it('rejects transactions', async () => {
    const producer = new MultiClusterKafka(options()).producer()
    const error = await producer.transaction().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KafkaDRError)
    expect((error as Error).message).toContain('does not support transactions')
    expect(error).toMatchObject({ name: 'UnsupportedOperationError', code: 'ERR_UNSUPPORTED' })
  })

  it.each([
    ['deliveryTimeoutMs', { deliveryTimeoutMs: 0 }, 'Expected `producer.deliveryTimeoutMs` to be an integer ≥ 1, got 0'],
    ['attemptTimeoutMs', { attemptTimeoutMs: 1.5 }, 'Expected `producer.attemptTimeoutMs` to be an integer, got 1.5'],
    ['maxAttempts', { maxAttempts: '3' }, "Expected `producer.maxAttempts` to be an integer, got '3'"],
  ])('rejects an invalid %s synchronously', (_name, config, message) => {
    const dr = new MultiClusterKafka(options())
    const error = thrown(() => dr.producer(config as never))
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect((error as Error).message).toBe(message)
  })
})
