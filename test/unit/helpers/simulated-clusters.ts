/**
 * Simulated clusters for property tests of discovery: each cluster follows a fault timeline
 * (up, down, hung, replaced by another cluster at the same address) in simulated time (vitest's
 * fake timers), and stands behind a fake kafkajs `Kafka` whose admin answers as the cluster would
 * at that moment. The real {@link ClusterConnection} runs on top of it, so probe timeouts and the
 * cluster-id check are the library's own. {@link SimTopicTail} stands in for the control topic's
 * reader, for the `declared` policy.
 *
 * Everything here is driven by `setTimeout` and `Date.now()`: install fake timers first.
 *
 * @module
 */
import type { Kafka, KafkaMessage } from 'kafkajs'
import type { TopicTailOptions } from '../../../src/cluster/topic-tail.js'
import { TimeoutError } from '../../../src/errors/index.js'

/** What a cluster does for a while: answers, refuses connections, hangs, or answers as another cluster. */
export type Fault = 'up' | 'down' | 'hang' | 'replaced'

/** One stretch of a cluster's timeline. */
export interface Segment {
  state: Fault
  ms: number
}

/** A declaration written to a cluster's control topic. */
export interface SimDeclaration {
  cluster: string
  epoch: number
}

/** The cluster id a replacement at the same address answers with. */
export const impostorId = (cluster: string): string => `${cluster}-impostor`
/** The cluster id a cluster answers with. */
export const realId = (cluster: string): string => `${cluster}-id`

/** One simulated cluster: a timeline from `t0` on (its last state lasts for ever) and a control topic. */
export class SimCluster {
  /** Start of each segment, ms since the epoch. */
  private readonly starts: number[] = []
  /** The control topic's records, in offset order. */
  readonly controlLog: SimDeclaration[] = []

  constructor(
    readonly name: string,
    private readonly segments: readonly Segment[],
    t0: number,
    readonly latencyMs = 0,
  ) {
    let at = t0
    for (const s of segments) {
      this.starts.push(at)
      at += s.ms
    }
  }

  private indexAt(now: number): number {
    let i = 0
    while (i + 1 < this.starts.length && this.starts[i + 1]! <= now) i++
    return i
  }

  /** The cluster's state at `now` (before the timeline starts: its first state). */
  stateAt(now = Date.now()): Fault {
    return this.segments[this.indexAt(now)]!.state
  }

  /** When the segment holding `now` ends (Infinity for the last one). */
  endOf(now = Date.now()): number {
    return this.starts[this.indexAt(now) + 1] ?? Infinity
  }

  /**
   * Answers a request the way the cluster does now: `value` for a cluster that answers, a refused
   * connection for a dead one; a hung one answers only once it wakes up (as it is then). An answer
   * takes `latencyMs`.
   */
  answer<T>(value: (state: 'up' | 'replaced') => T, latencyMs = 0): Promise<T> {
    const now = Date.now()
    const state = this.stateAt(now)
    if (state === 'hang') {
      const end = this.endOf(now)
      if (end === Infinity) return new Promise<T>(() => {})
      return sleep(end - now).then(() => this.answer(value, latencyMs))
    }
    if (state === 'down') return Promise.reject(new Error(`connect ECONNREFUSED (${this.name})`))
    const result = value(state)
    return latencyMs === 0 ? Promise.resolve(result) : sleep(latencyMs).then(() => result)
  }

  /** Appends a declaration to the control topic when the cluster is up now; returns whether it did. */
  write(declaration: SimDeclaration): boolean {
    if (this.stateAt() !== 'up') return false
    this.controlLog.push(declaration)
    return true
  }
}

/** Resolves after `ms` of (simulated) time. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** A fake kafkajs client of one application instance, talking to a simulated cluster. */
export interface SimKafka {
  readonly sim: SimCluster
  /** Which application instance holds this client. */
  readonly instance: number
}

/** A kafkajs `Kafka` (admin only) for instance `instance` over `sim`. */
export function simKafka(sim: SimCluster, instance: number): Kafka {
  const admin = () => ({
    connect: () => sim.answer(() => undefined),
    disconnect: async () => {},
    describeCluster: () =>
      sim.answer(
        (state) => ({ clusterId: state === 'up' ? realId(sim.name) : impostorId(sim.name), brokers: [], controller: 0 }),
        sim.latencyMs,
      ),
    listTopics: () => sim.answer((): string[] => []),
    createTopics: () => sim.answer(() => true),
  })
  const fake: SimKafka & { admin: typeof admin; producer: () => never } = {
    sim,
    instance,
    admin,
    producer: () => {
      throw new Error('the simulated cluster has no producer')
    },
  }
  return fake as unknown as Kafka
}

/** Declarations each instance's control-topic readers have handed to the policy, in order. */
export const deliveredDeclarations = new Map<number, SimDeclaration[]>()

/** How often a {@link SimTopicTail} polls its cluster. */
export const TAIL_POLL_MS = 250

/**
 * Stands in for `TopicTail` (mock `src/cluster/topic-tail.js` with it): follows the simulated
 * cluster's control topic, handing over each record while the cluster is up.
 */
export class SimTopicTail {
  private next = 0
  private timer: ReturnType<typeof setInterval> | undefined
  private readonly kafka: SimKafka

  constructor(private readonly options: TopicTailOptions) {
    this.kafka = options.kafka as unknown as SimKafka
  }

  want(_topics: readonly string[]): void {
    this.timer ??= setInterval(() => {
      if (this.kafka.sim.stateAt() === 'up') this.deliver()
    }, TAIL_POLL_MS)
  }

  /** Like `TopicTail.caughtUp`: reads to the end, waiting out a hang up to `timeoutMs`. */
  async caughtUp(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const state = this.kafka.sim.stateAt()
      if (state === 'up') return this.deliver()
      // Another cluster answers at the address: it has no control topic, so nothing to read.
      if (state === 'replaced') return
      if (state === 'down') throw new Error(`connect ECONNREFUSED (${this.options.cluster})`)
      await sleep(Math.min(this.kafka.sim.endOf(), deadline) - Date.now())
      if (Date.now() >= deadline) throw new TimeoutError(`following ${this.options.what} on '${this.options.cluster}' timed out`)
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
  }

  private deliver(): void {
    const log = this.kafka.sim.controlLog
    while (this.next < log.length) {
      const offset = this.next++
      const d = log[offset]!
      const list = deliveredDeclarations.get(this.kafka.instance) ?? []
      list.push(d)
      deliveredDeclarations.set(this.kafka.instance, list)
      const value = JSON.stringify({
        version: 1,
        cluster: d.cluster,
        epoch: d.epoch,
        declaredAt: d.epoch,
        reason: 'property test',
        by: 'sim',
      })
      const message = {
        key: Buffer.from('active'),
        value: Buffer.from(value),
        offset: String(offset),
        timestamp: String(d.epoch),
        attributes: 0,
        headers: {},
        size: 0,
      }
      this.options.onRecord('control', 0, message as unknown as KafkaMessage)
    }
  }
}
