/**
 * An application that commits by hand, run as a separate process by
 * consumer-manual-commit.test.ts (`npx tsx test/integration/apps/manual-commit-app.ts`).
 *
 * It consumes one logical topic through kafkajs-dr with `autoCommit: false`, keeps records in a
 * buffer, and every `flushEvery` records "flushes" the buffer (appends one line per record to
 * `out`, synchronously: once there, a record is stored) and only then commits past it. A record
 * in the buffer when the process is killed is not stored: only a later run can store it. After
 * `idleFlushMs` without records the buffer is flushed too, so the tail of the topic gets stored.
 *
 * Configuration: the JSON in `DR_APP_CONFIG` (see {@link AppConfig}); the test builds the broker
 * addresses from its bed. Progress: one JSON object per line on stdout (`running`, `buffered`,
 * `holding`, `flushed`).
 */
import { appendFileSync } from 'node:fs'
import { setTimeout as delay } from 'node:timers/promises'
import kafkajs from 'kafkajs'
import { MultiClusterKafka, type FailoverEachMessagePayload } from '../../../src/index.js'

/** What the test passes in `DR_APP_CONFIG`. */
export interface AppConfig {
  /** Bootstrap brokers of dc1 and dc2 (from the test's bed). */
  brokers: { dc1: string[]; dc2: string[] }
  topic: string
  group: string
  checkpointTopic: string
  checkpointIntervalMs: number
  /** File the flushed records are appended to: `<record value> <run>` per line. */
  out: string
  /** Name of this run in `out`. */
  run: string
  flushEvery: number
  /** Reports `buffered` each time the buffer reaches this size. */
  reportBufferedAt: number
  /**
   * Once this many records are stored, the handler that fills the buffer to `reportBufferedAt`
   * reports `holding` and never returns (the test kills the process there); -1: never.
   */
  holdAfterFlushed: number
  /** Handler time per record, in ms, so that the test can kill the process mid-stream. */
  paceMs: number
  idleFlushMs: number
}

const config = JSON.parse(process.env.DR_APP_CONFIG ?? '') as AppConfig

function report(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ...event, at: Date.now() })}\n`)
}

const quiet = kafkajs.logLevel.NOTHING
const dr = new MultiClusterKafka({
  clusters: {
    dc1: { kafka: { clientId: 'manual-commit-app', brokers: config.brokers.dc1, logLevel: quiet }, priority: 1 },
    dc2: { kafka: { clientId: 'manual-commit-app', brokers: config.brokers.dc2, logLevel: quiet }, priority: 2 },
  },
  localCluster: 'dc1',
  health: { intervalMs: 250, timeoutMs: 750, failureThreshold: 2, successThreshold: 2 },
  discovery: { policy: 'sticky' },
})
await dr.connect()
const consumer = dr.consumer({
  groupId: config.group,
  sessionTimeout: 10_000,
  heartbeatInterval: 1000,
  // Small fetches: the partitions advance in step, so a buffer and a commit span several of them.
  maxBytesPerPartition: 4096,
  checkpoint: { topic: config.checkpointTopic, intervalMs: config.checkpointIntervalMs },
})
await consumer.connect()
await consumer.subscribe({ topics: [config.topic], fromBeginning: true })

const buffer: FailoverEachMessagePayload[] = []
let flushed = 0
let lastRecordAt = Date.now()

/** Stores the buffer, then commits past every partition's last stored record. */
async function flush(): Promise<void> {
  if (buffer.length === 0) return
  const records = buffer.splice(0)
  appendFileSync(config.out, records.map((p) => `${p.message.value!.toString()} ${config.run}\n`).join(''))
  flushed += records.length
  const next = new Map(
    records.map((p) => [
      `${p.physicalTopic}\u0000${p.partition}`,
      { topic: p.physicalTopic, partition: p.partition, offset: (BigInt(p.message.offset) + 1n).toString() },
    ]),
  )
  await consumer.commitOffsets([...next.values()])
  report({ event: 'flushed', total: flushed, cluster: records[0]!.cluster })
}

await consumer.run({
  autoCommit: false,
  eachMessage: async (payload) => {
    buffer.push(payload)
    lastRecordAt = Date.now()
    if (buffer.length === config.reportBufferedAt) {
      report({ event: 'buffered', size: buffer.length, flushed })
      if (config.holdAfterFlushed >= 0 && flushed >= config.holdAfterFlushed) {
        report({ event: 'holding', size: buffer.length, flushed })
        await new Promise(() => {})
      }
    }
    if (buffer.length >= config.flushEvery) await flush()
    if (config.paceMs > 0) await delay(config.paceMs)
  },
})
report({ event: 'running', cluster: consumer.cluster })

setInterval(() => {
  if (buffer.length > 0 && Date.now() - lastRecordAt >= config.idleFlushMs) {
    flush().catch((error: unknown) => report({ event: 'error', message: String(error) }))
  }
}, 100)
