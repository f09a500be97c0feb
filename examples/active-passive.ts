/**
 * Active-passive service: one producer and one consumer group that work on dc1 while it is up,
 * move to dc2 when it fails, and come back when it returns. The example prints the events an
 * operator would watch (`cluster:down`, `failover:start`, `failover:complete`, `failback`,
 * `consumer:moved`) and, at the end, what it sent and consumed where.
 *
 *   npm run bed:up                                  # dc1 and dc2 on 127.0.0.1, MirrorMaker 2 both ways
 *   npx tsx examples/active-passive.ts              # runs 60 s: kill dc1 meanwhile to see a failover
 *   npx tsx examples/active-passive.ts --drill      # forces the switch itself: dr.failover('dc2'), then dr.unpin()
 *
 * With the bed, `kill -9 $(cat .bed/dc1.pid)` kills dc1, and `npm run bed:up` brings it back.
 * DURATION_S sets how long it runs; DC1_BROKERS / DC2_BROKERS (comma-separated host:port) point
 * it at other clusters.
 *
 * It imports the library by its package name, as your code will. In this repository
 * `npx tsx` resolves that name to the sources through tsconfig.json's `paths` (no build needed);
 * without that tsconfig it resolves through the package's own `exports` to dist/, which
 * `npm run build` makes.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import kafkajs from 'kafkajs'
import { MultiClusterKafka } from 'kafkajs-dr'

const { logLevel } = kafkajs

/** Options of {@link activePassive}. */
export interface ActivePassiveOptions {
  brokers: { dc1: string[]; dc2: string[] }
  topic: string
  /** @default `${topic}-service` */
  groupId?: string
  /** How long the producer sends, in ms. */
  durationMs: number
  /** Records sent a second. @default 20 */
  ratePerSec?: number
  /**
   * Forces a planned switch instead of waiting for a real fault: `dr.failover('dc2')` at
   * `failoverAtMs`, `dr.unpin()` (the priority policy then fails back to dc1) at `failbackAtMs`.
   */
  drill?: { failoverAtMs: number; failbackAtMs: number }
}

/** What the service did. */
export interface ActivePassiveResult {
  /** Keys of the records a cluster acknowledged. */
  acknowledged: string[]
  /** Every delivery to the handler, in order. */
  consumed: Array<{ key: string; cluster: string; originCluster: string }>
  /** Acknowledged records never consumed (0 expected). */
  missing: string[]
  /** Every change of the active cluster. */
  switches: Array<{ from: string | undefined; to: string; kind: string; durationMs: number }>
}

