/**
 * Shutting down in the middle of an outage, as a service does when an orchestrator replaces it:
 * a producer sending every 5 ms and a consumer running, both through kafkajs-dr with default
 * settings; a cluster is killed -9 or hung (SIGSTOP), and 300 ms later the service shuts down the
 * usual way: `consumer.disconnect()`, `producer.disconnect()`, `dr.disconnect()`. The whole
 * shutdown must take at most 5 s, every send must end (acknowledged or rejected with a typed
 * error), and the consumer must say whether its last checkpoints were written.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { NotConnectedError, SendFailedError, type ConsumerDisconnectedEvent } from '../../src/index.js'
import { drClient } from './drill.js'
import { bed, createTopic, fullSuite, unique } from './helpers.js'

type Cluster = 'dc1' | 'dc2'
type Fault = 'kill' | 'pause'

/** The processes a test faulted, restored after it whatever happened. */
let faulted: Array<{ cluster: Cluster; fault: Fault }> = []

async function inject(fault: Fault, clusters: readonly Cluster[]): Promise<void> {
  for (const cluster of clusters) {
    faulted.push({ cluster, fault })
    if (fault === 'kill') await bed().kill(cluster)
    else bed().pause(cluster)
  }
}

async function restore(): Promise<void> {
  const list = faulted
  faulted = []
  for (const { cluster, fault } of list) {
    if (fault === 'pause') bed().resume(cluster)
  }
  // start() waits until each cluster serves again: a broker woken from SIGSTOP needs a moment too.
  await Promise.all(list.map((f) => bed().start(f.cluster)))
}

/** A running service: a client, a producer sending every 5 ms, a consumer. */
async function startService() {
  const topic = unique('shut')
  await createTopic('dc1', topic, 3)
  await createTopic('dc2', topic, 3)
  // Kafka's and kafkajs-dr's default settings, as a new user has them.
  const dr = drClient({ health: undefined, discovery: { policy: 'priority', failbackDelayMs: 30_000 } })
  await dr.connect()
  const producer = dr.producer()
  await producer.connect()
  const consumer = dr.consumer({ groupId: unique('g-shut') })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  let handled = 0
  let onHandled: (() => void) | undefined
  await consumer.run({
    eachMessage: async () => {
      handled++
      onHandled?.()
    },
  })
  const disconnected: ConsumerDisconnectedEvent[] = []
  consumer.on('consumer:disconnected', (e) => disconnected.push(e))

  const sends: Array<Promise<'acked' | 'rejected'>> = []
  const unexpected: unknown[] = []
  let sending = true
  const loop = (async () => {
    for (let i = 0; sending; i++) {
      sends.push(
        producer.send({ topic, messages: [{ key: `k${i}`, value: `v${i}` }] }).then(
          () => 'acked' as const,
          (error: unknown) => {
            if (!(error instanceof SendFailedError) && !(error instanceof NotConnectedError)) unexpected.push(error)
            return 'rejected' as const
          },
        ),
      )
      await delay(5)
    }
  })()
  const stopSending = async (): Promise<void> => {
    sending = false
    await loop
  }
  /**
   * Resolves as a record is processed after a checkpoint write to dc1 succeeded, so that the
   * consumer holds a position no cluster has yet. A fault injected at once (no timer runs in
   * between: the next checkpoint tick is about a second away) leaves that position unwritten;
   * otherwise, a tick landing after the last record processed before the fault wrote everything
   * and the last write had nothing left to do (`complete`, honestly).
   */
  const positionAheadOfCheckpoints = async (): Promise<void> => {
    await new Promise<void>((resolve) => {
      const off = consumer.on('checkpoint:written', (e) => {
        if (e.cluster === 'dc1') {
          off()
          resolve()
        }
      })
    })
    await new Promise<void>((resolve) => {
      onHandled = () => {
        onHandled = undefined
        resolve()
      }
    })
  }
  return { dr, producer, consumer, sends, unexpected, disconnected, stopSending, positionAheadOfCheckpoints, handled: () => handled }
}

type Service = Awaited<ReturnType<typeof startService>>

/** Shuts the service down in the usual order; resolves with each call's time. */
async function shutDownInOrder(service: Service): Promise<{ consumer: number; producer: number; client: number; total: number }> {
  const started = Date.now()
  // The application stops calling send() as its shutdown begins; sends in flight stay in flight.
  void service.stopSending()
  await service.consumer.disconnect()
  const consumerAt = Date.now()
  await service.producer.disconnect()
  const producerAt = Date.now()
  await service.dr.disconnect()
  const end = Date.now()
  return { consumer: consumerAt - started, producer: producerAt - consumerAt, client: end - producerAt, total: end - started }
}

