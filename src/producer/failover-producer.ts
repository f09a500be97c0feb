/**
 * A producer with the kafkajs Producer API over several clusters. Every send goes to the active
 * cluster; an attempt that fails because the cluster died, hung or was switched away from is
 * made again on the (new) active cluster, within a delivery deadline. A send resolves only with
 * a cluster's acknowledgement and otherwise rejects with {@link SendFailedError}: nothing is
 * dropped silently. Delivery is at-least-once: a re-send may duplicate a record that the first
 * cluster wrote without answering; the provenance id lets readers drop such copies.
 */
import type { Message, Producer, ProducerBatch, ProducerRecord, RecordMetadata } from 'kafkajs'
import { setMaxListeners } from 'node:events'
import pRetry, { AbortError } from 'p-retry'
import type { FailoverContext } from '../cluster/index.js'
import { ActiveClusterMovedError, asKafkaDRError, NotConnectedError, SendFailedError, UnsupportedOperationError } from '../errors/index.js'
import type { ProvenanceStamper } from '../topology/index.js'
import { Abandon } from '../util/abandon.js'
import { SafeEmitter } from '../util/safe-emitter.js'
import { errorMessage, logger } from '../util/log.js'
import { ConnectOnce } from '../util/connect-once.js'
import { delay, withTimeout } from '../util/timeout.js'
import type { FailoverProducerEvents } from './events.js'
import { isClusterFailure, isRetriable } from './retriable.js'
import { validateProducerConfig } from './options.js'
import type { FailoverProducerConfig } from './types.js'

const log = logger('producer')

/** The shortest pause between two attempts of a send, in ms (p-retry's first back-off). */
const MIN_BACKOFF_MS = 50

interface ClusterProducer {
  producer: Producer
  connection: ConnectOnce
}

type Stamped = Message[]

/** One stay of the active cluster: attempts on it are abandoned when the active cluster moves away. */
interface Stay {
  cluster: string | undefined
  moved: Abandon
}

/**
 * See the module description. Create with {@link MultiClusterKafka.producer}.
 *
 * @group Producer
 */
export class FailoverProducer {
  /** The kafkajs producer event names (`producer.events.CONNECT`, ...). */
  readonly events: Producer['events']
  private readonly perCluster = new Map<string, ClusterProducer>()
  /** The first cluster's producer, for what is the same on every cluster (events, logger). */
  private readonly first: Producer
  /** The current stay of the active cluster, shared by every attempt on it. */
  private stay: Stay = { cluster: undefined, moved: new Abandon() }
  /** Fired when `disconnect()` stops waiting for the sends in flight: they reject. */
  private readonly shutdown = new Abandon()
  /** Stops the retries of every send at `disconnect()`. */
  private readonly stopRetries = new AbortController()
  /** Sends not yet settled, for `disconnect()` to wait on. */
  private readonly inFlight = new Set<Promise<unknown>>()
  private readonly deliveryTimeoutMs: number
  private readonly attemptTimeoutMs: number
  private readonly maxAttempts: number
  private readonly teardownTimeoutMs: number
  private state: 'new' | 'connected' | 'closed' = 'new'
  private closing: Promise<void> | undefined
  private readonly unsubscribe: Array<() => void> = []
  private readonly emitter = new SafeEmitter<FailoverProducerEvents>()

  /** @internal Use `MultiClusterKafka.producer()`. */
  constructor(
    private readonly ctx: FailoverContext,
    config: FailoverProducerConfig,
    private readonly stamper: ProvenanceStamper | undefined,
  ) {
    const options = validateProducerConfig(config)
    // Every send waiting out an outage listens on this one signal: Node's leak warning at 11 is noise.
    setMaxListeners(0, this.stopRetries.signal)
    this.deliveryTimeoutMs = options.deliveryTimeoutMs
    this.attemptTimeoutMs = options.attemptTimeoutMs
    this.maxAttempts = options.maxAttempts
    this.teardownTimeoutMs = options.teardownTimeoutMs
    for (const cluster of ctx.clusters) {
      const producer = cluster.kafka.producer(options.kafkajs)
      const connection = new ConnectOnce(producer, (error) =>
        log('producer connection to %s failed: %s', cluster.name, errorMessage(error)),
      )
      this.perCluster.set(cluster.name, { producer, connection })
    }
    this.first = this.perCluster.values().next().value!.producer
    this.events = this.first.events
  }