/** Runs the service for `durationMs`, then waits for every acknowledged record to be consumed. */
export async function activePassive(options: ActivePassiveOptions): Promise<ActivePassiveResult> {
  const { brokers, topic, durationMs, drill } = options
  const groupId = options.groupId ?? `${topic}-service`
  const kafka = (name: 'dc1' | 'dc2') => ({ clientId: 'active-passive', brokers: brokers[name], logLevel: logLevel.WARN })
  const dr = new MultiClusterKafka({
    // Lower priority is preferred: dc1 is active while it is up.
    clusters: { dc1: { kafka: kafka('dc1'), priority: 1 }, dc2: { kafka: kafka('dc2'), priority: 2 } },
    localCluster: 'dc1',
    // Fail back once dc1 has been up for 5 s (the default, 30 s, rides out a flapping cluster).
    discovery: { policy: 'priority', failbackDelayMs: 5000 },
  })
  const switches: ActivePassiveResult['switches'] = []
  const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 23)} ${line}`)
  dr.on('cluster:down', (e) => log(`cluster:down      ${e.cluster} (${e.error?.message ?? 'no answer'})`))
  dr.on('cluster:up', (e) => log(`cluster:up        ${e.cluster}`))
  dr.on('failover:start', (e) => log(`failover:start    ${e.from ?? '-'} -> ${e.to} (${e.kind}: ${e.reason})`))
  dr.on('failover:complete', (e) => {
    switches.push({ from: e.from, to: e.to, kind: e.kind, durationMs: e.durationMs })
    log(`failover:complete now on ${e.to} after ${e.durationMs} ms`)
  })
  dr.on('failover:failed', (e) => log(`failover:failed   ${e.to}: ${e.error.message}`))
  dr.on('failback', (e) => log(`failback          back on ${e.to}`))

  await createTopic(dr, topic, 3)
  await dr.connect()
  log(`connected; active cluster ${dr.activeCluster}`)

  const producer = dr.producer()
  const consumer = dr.consumer({ groupId })
  consumer.on('consumer:moved', (e) => log(`consumer:moved    ${e.from ?? '-'} -> ${e.to} (${e.reason}, ${e.durationMs} ms)`))
  const acknowledged: string[] = []
  const consumed: ActivePassiveResult['consumed'] = []
  const seen = new Set<string>()
  try {
    await producer.connect()
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({
      // `topic` is the logical topic; `cluster` where the record was read, `originCluster` where
      // it was first written (dc2 for records sent while dc2 was active).
      eachMessage: async ({ message, cluster, originCluster }) => {
        const key = message.key!.toString()
        consumed.push({ key, cluster, originCluster })
        seen.add(key)
      },
    })

    const started = Date.now()
    const sending = (async () => {
      const everyMs = 1000 / (options.ratePerSec ?? 20)
      for (let i = 0; Date.now() - started < durationMs; i++) {
        const key = `order-${i}`
        try {
          // Resolves once a cluster acknowledged it; across a switch it is re-sent to the new active cluster.
          await producer.send({ topic, messages: [{ key, value: JSON.stringify({ id: i, at: Date.now() }) }] })
          acknowledged.push(key)
        } catch (error) {
          // SendFailedError: no cluster took it within deliveryTimeoutMs. Nothing is dropped silently.
          log(`send of ${key} failed: ${(error as Error).message}`)
        }
        await delay(everyMs)
      }
    })()
    const ticker = setInterval(() => {
      const s = dr.status()
      log(
        `status: active ${s.active}, ${s.clusters.map((c) => `${c.name} ${c.health}`).join(', ')}; sent ${acknowledged.length}, consumed ${consumed.length}`,
      )
    }, 5000)
    try {
      if (drill) {
        await delay(drill.failoverAtMs - (Date.now() - started))
        log("drill: dr.failover('dc2')")
        await dr.failover('dc2', { reason: 'example drill' }) // pinned to dc2 until unpin()
        await delay(drill.failbackAtMs - (Date.now() - started))
        log('drill: dr.unpin()')
        dr.unpin() // the priority policy chooses again: dc1, up for longer than failbackDelayMs
      }
      await sending
    } finally {
      clearInterval(ticker)
    }

    // Every acknowledged record is consumed, wherever it was written.
    const deadline = Date.now() + 30_000
    while (acknowledged.some((key) => !seen.has(key)) && Date.now() < deadline) await delay(100)
    const missing = acknowledged.filter((key) => !seen.has(key))
    const where = new Map<string, number>()
    for (const r of consumed)
      where.set(`${r.cluster} (written in ${r.originCluster})`, (where.get(`${r.cluster} (written in ${r.originCluster})`) ?? 0) + 1)
    log(
      `acknowledged ${acknowledged.length}, consumed ${consumed.length} (${consumed.length - seen.size} duplicates), missing ${missing.length}`,
    )
    for (const [place, n] of where) log(`  consumed on ${place}: ${n}`)
    return { acknowledged, consumed, missing, switches }
  } finally {
    // The usual order: consumer, producer, client. Each is bounded by teardownTimeoutMs.
    await consumer.disconnect()
    await producer.disconnect()
    await dr.disconnect()
  }
}

/**
 * Creates the topic on every cluster (where it is missing), before the service starts: then each
 * cluster has the copy the consumer reads once it becomes active.
 */
async function createTopic(dr: MultiClusterKafka, topic: string, numPartitions: number): Promise<void> {
  for (const cluster of ['dc1', 'dc2']) {
    const admin = dr.kafka(cluster).admin()
    try {
      await admin.connect()
      await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true })
    } catch (error) {
      // A cluster that is down at start gets the topic from the producer's first send there.
      console.warn(`could not create ${topic} on ${cluster}: ${(error as Error).message}`)
    } finally {
      await admin.disconnect()
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const brokers = {
    dc1: (process.env.DC1_BROKERS ?? '127.0.0.1:19092').split(','),
    dc2: (process.env.DC2_BROKERS ?? '127.0.0.1:29092').split(','),
  }
  const drill = process.argv.includes('--drill')
  const durationMs = Number(process.env.DURATION_S ?? (drill ? 25 : 60)) * 1000
  if (!drill)
    console.log('Kill dc1 while this runs to see a failover (with the bed: kill -9 $(cat .bed/dc1.pid); npm run bed:up brings it back).')
  activePassive({
    brokers,
    topic: 'active-passive-orders',
    durationMs,
    ...(drill ? { drill: { failoverAtMs: durationMs * 0.3, failbackAtMs: durationMs * 0.65 } } : {}),
  })
    .then((result) => {
      if (result.missing.length > 0) process.exitCode = 1
    })
    .catch((error: unknown) => {
      console.error(error)
      process.exitCode = 1
    })
}
