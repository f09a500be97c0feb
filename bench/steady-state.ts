/**
 * What a failover consumer costs while nothing fails, against a raw kafkajs consumer of the same
 * topic in the same run: TCP connections to the brokers, requests sent per second while idle
 * (heartbeats, fetch long-polls, metadata, the checkpoint readers' polls), and heap. Each client
 * runs alone, one after the other, for `IDLE_MS` after it has joined its group.
 *
 * Connections are counted from the process' own sockets (`/proc/self/fd` against
 * `/proc/net/tcp`, Linux only); requests by kafkajs' `network.request` instrumentation on every
 * kafkajs client involved (the failover consumer's sessions, checkpoint readers and producers,
 * and the client's probes and admins, reached through the kafkajs instances given to it).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import kafkajs from 'kafkajs'
import { MultiClusterKafka } from '../src/index.js'
import { bed, createTopic, type Row } from './common.js'

const IDLE_MS = 20_000

/** A kafkajs client whose every producer, consumer and admin counts its requests. */
function countingKafka(cluster: 'dc1' | 'dc2', counter: { requests: number }): kafkajs.Kafka {
  const kafka = new kafkajs.Kafka({ clientId: 'bench-steady', brokers: bed.brokers[cluster]!, logLevel: kafkajs.logLevel.NOTHING })
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- producer, consumer and admin each type their event names
  const count = <T extends { on: (event: any, listener: () => void) => unknown; events: { REQUEST: string } }>(client: T): T => {
    client.on(client.events.REQUEST, () => {
      counter.requests++
    })
    return client
  }
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with kafka as `this` below
  const { producer, consumer, admin } = kafka
  kafka.producer = (config) => count(producer.call(kafka, config))
  kafka.consumer = (config) => count(consumer.call(kafka, config))
  kafka.admin = (config) => count(admin.call(kafka, config))
  return kafka
}

/** Established TCP connections of this process to the bed's brokers. */
function brokerConnections(): number {
  const ports = new Set(
    Object.values(bed.brokers)
      .flat()
      .map((b) => Number(b.split(':').at(-1))),
  )
  const inodes = new Set<string>()
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols.length < 10 || cols[3] !== '01') continue // 01: ESTABLISHED
      if (ports.has(parseInt(cols[2]!.split(':')[1]!, 16))) inodes.add(cols[9]!)
    }
  }
  let count = 0
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))
      if (match && inodes.has(match[1]!)) count++
    } catch {
      /* closed meanwhile */
    }
  }
  return count
}

function heapMb(): number {
  ;(globalThis as { gc?: () => void }).gc?.()
  return process.memoryUsage().heapUsed / 1e6
}

interface Cost {
  connections: number
  requestsPerSecond: number
  heapMb: number
}

async function measure(run: (counter: { requests: number }) => Promise<() => Promise<void>>): Promise<Cost> {
  const heapBefore = heapMb()
  const counter = { requests: 0 }
  const stop = await run(counter)
  await delay(3000) // joined, standbys up, readers polling
  const before = counter.requests
  await delay(IDLE_MS)
  const cost = {
    connections: brokerConnections(),
    requestsPerSecond: (counter.requests - before) / (IDLE_MS / 1000),
    heapMb: heapMb() - heapBefore,
  }
  await stop()
  return cost
}

/** Rows: raw kafkajs consumer against a failover consumer, idle. */
export async function benchSteadyState(): Promise<Row[]> {
  const topic = `bench-steady-${randomBytes(3).toString('hex')}`
  await createTopic('dc1', topic, 6)
  await createTopic('dc2', topic, 6)
  const raw = await measure(async (counter) => {
    const consumer = countingKafka('dc1', counter).consumer({ groupId: `bench-steady-raw-${randomBytes(3).toString('hex')}` })
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({ eachMessage: async () => {} })
    return () => consumer.disconnect()
  })
  const dr = await measure(async (counter) => {
    const client = new MultiClusterKafka({
      clusters: { dc1: { kafka: countingKafka('dc1', counter), priority: 1 }, dc2: { kafka: countingKafka('dc2', counter), priority: 2 } },
      localCluster: 'dc1',
    })
    await client.connect()
    const consumer = client.consumer({ groupId: `bench-steady-dr-${randomBytes(3).toString('hex')}` })
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({ eachMessage: async () => {} })
    return async () => {
      await consumer.disconnect()
      await client.disconnect()
    }
  })
  const setting = `idle, 6 partitions, default settings, ${IDLE_MS / 1000} s`
  return [
    {
      measure: `consumer TCP connections to the brokers (${setting})`,
      raw: String(raw.connections),
      wrapper: String(dr.connections),
      ratio: (dr.connections / raw.connections).toFixed(1),
      goal: 'measured',
    },
    {
      measure: `consumer requests per second (${setting})`,
      raw: raw.requestsPerSecond.toFixed(1),
      wrapper: dr.requestsPerSecond.toFixed(1),
      ratio: (dr.requestsPerSecond / raw.requestsPerSecond).toFixed(1),
      goal: 'measured',
    },
    {
      measure: `consumer heap growth, MB (${setting}${(globalThis as { gc?: unknown }).gc ? '' : '; no --expose-gc, rough'})`,
      raw: raw.heapMb.toFixed(1),
      wrapper: dr.heapMb.toFixed(1),
      ratio: (dr.heapMb / Math.max(0.1, raw.heapMb)).toFixed(1),
      goal: 'measured',
    },
  ]
}
