/**
 * FailoverConsumer without brokers (issue #24). `consumer.on('consumer.group_join', ...)` and its
 * remover: the remover detaches the listener from every session, those started after `on()`
 * (standbys, sessions after a switch) too, and a second call of it removes nothing else (the
 * sessions are stand-ins holding a fake kafkajs consumer, with ConsumerSession's own attach and
 * detach). `connect()` waits for an active cluster as long as the client's `connectTimeoutMs`.
 */
import kafkajs from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { MultiClusterKafka } from '../../../src/client/multi-cluster-kafka.js'
import type { FailoverConsumer } from '../../../src/consumer/failover-consumer.js'
import { ConsumerSession } from '../../../src/consumer/session/consumer-session.js'
import type { InstrumentationListener } from '../../../src/consumer/session/types.js'

/** A kafkajs consumer's instrumentation events, and nothing else. */
function fakeConsumer() {
  const handlers = new Map<string, Array<(event: unknown) => void>>()
  return {
    on: (event: string, handler: (event: unknown) => void) => {
      handlers.set(event, [...(handlers.get(event) ?? []), handler])
      return () => {
        handlers.set(
          event,
          (handlers.get(event) ?? []).filter((h) => h !== handler),
        )
      }
    },
    emit: (event: string, payload: unknown) => {
      for (const h of handlers.get(event) ?? []) h({ payload })
    },
  }
}

type FakeSession = Pick<ConsumerSession, 'attach' | 'detach'> & { consumer: ReturnType<typeof fakeConsumer> }

function fakeSession(): FakeSession {
  const session = Object.create(ConsumerSession.prototype) as FakeSession
  Object.assign(session, { consumer: fakeConsumer(), attached: new Map() })
  return session
}

/** The consumer's sessions of its one lane, and the listeners a session starting now would attach. */
function internals(consumer: FailoverConsumer): { sessions: Map<string, unknown>; listeners: readonly InstrumentationListener[] } {
  // The lane's session registry keeps its sessions by cluster.
  const c = consumer as unknown as {
    lanes: Array<{ switching: { sessions: { sessions: Map<string, unknown> } } }>
    listeners: InstrumentationListener[]
  }
  return { sessions: c.lanes[0]!.switching.sessions.sessions, listeners: c.listeners }
}

/** What ConsumerSession.start does with the listeners it is given. */
function start(session: FakeSession, listeners: readonly InstrumentationListener[]): void {
  for (const entry of listeners) session.attach(entry)
}

function consumer(): FailoverConsumer {
  const dr = new MultiClusterKafka({
    clusters: {
      dc1: { kafka: { brokers: ['127.0.0.1:1'], logLevel: kafkajs.logLevel.NOTHING }, priority: 1 },
      dc2: { kafka: { brokers: ['127.0.0.1:1'], logLevel: kafkajs.logLevel.NOTHING }, priority: 2 },
    },
  })
  return dr.consumer({ groupId: 'g' })
}

describe('FailoverConsumer.on for kafkajs events', () => {
  it('the remover detaches the listener from sessions started after on(), and a second call removes nothing else', () => {
    const c = consumer()
    const { sessions, listeners } = internals(c)
    const before = fakeSession()
    start(before, listeners)
    sessions.set('dc1', before)
    const seen: string[] = []
    const offA = c.on('consumer.group_join', () => {
      seen.push('a')
    })
    const offB = c.on('consumer.group_join', () => {
      seen.push('b')
    })
    // A standby (or the session after a switch) starts after on().
    const after = fakeSession()
    start(after, internals(c).listeners)
    sessions.set('dc2', after)

    offA()
    before.consumer.emit('consumer.group_join', {})
    after.consumer.emit('consumer.group_join', {})
    expect(seen).toEqual(['b', 'b'])

    offA()
    const later = fakeSession()
    start(later, internals(c).listeners)
    later.consumer.emit('consumer.group_join', {})
    after.consumer.emit('consumer.group_join', {})
    expect(seen).toEqual(['b', 'b', 'b', 'b'])

    offB()
    before.consumer.emit('consumer.group_join', {})
    after.consumer.emit('consumer.group_join', {})
    expect(seen).toHaveLength(4)
  })

  it("attaches a listener to a session once, even when on() and the session's start both attach it", () => {
    const c = consumer()
    const { sessions, listeners } = internals(c)
    const session = fakeSession()
    sessions.set('dc1', session)
    let calls = 0
    c.on('consumer.group_join', () => {
      calls++
    })
    start(session, listeners)
    session.consumer.emit('consumer.group_join', {})
    expect(calls).toBe(1)
  })
})

describe('FailoverConsumer.connect without an active cluster', () => {
  it("waits the client's connectTimeoutMs, not a fixed 30 s", async () => {
    const dr = new MultiClusterKafka({
      clusters: { dc1: { kafka: { brokers: ['127.0.0.1:1'], logLevel: kafkajs.logLevel.NOTHING } } },
      connectTimeoutMs: 200,
    })
    const connecting = dr
      .consumer({ groupId: 'g' })
      .connect()
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    const outcome = await Promise.race([connecting, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 1500))])
    expect(outcome).toMatchObject({ code: 'ERR_NO_ACTIVE_CLUSTER', message: expect.stringContaining('within 200 ms') })
  })
})