  /**
   * Connects the active cluster's producer (resolves once it is connected) and the standby
   * clusters' producers in the background, so that a switch does not pay for connection set-up.
   */
  async connect(): Promise<void> {
    if (this.state === 'closed') throw new NotConnectedError('FailoverProducer (disconnected; create a new one)')
    if (this.state === 'connected') return
    const active = await this.ctx.waitForActive(this.deliveryTimeoutMs)
    if (this.closing) throw new NotConnectedError('FailoverProducer (disconnected while connecting)')
    this.stay = { cluster: this.ctx.activeCluster, moved: new Abandon() }
    this.unsubscribe.push(
      this.ctx.onActiveChange(({ to }) => {
        const left = this.stay
        this.stay = { cluster: to, moved: new Abandon() }
        left.moved.fire(new ActiveClusterMovedError(left.cluster ?? '(none)', to))
      }),
    )
    for (const name of this.perCluster.keys()) if (name !== active) void this.ensureConnected(name)
    await withTimeout(this.ensureConnected(active), this.deliveryTimeoutMs, `producer connection to '${active}'`, {
      cluster: active,
    }).catch((error: unknown) => {
      throw asKafkaDRError(error, `Connecting the producer to '${active}' failed`, { cluster: active })
    })
    if (this.closing) throw new NotConnectedError('FailoverProducer (disconnected while connecting)')
    // A standby that was down at start is connected as soon as it is back.
    this.unsubscribe.push(this.ctx.onClusterUp((cluster) => void this.ensureConnected(cluster)))
    this.state = 'connected'
  }

  /**
   * Disconnects within `teardownTimeoutMs` in all, whatever state the clusters are in. New sends
   * are refused at once; sends in flight get until the bound to be acknowledged, then reject with
   * `SendFailedError` (the last attempt error a `NotConnectedError`). Each cluster's producer is
   * disconnected at the same time, bounded by what is left (see `ClusterConnection.teardown`: a
   * cluster whose teardown already timed out is not waited for again). A second call, or one
   * made while connecting, resolves with the first.
   */
  disconnect(): Promise<void> {
    this.closing ??= this.close()
    return this.closing
  }

  private async close(): Promise<void> {
    const deadline = Date.now() + this.teardownTimeoutMs
    this.state = 'closed'
    for (const off of this.unsubscribe.splice(0)) off()
    // Sends in flight get until the bound, unless the active cluster is known to be lost (down,
    // or a teardown there timed out just now, as the consumer's does first in a usual shutdown).
    const active = this.ctx.activeCluster
    const lost = active === undefined || this.ctx.healthOf(active) === 'down' || this.ctx.connection(active).isUnresponsive
    if (this.inFlight.size > 0 && !lost) {
      await withTimeout(Promise.allSettled([...this.inFlight]), this.teardownTimeoutMs, 'sends in flight').catch(() => {})
    }
    this.stopRetries.abort(new NotConnectedError('FailoverProducer (disconnected while the send was in flight)'))
    this.shutdown.fire(this.stopRetries.signal.reason as Error)
    await Promise.all(
      [...this.perCluster].map(([cluster, p]) =>
        p.connection.close((ms) => this.ctx.connection(cluster).teardown(p.producer, ms), deadline - Date.now()),
      ),
    )
  }

