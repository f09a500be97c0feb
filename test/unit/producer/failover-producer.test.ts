/**
 * FailoverProducer's delivery loop over a fake context and a fake kafkajs producer: how attempts
 * are counted against maxAttempts and what a rejection holds. Whether failover works on real
 * clusters is shown by the integration drills.
 */
import kafkajs, { type Kafka, type Producer, type ProducerRecord, type RecordMetadata } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { ClusterConnection, type FailoverContext } from '../../../src/cluster/index.js'
import { FailoverProducer } from '../../../src/producer/failover-producer.js'
import { NotConnectedError, SendFailedError, TimeoutError } from '../../../src/index.js'

const RECORD: ProducerRecord = { topic: 'orders', messages: [{ key: 'k', value: 'v' }] }
const ACK: RecordMetadata[] = [{ topicName: 'orders', partition: 0, errorCode: 0 }]

/** One cluster, dc1, always active, whose health and send outcome the test sets. */
function fakeCluster(send: () => Promise<RecordMetadata[]>): { ctx: FailoverContext; health: { value: 'up' | 'down' } } {
  const health: { value: 'up' | 'down' } = { value: 'up' }
  const producer = {
    events: {},
    connect: async () => {},
    disconnect: async () => {},
    send,
    isIdempotent: () => false,
  } as unknown as Producer
  const cluster = { name: 'dc1', priority: 1, kafka: { producer: () => producer } } as unknown as ClusterConnection
  const ctx = {
    clusters: [cluster],
    activeCluster: 'dc1',
    connection: () => cluster,
    waitForActive: async () => 'dc1',
    onActiveChange: () => () => {},
    onClusterUp: () => () => {},
    onClusterDown: () => () => {},
    healthOf: () => health.value,
    reportError: () => {},
    addParticipant: () => () => {},
  } as unknown as FailoverContext
  return { ctx, health }
}

/** A refused connection, after the few ms a real one takes. */
function refused(): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new kafkajs.KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:1')), 5))
}

