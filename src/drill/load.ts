/**
 * The example service's producer load: records at a steady rate through a kafkajs-dr
 * `FailoverProducer`, whatever the clusters do. Sends are not awaited one after the other: during
 * a failover a send can take seconds (it is re-sent to the survivor), and a real service keeps
 * receiving work meanwhile, so the schedule goes on and the sends pile up in flight until they
 * settle. Each record's key is its sequence number and its value starts with the run's id, so the
 * consumer can tell the drill's records and the ledger can follow each one.
 */
import { setTimeout as delay } from 'node:timers/promises'
import type { FailoverProducer } from '../index.js'
import type { RecordLedger } from './ledger.js'
import type { DrillTimeline } from './timeline.js'

/** How often the schedule sends what is due: 20 sends a second at most. */
const TICK_MS = 50
/** Most sends in flight at once; beyond it the schedule waits (and falls behind, which the rates show). */
const MAX_IN_FLIGHT_SENDS = 2000

/** Settings of the load. */
export interface LoadSettings {
  topic: string
  /** Records a second. */
  rate: number
  /** Bytes of each record's value. */
  recordBytes: number
  /** Marks the drill's records (the first bytes of each value). */
  runId: string
}

/** Makes the value of each record: the run id, then filler up to `recordBytes`. */
export function recordValue(runId: string, recordBytes: number): Buffer {
  const value = Buffer.alloc(Math.max(recordBytes, runId.length), '.')
  value.write(runId, 0, 'latin1')
  return value
}

/** One `send()` of the load. */
export interface SendRecord {
  count: number
  /** When it was made, and when it resolved or rejected (ms since epoch). */
  startedAt: number
  settledAt: number | undefined
  /** Whether a cluster acknowledged it. */
  ok: boolean
}

/** The first send acknowledged at or after `at`, by the time of its acknowledgement. */
export function firstAcknowledgedAfter(sends: readonly SendRecord[], at: number): SendRecord | undefined {
  let best: SendRecord | undefined
  for (const send of sends) {
    if (send.ok && send.settledAt! >= at && (best === undefined || send.settledAt! < best.settledAt!)) best = send
  }
  return best
}

/**
 * The longest time within `[from, to]` in which no send was acknowledged, in ms, and when it
 * ended: how long the service could not write.
 */
export function longestAcknowledgementGap(sends: readonly SendRecord[], from: number, to: number): { ms: number; endedAt: number } {
  const acks = sends
    .filter((s) => s.ok && s.settledAt! >= from && s.settledAt! <= to)
    .map((s) => s.settledAt!)
    .sort((a, b) => a - b)
  let gap = { ms: 0, endedAt: from }
  let previous = from
  for (const at of [...acks, to]) {
    if (at - previous > gap.ms) gap = { ms: at - previous, endedAt: at }
    previous = at
  }
  return gap
}

/** Sends records at a steady rate until stopped; every send is written into the ledger. */
export class SteadyLoad {
  private running = false
  private loop: Promise<void> | undefined
  private readonly inFlight = new Set<Promise<void>>()
  private readonly value: Buffer
  /** Every send, in the order they were made. */
  readonly sends: SendRecord[] = []
  /** When the schedule started and stopped (ms since epoch). */
  startedAt: number | undefined
  stoppedAt: number | undefined

  constructor(
    private readonly producer: FailoverProducer,
    private readonly settings: LoadSettings,
    private readonly ledger: RecordLedger,
    private readonly timeline: DrillTimeline,
  ) {
    this.value = recordValue(settings.runId, settings.recordBytes)
  }

  /** Starts sending. */
  start(): void {
    this.running = true
    this.startedAt = Date.now()
    this.loop = this.schedule(this.startedAt)
  }

  /** Sends in flight now. */
  get sendsInFlight(): number {
    return this.inFlight.size
  }

  /** Stops the schedule, then waits for every send in flight to settle. */
  async stop(): Promise<void> {
    await this.halt()
    await this.settled()
  }

  /** Stops the schedule; sends in flight go on. */
  async halt(): Promise<void> {
    this.running = false
    await this.loop
    this.stoppedAt ??= Date.now()
  }

  /** Resolves once every send in flight has settled. */
  async settled(): Promise<void> {
    await Promise.all([...this.inFlight])
  }

  private async schedule(startedAt: number): Promise<void> {
    let sent = 0
    while (this.running) {
      const due = Math.floor(((Date.now() - startedAt) * this.settings.rate) / 1000) - sent
      if (due > 0 && this.inFlight.size < MAX_IN_FLIGHT_SENDS) {
        // A fifth of a second's records at most per send: a backlog (after the bound on sends in
        // flight was hit) is caught up over several sends, not in one huge one.
        const count = Math.min(due, Math.max(1, Math.ceil(this.settings.rate / 5)))
        sent += count
        this.sendOne(count)
      }
      await delay(TICK_MS)
    }
  }

  private sendOne(count: number): void {
    const at = Date.now()
    const first = this.ledger.send(count, at)
    this.timeline.count('sent', count, at)
    const record: SendRecord = { count, startedAt: at, settledAt: undefined, ok: false }
    this.sends.push(record)
    const messages = Array.from({ length: count }, (_, i) => ({ key: String(first + i), value: this.value }))
    const send = this.producer
      .send({ topic: this.settings.topic, messages })
      .then(
        () => {
          record.settledAt = Date.now()
          record.ok = true
          this.ledger.settle(first, count, true)
          this.timeline.count('acknowledged', count, record.settledAt)
        },
        (error: unknown) => {
          record.settledAt = Date.now()
          this.ledger.settle(first, count, false)
          const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
          this.timeline.add({ type: 'send:rejected', detail: `${count} records rejected: ${why}` })
        },
      )
      .finally(() => this.inFlight.delete(send))
    this.inFlight.add(send)
  }
}