  /** Sends records to the active cluster; see the module description for failover semantics. */
  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    this.assertConnected()
    let stamped: Stamped | undefined
    return this.deliver([record.topic], record.messages.length, (cluster, producer) => {
      stamped = this.forCluster(record.messages, stamped, cluster)
      return producer.send({ ...record, messages: stamped })
    })
  }

  /** Sends records to several topics of the active cluster in one request. */
  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    this.assertConnected()
    const topicMessages = batch.topicMessages ?? []
    const stamped: Array<Stamped | undefined> = topicMessages.map(() => undefined)
    const count = topicMessages.reduce((sum, t) => sum + t.messages.length, 0)
    return this.deliver(
      topicMessages.map((t) => t.topic),
      count,
      (cluster, producer) =>
        producer.sendBatch({
          ...batch,
          topicMessages: topicMessages.map((t, i) => ({ ...t, messages: (stamped[i] = this.forCluster(t.messages, stamped[i], cluster)) })),
        }),
    )
  }

  /**
   * Transactions do not span clusters; a transactional producer cannot fail over.
   *
   * @throws {@link UnsupportedOperationError} (`ERR_UNSUPPORTED`), always.
   */
  async transaction(): Promise<never> {
    throw new UnsupportedOperationError(
      "FailoverProducer does not support transactions: a transaction cannot span clusters. Use the cluster's own kafkajs producer for transactional work.",
    )
  }

  /** Whether the per-cluster producers are idempotent (within each cluster). */
  isIdempotent(): boolean {
    return this.first.isIdempotent()
  }

  /**
   * Listens to a kafkajs-dr event (`producer:resent`) or to a kafkajs instrumentation event
   * (`producer.connect`, ...; on every cluster's producer). Returns the remover.
   */
  on<E extends keyof FailoverProducerEvents>(event: E, listener: FailoverProducerEvents[E]): () => void
  on(eventName: Parameters<Producer['on']>[0], listener: (event: unknown) => void): () => void
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the overloads above type it for callers
  on(eventName: string, listener: (event: any) => void): () => void {
    if (eventName.includes(':')) {
      this.emitter.on(eventName as keyof FailoverProducerEvents, listener)
      return () => {
        this.emitter.off(eventName as keyof FailoverProducerEvents, listener)
      }
    }
    const removers = [...this.perCluster.values()].map((p) => p.producer.on(eventName as Parameters<Producer['on']>[0], listener))
    return () => removers.forEach((remove) => remove())
  }

  /** The kafkajs logger of the first cluster's producer. */
  logger(): ReturnType<Producer['logger']> {
    return this.first.logger()
  }

  /** Messages for an attempt on `cluster`: stamped once with an id, then given each target's origin. */
  private forCluster(messages: Message[], previous: Stamped | undefined, cluster: string): Stamped {
    const { stamper } = this
    if (!stamper) return messages
    if (previous === undefined) return messages.map((m) => stamper.stamp(m, cluster))
    // A message that stamp() returned as it was came with its own provenance (forwarded): keep it.
    return previous.map((m, i) => (m === messages[i] ? m : stamper.withOrigin(m, cluster)))
  }

  /** A send of `count` records: delivered by `attemptUntilDelivered`, tracked for `disconnect()`. */
  private deliver(
    topics: string[],
    count: number,
    attempt: (cluster: string, producer: Producer) => Promise<RecordMetadata[]>,
  ): Promise<RecordMetadata[]> {
    const sending = this.attemptUntilDelivered(topics, count, attempt)
    this.inFlight.add(sending)
    const forget = (): void => {
      this.inFlight.delete(sending)
    }
    sending.then(forget, forget)
    return sending
  }

  private async attemptUntilDelivered(
    topics: string[],
    count: number,
    attempt: (cluster: string, producer: Producer) => Promise<RecordMetadata[]>,
  ): Promise<RecordMetadata[]> {
    const topic = topics.join(',')
    const errors: unknown[] = []
    /** The cluster of the last failed attempt, for `producer:resent`. */
    let failedOn: string | undefined
    const started = Date.now()
    const deadline = started + this.deliveryTimeoutMs
    // Attempts counted against maxAttempts: not those that failed on a cluster discovery holds
    // down. While no cluster can take the send, its attempts only wait (paced by the back-off) for
    // one to return; counting them would end the send long before deliveryTimeoutMs.
    let counted = 0
    try {
      return await this.shutdown.guard(
        pRetry(
          async () => {
            const remaining = deadline - Date.now()
            // p-retry cuts the last back-off short at the deadline (by its own clock, give or take a
            // few ms): an attempt begun then could only time out at once, and that timeout would hide
            // the real error. A retry needs at least the shortest back-off's time left; with less, the
            // send rejects with the last real error, at its deadline.
            if (errors.length > 0 && remaining < MIN_BACKOFF_MS) {
              if (remaining > 0) await delay(remaining, undefined, { keepAlive: true })
              throw new AbortError(errors.at(-1) as Error)
            }
            const cluster = await this.ctx.waitForActive(remaining, this.stopRetries.signal)
            const budget = Math.max(1, Math.min(this.attemptTimeoutMs, deadline - Date.now()))
            try {
              await withTimeout(this.ensureConnected(cluster), budget, `producer connection to '${cluster}'`, { cluster })
              const p = this.perCluster.get(cluster)!.producer
              const acks = await this.whileActive(
                cluster,
                withTimeout(attempt(cluster, p), budget, `send to '${cluster}'`, { cluster, topic }),
              )
              if (failedOn !== undefined && failedOn !== cluster) {
                this.emitter.emit('producer:resent', {
                  timestamp: Date.now(),
                  topics,
                  from: failedOn,
                  to: cluster,
                  count,
                  attempts: errors.length + 1,
                })
              }
              return acks
            } catch (error) {
              failedOn = cluster
              if (isClusterFailure(error)) this.ctx.reportError(cluster, error)
              if (this.ctx.healthOf(cluster) !== 'down') counted++
              throw error
            }
          },
          {
            retries: Number.POSITIVE_INFINITY,
            minTimeout: MIN_BACKOFF_MS,
            maxTimeout: 1000,
            factor: 2,
            randomize: true,
            maxRetryTime: this.deliveryTimeoutMs,
            unref: true,
            onFailedAttempt: ({ error, attemptNumber }) => {
              errors.push(error)
              log('attempt %d for %s failed: %s', attemptNumber, topic, errorMessage(error))
            },
            shouldRetry: ({ error }) => isRetriable(error) && Date.now() < deadline && counted < this.maxAttempts,
            signal: this.stopRetries.signal,
          },
        ),
      )
    } catch (error) {
      // A disconnect that gave up on this send: its attempt may still land (a possible duplicate).
      if (errors.length === 0 || this.shutdown.isFired) errors.push(error)
      throw new SendFailedError(
        `Send to '${topic}' failed after ${errors.length} attempt(s) in ${Date.now() - started} ms: ${errorMessage(errors.at(-1))}`,
        errors,
        { topic, retriable: isRetriable(errors.at(-1)) },
      )
    }
  }

  /** Settles like `work`, or rejects as soon as the active cluster moves away from `cluster`. */
  private whileActive<T>(cluster: string, work: Promise<T>): Promise<T> {
    const { stay } = this
    if (this.ctx.activeCluster !== cluster || stay.cluster !== cluster) {
      work.catch(() => {})
      return Promise.reject(new ActiveClusterMovedError(cluster, this.ctx.activeCluster ?? '(none)'))
    }
    return stay.moved.guard(work)
  }

  private ensureConnected(cluster: string): Promise<void> {
    return this.perCluster.get(cluster)!.connection.connect()
  }

  private assertConnected(): void {
    if (this.state !== 'connected') throw new NotConnectedError('FailoverProducer')
  }
}