describe('FailoverProducer: attempts and deadline', () => {
  it('stops after maxAttempts failures on a cluster held up', async () => {
    let sends = 0
    const { ctx } = fakeCluster(() => {
      sends++
      return refused()
    })
    const producer = new FailoverProducer(ctx, { deliveryTimeoutMs: 10_000, maxAttempts: 3 }, undefined)
    await producer.connect()
    const started = Date.now()
    const error = await producer.send(RECORD).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SendFailedError)
    expect(sends).toBe(3)
    expect((error as SendFailedError).errors).toHaveLength(3)
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('does not count attempts on a cluster held down: keeps trying until deliveryTimeoutMs', async () => {
    let sends = 0
    const { ctx, health } = fakeCluster(() => {
      sends++
      return refused()
    })
    health.value = 'down'
    const deliveryTimeoutMs = 1500
    const producer = new FailoverProducer(ctx, { deliveryTimeoutMs, maxAttempts: 1 }, undefined)
    await producer.connect()
    const started = Date.now()
    const error = (await producer.send(RECORD).catch((e: unknown) => e)) as SendFailedError
    expect(error).toBeInstanceOf(SendFailedError)
    expect(Date.now() - started).toBeGreaterThanOrEqual(deliveryTimeoutMs)
    expect(sends).toBeGreaterThan(1)
    expect(error.errors).toHaveLength(sends)
    // No attempt was started at the deadline only to time out: every error is the cluster's own.
    for (const e of error.errors) expect(e).toBeInstanceOf(kafkajs.KafkaJSConnectionError)
    expect(error.errors.some((e) => e instanceof TimeoutError)).toBe(false)
    expect(error.cause).toBe(error.errors.at(-1))
  })

  it('delivers once a cluster held down answers again, after more failures than maxAttempts', async () => {
    let sends = 0
    const { ctx, health } = fakeCluster(() => (++sends <= 4 ? refused() : Promise.resolve(ACK)))
    health.value = 'down'
    const producer = new FailoverProducer(ctx, { deliveryTimeoutMs: 10_000, maxAttempts: 2 }, undefined)
    await producer.connect()
    await expect(producer.send(RECORD)).resolves.toEqual(ACK)
    expect(sends).toBe(5)
  })
})

describe('FailoverProducer: many sends waiting out an outage', () => {
  it('warns of no listener leak: each waiting send listens for disconnect() on the same signal', async () => {
    const warnings: Error[] = []
    const onWarning = (w: Error): void => {
      warnings.push(w)
    }
    process.on('warning', onWarning)
    try {
      let sends = 0
      const { ctx, health } = fakeCluster(() => (++sends <= 40 ? refused() : Promise.resolve(ACK)))
      health.value = 'down'
      const producer = new FailoverProducer(ctx, { deliveryTimeoutMs: 10_000 }, undefined)
      await producer.connect()
      await expect(Promise.all(Array.from({ length: 20 }, () => producer.send(RECORD)))).resolves.toHaveLength(20)
      // Node emits the warning on the next tick.
      await new Promise((r) => setImmediate(r))
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([])
    } finally {
      process.off('warning', onWarning)
    }
  })
})

/** dc1 as a real ClusterConnection over a fake kafkajs client whose sends and disconnects the test sets. */
function clusterWith(send: () => Promise<RecordMetadata[]>, disconnect: () => Promise<void>): FailoverContext {
  const producer = { events: {}, connect: async () => {}, disconnect, send, isIdempotent: () => false } as unknown as Producer
  const cluster = new ClusterConnection('dc1', 1, { producer: () => producer, admin: () => ({}) } as unknown as Kafka)
  return { ...fakeCluster(send).ctx, clusters: [cluster], connection: () => cluster }
}

describe('FailoverProducer: disconnect', () => {
  it('on a hung cluster: ends within teardownTimeoutMs, and the send in flight rejects with a typed error', async () => {
    const ctx = clusterWith(
      () => new Promise(() => {}),
      () => new Promise(() => {}),
    )
    const producer = new FailoverProducer(ctx, { teardownTimeoutMs: 300 }, undefined)
    await producer.connect()
    const sending = producer.send(RECORD).catch((e: unknown) => e)
    await new Promise((r) => setTimeout(r, 20))
    const started = Date.now()
    await producer.disconnect()
    const took = Date.now() - started
    expect(took).toBeGreaterThanOrEqual(290)
    expect(took).toBeLessThan(600)
    const error = (await sending) as SendFailedError
    expect(error).toBeInstanceOf(SendFailedError)
    expect(error.errors.at(-1)).toBeInstanceOf(NotConnectedError)
    await expect(producer.send(RECORD)).rejects.toBeInstanceOf(NotConnectedError)
  })

  it('waits for a send in flight that is acknowledged within the bound', async () => {
    const ctx = clusterWith(
      () => new Promise((resolve) => setTimeout(() => resolve(ACK), 100)),
      async () => {},
    )
    const producer = new FailoverProducer(ctx, { teardownTimeoutMs: 2000 }, undefined)
    await producer.connect()
    const sending = producer.send(RECORD)
    await producer.disconnect()
    await expect(sending).resolves.toEqual(ACK)
  })

  it('a second call resolves with the first; a disconnect before connect() finished leaves it rejected', async () => {
    let disconnects = 0
    const ctx = clusterWith(
      async () => ACK,
      async () => {
        disconnects++
      },
    )
    const producer = new FailoverProducer(ctx, {}, undefined)
    const connecting = producer.connect()
    const first = producer.disconnect()
    expect(producer.disconnect()).toBe(first)
    await first
    await expect(connecting).rejects.toBeInstanceOf(NotConnectedError)
    expect(disconnects).toBe(1)
  })
})

describe('FailoverProducer: producer:resent', () => {
  it('is not emitted for a send retried and acknowledged on the cluster where it failed', async () => {
    let sends = 0
    const { ctx } = fakeCluster(() => (++sends === 1 ? refused() : Promise.resolve(ACK)))
    const producer = new FailoverProducer(ctx, { deliveryTimeoutMs: 10_000 }, undefined)
    const resent: unknown[] = []
    const off = producer.on('producer:resent', (e) => resent.push(e))
    await producer.connect()
    await expect(producer.send(RECORD)).resolves.toEqual(ACK)
    expect(sends).toBe(2)
    expect(resent).toEqual([])
    off()
  })
})
