/** Shared helpers of the integration tests: the bed handle, unique names, polling. */
import { randomBytes } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import type { Admin, Consumer, Producer } from 'kafkajs'
import { inject } from 'vitest'
import { KafkaBed } from '../bed/bed.js'
import { newestTimestamp } from '../../src/replication/heartbeats.js'

let shared: KafkaBed | undefined

/**
 * Whether this run is the full suite (`npm run test:full`): a file with a quick form for the
 * per-change suite runs its full form then.
 */
export function fullSuite(): boolean {
  return inject('fullSuite')
}

/** The bed the global setup started (same state folder). */
export function bed(): KafkaBed {
  shared ??= new KafkaBed({ stateDir: inject('bedStateDir') })
  return shared
}

/** A name no other test (or earlier run) uses: topics and groups never collide. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      const value = await check()
      if (value !== undefined && value !== false) return value
    } catch (error) {
      lastError = error
    }
    await delay(everyMs)
  }
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- whatever the check threw
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`)
}

/** Runs `fn` with a connected admin of one cluster. */
export async function withAdmin<T>(cluster: string, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = bed().kafka(cluster).admin()
  await admin.connect()
  try {
    return await fn(admin)
  } finally {
    await admin.disconnect()
  }
}

/** Creates a topic on one cluster of the bed. */
export async function createTopic(
  cluster: string,
  topic: string,
  numPartitions = 1,
  configEntries: Array<{ name: string; value: string }> = [],
): Promise<void> {
  // Right after a broker (re)start, kafkajs' leader wait can answer UNKNOWN_TOPIC_OR_PARTITION
  // once and does not retry it: try again (creating an existing topic is a no-op).
  for (let attempt = 1; ; attempt++) {
    try {
      await withAdmin(cluster, (admin) => admin.createTopics({ topics: [{ topic, numPartitions, configEntries }], waitForLeaders: true }))
      // Under load the broker can still answer UNKNOWN_TOPIC_OR_PARTITION to the next client for
      // a moment: return once a fresh client's metadata request for the topic succeeds.
      await waitFor(
        `${topic} in ${cluster}'s metadata`,
        () => withAdmin(cluster, async (admin) => (await admin.fetchTopicMetadata({ topics: [topic] })).topics.length === 1),
        30_000,
        100,
      )
      return
    } catch (error) {
      if (attempt >= 10 || (error as { type?: string }).type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw error
      await delay(500)
    }
  }
}

/** Sum of a topic's high watermarks on one cluster (0 when it does not exist yet). */
export function highWatermark(cluster: string, topic: string): Promise<number> {
  return bed().highWatermark(cluster, topic)
}

/**
 * Whether every id is in `seen`. Callers build the set once per check: a set built per id made
 * one check of 12,000 ids cost seconds near the end, and the starved test process missed its waits.
 */
export function handledAll(ids: readonly string[], seen: ReadonlySet<string | undefined>): boolean {
  return ids.every((id) => seen.has(id))
}

/** Waits until a topic on one cluster holds at least `count` records (sum of its high watermarks). */
export async function waitForRecords(cluster: string, topic: string, count: number, timeoutMs = 120_000, everyMs?: number): Promise<void> {
  await waitFor(`${count} records on ${cluster}/${topic}`, async () => (await highWatermark(cluster, topic)) >= count, timeoutMs, everyMs)
}

/** A record as the tests compare it. */
export interface ReadRecord {
  topic: string
  partition: number
  offset: string
  key: string | null
  value: string | null
  timestamp: string
  headers: Record<string, string>
}

/** Reads a topic from the beginning with a throw-away group until `count` records arrived. */
export async function readRecords(cluster: string, topic: string, count: number, timeoutMs = 60_000): Promise<ReadRecord[]> {
  const consumer = bed()
    .kafka(cluster)
    .consumer({ groupId: unique('reader'), sessionTimeout: 10_000, heartbeatInterval: 1000 })
  const records: ReadRecord[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic: t, partition, message }) => {
        const headers: Record<string, string> = {}
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v)
        records.push({
          topic: t,
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? null,
          timestamp: message.timestamp,
          headers,
        })
      },
    })
    await waitFor(`${count} records on ${cluster}/${topic}`, () => records.length >= count, timeoutMs)
    return records
  } finally {
    await consumer.disconnect()
  }
}

/**
 * Writes 20 records to `topic` on `cluster` every 100 ms (200 a second, spread over `partitions`)
 * until stopped: traffic that keeps flowing while a test moves consumers. `ids` holds what was
 * written (`<prefix>-0`, `<prefix>-1`, ...).
 */
export class SteadyWriter {
  readonly ids: string[] = []
  /** When each record was acknowledged by the cluster (ms since epoch). */
  readonly writtenAt = new Map<string, number>()
  private running = true
  private readonly done: Promise<void>
  private readonly producer: Producer