describe.skipIf(!bed().canInjectFaults)('shutting down during an outage', () => {
  afterEach(async () => {
    await restore()
  })

  afterAll(async () => {
    await bed().up()
  })

  // The per-change suite shuts down during each fault of the active cluster and of both; the full
  // suite adds the standby's and both hung (10-13 s each).
  const quick: Array<[string, Fault, Cluster[]]> = [
    ['kill -9 of the active cluster', 'kill', ['dc1']],
    ['the active cluster hung (SIGSTOP)', 'pause', ['dc1']],
    ['kill -9 of both', 'kill', ['dc1', 'dc2']],
  ]
  const cases: Array<[string, Fault, Cluster[]]> = fullSuite()
    ? [
        ...quick,
        ['kill -9 of the standby', 'kill', ['dc2']],
        ['the standby hung (SIGSTOP)', 'pause', ['dc2']],
        ['both hung (SIGSTOP)', 'pause', ['dc1', 'dc2']],
      ]
    : quick

  it.each(cases)(
    '%s: consumer, producer and client disconnect within 5 s in all; every send ends',
    async (label, fault, clusters) => {
      const service = await startService()
      // Let the standby sessions join and a checkpoint or two be written.
      await delay(3000)
      await service.positionAheadOfCheckpoints()
      await inject(fault, clusters)
      await delay(300)
      const times = await shutDownInOrder(service)
      const outcomes = await Promise.all(service.sends)
      const [event] = service.disconnected
      console.log(
        `[shutdown] ${label}: consumer.disconnect ${times.consumer} ms, producer.disconnect ${times.producer} ms, dr.disconnect ${times.client} ms, total ${times.total} ms; ` +
          `sends ${outcomes.length} (acked ${outcomes.filter((o) => o === 'acked').length}, rejected ${outcomes.filter((o) => o === 'rejected').length}); ` +
          `last checkpoint ${JSON.stringify(event?.finalCheckpoint)}`,
      )
      expect(times.total).toBeLessThanOrEqual(5000)
      expect(service.unexpected).toEqual([])
      expect(service.disconnected).toHaveLength(1)
      const final = event!.finalCheckpoint
      if (!clusters.includes('dc1')) {
        // The active cluster answers: it holds every position, from this last write or (nothing was
        // left to write: a tick took the last ones while the standby was already down) from before.
        expect(final.failedClusters).not.toContain('dc1')
        if (!final.complete) expect(final.writtenTo).toContain('dc1')
      } else {
        // Nothing can be written to a cluster that is dead or hung.
        for (const cluster of clusters) expect(final.writtenTo).not.toContain(cluster)
        // A position was left unwritten when dc1 failed (positionAheadOfCheckpoints): with both
        // gone nobody can have taken it (with dc1 alone gone, dc2 may have, and complete is true).
        if (clusters.length === 2) expect(final.complete).toBe(false)
      }
    },
    120_000,
  )

  it('concurrent calls at the start of a switch (kill -9 of the active cluster) end within 5 s; twice is the same', async () => {
    const service = await startService()
    await delay(3000)
    const switching = new Promise<void>((resolve) => service.dr.once('failover:start', () => resolve()))
    await inject('kill', ['dc1'])
    await switching
    const started = Date.now()
    void service.stopSending()
    const calls = [service.consumer.disconnect(), service.producer.disconnect(), service.dr.disconnect()]
    expect(service.consumer.disconnect()).toBe(calls[0])
    expect(service.producer.disconnect()).toBe(calls[1])
    expect(service.dr.disconnect()).toBe(calls[2])
    await Promise.all(calls)
    const took = Date.now() - started
    await Promise.all(service.sends)
    console.log(`[shutdown] concurrent, during the switch: ${took} ms`)
    expect(took).toBeLessThanOrEqual(5000)
    expect(service.unexpected).toEqual([])
  }, 120_000)

  it('disconnect() before connect() finished: connect rejects, nothing is left running', async () => {
    const dr = drClient()
    const connecting = dr.connect()
    await dr.disconnect()
    await expect(connecting).rejects.toBeInstanceOf(NotConnectedError)
    await expect(dr.connect()).rejects.toBeInstanceOf(NotConnectedError)

    const live = drClient()
    await live.connect()
    const consumer = live.consumer({ groupId: unique('g-early') })
    const consumerConnecting = consumer.connect()
    await consumer.disconnect()
    await expect(consumerConnecting).rejects.toBeInstanceOf(NotConnectedError)
    const producer = live.producer()
    const producerConnecting = producer.connect()
    await producer.disconnect()
    await expect(producerConnecting).rejects.toBeInstanceOf(NotConnectedError)
    await live.disconnect()
  })
})
