/**
 * One instance of the soak's service, a separate process as in production: a producer and a
 * member of the consumer group, both through kafkajs-dr with its default settings. It reports on
 * stdout, one JSON object per line: `running`; `acked` and `rejected` with the ids of each send;
 * `r` for each record handled (`{"event":"r","id":"2-17","c":"dc1"}`); `memory` every
 * `memoryEveryMs` (after a full GC when node runs with `--expose-gc`: what stays, not what waits
 * for collection); `warning` for each process warning; and `stopped` after SIGTERM.
 * SIGUSR2 stops producing (the drain): `drained` once every send under way has settled.
 * Configuration: the JSON in `DR_APP_CONFIG`.
 */
import { setTimeout as delay } from 'node:timers/promises'
import kafkajs from 'kafkajs'
import { MultiClusterKafka } from '../src/index.js'
import { internalsOf } from '../test/helpers/client-internals.js'

/** What the soak passes in `DR_APP_CONFIG`. */
export interface SoakAppConfig {
  brokers: Record<string, string[]>
  topic: string
  group: string
  /** This instance's number: the prefix of the ids it writes. */
  instance: number
  /** Records written per second by this instance, in sends of a tenth of it every 100 ms. */
  rate: number
  memoryEveryMs: number
}

/** One memory sample, in bytes, and the process' open resources and the client's listeners. */
export interface MemorySample {
  at: number
  heapUsed: number
  external: number
  arrayBuffers: number
  rss: number
  /** Active handles and requests (`process.getActiveResourcesInfo()`). */
  resources: number
  /** The same, counted by type (`TCPSocketWrap`, `Timeout`, ...). */
  resourceTypes?: Record<string, number>
  /** Listeners on the multi-cluster client, all events. */
  listeners: number
}

const config = JSON.parse(process.env.DR_APP_CONFIG ?? '{}') as SoakAppConfig
const report = (event: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(event)}\n`)
}
const gc = (globalThis as { gc?: () => void }).gc

async function main(): Promise<void> {
  // The stack says who caused it (for MaxListenersExceededWarning, who added the listener).
  process.on('warning', (w) => report({ event: 'warning', name: w.name, message: w.message, stack: w.stack, at: Date.now() }))
  const names = Object.keys(config.brokers)
  const dr = new MultiClusterKafka({
    clusters: Object.fromEntries(
      names.map((name, i) => [
        name,
        {
          kafka: { clientId: `soak-${config.instance}`, brokers: config.brokers[name]!, logLevel: kafkajs.logLevel.NOTHING },
          priority: i + 1,
        },
      ]),
    ),
    localCluster: names[0]!,
    discovery: { policy: 'priority' },
  })
  await dr.connect()
  const producer = dr.producer()
  await producer.connect()
  const consumer = dr.consumer({ groupId: config.group })
  await consumer.connect()
  await consumer.subscribe({ topics: [config.topic], fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ message, cluster }) => {
      report({ event: 'r', id: message.value!.toString(), c: cluster })
    },
  })

  let producing = true
  const sending = produce(producer, () => producing)
  process.once('SIGUSR2', () => {
    producing = false
    void sending.then(() => {
      report({ event: 'drained', at: Date.now() })
    })
  })
  const sampler = setInterval(() => {
    report({ event: 'memory', ...sample(dr) })
  }, config.memoryEveryMs)
  process.once('SIGTERM', () => {
    producing = false
    clearInterval(sampler)
    void sending
      .then(() => consumer.disconnect())
      .then(() => producer.disconnect())
      .then(() => dr.disconnect())
      .finally(() => {
        report({ event: 'stopped', at: Date.now() })
        process.exit(0)
      })
  })
  report({ event: 'running', at: Date.now() })
}

/** Sends a tenth of the rate every 100 ms, each send on its own (an outage holds several in flight). */
async function produce(producer: ReturnType<MultiClusterKafka['producer']>, producing: () => boolean): Promise<void> {
  const perSend = Math.max(1, Math.round(config.rate / 10))
  const inFlight = new Set<Promise<void>>()
  for (let seq = 0; producing(); seq += perSend) {
    const ids = Array.from({ length: perSend }, (_, i) => `${config.instance}-${seq + i}`)
    const send = producer.send({ topic: config.topic, messages: ids.map((id) => ({ key: id, value: id })) }).then(
      () => {
        report({ event: 'acked', ids, at: Date.now() })
      },
      (error: unknown) => {
        report({ event: 'rejected', ids, message: String(error), at: Date.now() })
      },
    )
    inFlight.add(send)
    void send.finally(() => inFlight.delete(send))
    await delay(100)
  }
  await Promise.all(inFlight)
}

function sample(dr: MultiClusterKafka): MemorySample {
  gc?.()
  const m = process.memoryUsage()
  const { events } = internalsOf(dr)
  const listeners = events.eventNames().reduce((n, name) => n + events.listenerCount(name), 0)
  const resources = process.getActiveResourcesInfo()
  const resourceTypes: Record<string, number> = {}
  for (const type of resources) resourceTypes[type] = (resourceTypes[type] ?? 0) + 1
  return {
    at: Date.now(),
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    rss: m.rss,
    resources: resources.length,
    resourceTypes,
    listeners,
  }
}

// Exit on a failed start: the connected client's timers would keep the process alive.
main().catch((error: unknown) => {
  report({ event: 'error', message: String(error), at: Date.now() })
  process.exit(1)
})