  constructor(
    cluster: string,
    topic: string,
    partitions: number,
    private readonly prefix = 'r',
  ) {
    this.producer = bed().kafka(cluster).producer()
    this.done = this.loop(topic, partitions)
  }

  /** Stops writing once the send under way is done. */
  async stop(): Promise<void> {
    this.running = false
    await this.done
  }

  private async loop(topic: string, partitions: number): Promise<void> {
    await this.producer.connect()
    try {
      while (this.running) {
        const ids = Array.from({ length: 20 }, (_, i) => `${this.prefix}-${this.ids.length + i}`)
        await this.producer.send({ topic, messages: ids.map((id, i) => ({ key: id, value: id, partition: i % partitions })) })
        this.ids.push(...ids)
        const now = Date.now()
        for (const id of ids) this.writtenAt.set(id, now)
        await delay(100)
      }
    } finally {
      await this.producer.disconnect()
    }
  }
}

/**
 * Writes `count` records with ids `<prefix>-<n>` (as key and value) to one cluster, spread round
 * robin over `partitions`, with CreateTimes 10 ms apart ending now; returns the ids. Retries for
 * about a minute while a cluster that has just come back takes up its partitions' leadership: a
 * broker killed -9 with about 1,000 partitions answered "not the leader" for more than 15 s.
 */
export async function produceIds(
  cluster: 'dc1' | 'dc2',
  topic: string,
  prefix: string,
  count: number,
  partitions: number,
): Promise<string[]> {
  const producer = bed()
    .kafka(cluster)
    .producer({ retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 } })
  await producer.connect()
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`)
  const base = Date.now() - 10 * count
  for (let start = 0; start < count; start += 500) {
    await producer.send({
      topic,
      messages: ids
        .slice(start, start + 500)
        .map((id, j) => ({ key: id, value: id, partition: (start + j) % partitions, timestamp: String(base + 10 * (start + j)) })),
    })
  }
  await producer.disconnect()
  return ids
}

/**
 * The most a MirrorMaker 2 flow fell behind while it was watched: every `everyMs`, the age of the
 * newest `<source>.heartbeats` record on `target` (see src/replication/heartbeats.ts). A record
 * written on `source` reaches a consumer on `target` only that much later, so a test that moves a
 * group between the two can count what the lag alone re-delivers.
 */
export class FlowLagWatch {
  /** The largest lag seen, in ms. */
  maxLagMs = 0
  private running = true
  private readonly done: Promise<void>

  constructor(source: string, target: string, everyMs = 500) {
    this.done = this.loop(source, target, everyMs)
  }

  async stop(): Promise<number> {
    this.running = false
    await this.done
    return this.maxLagMs
  }

  private async loop(source: string, target: string, everyMs: number): Promise<void> {
    const admin = bed().kafka(target).admin()
    let connected = false
    let newest: number | undefined
    while (this.running) {
      try {
        if (!connected) await admin.connect()
        connected = true
        const now = Date.now()
        newest = await newestTimestamp(admin, `${source}.heartbeats`, { now, atLeast: newest })
        if (newest !== undefined) this.maxLagMs = Math.max(this.maxLagMs, now - newest)
      } catch {
        // A cluster just back may not answer yet: the next round tries again.
      }
      await delay(everyMs)
    }
    await admin.disconnect().catch(() => {})
  }
}

/**
 * When each record of a topic first showed on a cluster (ms since epoch), by the record's key: a
 * reader of its own from the beginning. For a replica, what the replicator's lag adds to a
 * record's way to a consumer there.
 */
export class ArrivalWatch {
  readonly arrivedAt = new Map<string, number>()
  private readonly consumer: Consumer
  private readonly started: Promise<void>

  constructor(cluster: string, topic: string) {
    this.consumer = bed()
      .kafka(cluster)
      .consumer({ groupId: unique('arrivals'), sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 100 })
    this.started = this.start(topic)
    this.started.catch((error: unknown) => console.log(`[arrivals] reading ${topic} on ${cluster} failed: ${String(error)}`))
  }

  /** When the first record showed (ms since epoch): records copied before it show then. */
  get firstAt(): number | undefined {
    let first: number | undefined
    for (const at of this.arrivedAt.values()) first = Math.min(first ?? at, at)
    return first
  }

  async stop(): Promise<void> {
    await this.started.catch(() => {})
    await this.consumer.disconnect()
  }

  private async start(topic: string): Promise<void> {
    await this.consumer.connect()
    await this.consumer.subscribe({ topics: [topic], fromBeginning: true })
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        const id = message.key?.toString()
        if (id !== undefined && !this.arrivedAt.has(id)) this.arrivedAt.set(id, Date.now())
      },
    })
  }
}
