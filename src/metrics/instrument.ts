/**
 * Metrics through the OpenTelemetry API, built only on the client's public events and
 * `status()`. The API is an optional peer dependency: this module imports only its types, and
 * loads it at run time (synchronously, with `require`) only when neither a `meter` nor a
 * `meterProvider` is given, to get the global meter. Importing kafkajs-dr never loads it.
 *
 * @module
 */
import type { Attributes, BatchObservableResult, Counter, Histogram, Meter, MeterProvider, Observable } from '@opentelemetry/api'
import { createRequire } from 'node:module'
import type { MultiClusterEvents } from '../client/events.js'
import type { MultiClusterKafka } from '../client/multi-cluster-kafka.js'
import type { FailoverConsumer } from '../consumer/failover-consumer.js'
import { InvalidOptionError } from '../errors/index.js'
import type { FailoverProducer } from '../producer/failover-producer.js'
import { logger } from '../util/log.js'
import { ATTR, METER_NAME, METRICS, metricName, type MetricKey } from './names.js'
import { validateMetricsOptions } from './options.js'

const log = logger('metrics')

/**
 * Options of {@link instrumentMetrics}.
 *
 * @group Metrics
 */
export interface MetricsOptions {
  /**
   * The meter to create the instruments on. Give this or `meterProvider`, or neither: then the
   * global meter provider of `@opentelemetry/api` is used (a no-op until an SDK registers one).
   */
  meter?: Meter
  /** The meter provider to get the `kafkajs-dr` meter from (instead of the global one). */
  meterProvider?: MeterProvider
  /**
   * Namespace of every metric name (`<prefix>.cluster.active`, ...): letters, digits, `_`, `.`,
   * `-` and `/`, starting with a letter, as OpenTelemetry allows in instrument names.
   *
   * @default 'kafkajs_dr'
   */
  prefix?: string
}

/**
 * What {@link instrumentMetrics} returns.
 *
 * @group Metrics
 */
export interface DRMetrics {
  /** The meter the instruments were created on. */
  readonly meter: Meter
  /**
   * Stops reporting: removes every listener added to the client, its producers and consumers,
   * and the callback of the gauges. A second call does nothing.
   */
  stop(): void
}

/** Per consumer: when its last checkpoint reached each cluster (ms since epoch). */
interface ConsumerCheckpoints {
  group: string
  writtenAt: Map<string, number>
}

/**
 * Reports a client's health, switches, probes, replication lag, checkpoint age, re-sent and
 * de-duplicated records as OpenTelemetry metrics (listed in [Metrics](../../docs/metrics.md)).
 * Producers and consumers are seen as {@link MultiClusterKafka.producer} and
 * {@link MultiClusterKafka.consumer} create them (`producer:created`, `consumer:created`): call this
 * before creating them. A consumer is forgotten once it disconnects.
 *
 * Without an OpenTelemetry SDK (or with a no-op meter) nothing is recorded. The gauges are read
 * from `dr.status()` when the SDK collects.
 *
 * @throws {@link InvalidOptionError} for invalid options, or when no meter is given and
 * `@opentelemetry/api` is not installed.
 *
 * @example
 * ```ts
 * import { metrics } from '@opentelemetry/api'
 * import { MeterProvider } from '@opentelemetry/sdk-metrics'
 * import { PrometheusExporter } from '@opentelemetry/exporter-prometheus'
 *
 * metrics.setGlobalMeterProvider(new MeterProvider({ readers: [new PrometheusExporter({ port: 9464 })] }))
 * const dr = new MultiClusterKafka({ clusters })
 * const drMetrics = instrumentMetrics(dr)
 * // ... dr.producer(), dr.consumer(), dr.connect() ...
 * drMetrics.stop()
 * ```
 *
 * @group Metrics
 */
export function instrumentMetrics(dr: MultiClusterKafka, options: MetricsOptions = {}): DRMetrics {
  const { meter: givenMeter, meterProvider, prefix } = validateMetricsOptions(options)
  const meter = givenMeter ?? (meterProvider ?? globalMeterProvider()).getMeter(METER_NAME, packageVersion())
  const name = (key: MetricKey): string => metricName(prefix, key)
  const histogram = (key: 'switchDuration' | 'probeDuration'): Histogram =>
    meter.createHistogram(name(key), {
      unit: METRICS[key].unit,
      description: METRICS[key].description,
      advice: { explicitBucketBoundaries: METRICS[key].buckets },
    })
  const counter = (key: 'switches' | 'probeFailures' | 'resentRecords' | 'deduplicatedRecords'): Counter =>
    meter.createCounter(name(key), { unit: METRICS[key].unit, description: METRICS[key].description })
  const gauge = (key: 'clusterActive' | 'replicationLag' | 'checkpointAge'): Observable =>
    meter.createObservableGauge(name(key), { unit: METRICS[key].unit, description: METRICS[key].description })

  const switches = counter('switches')
  const switchDuration = histogram('switchDuration')
  const probeDuration = histogram('probeDuration')
  const probeFailures = counter('probeFailures')
  const resentRecords = counter('resentRecords')
  const deduplicatedRecords = counter('deduplicatedRecords')
  const clusterActive = gauge('clusterActive')
  const replicationLag = gauge('replicationLag')
  const checkpointAge = gauge('checkpointAge')

  const removers = new Set<() => void>()
  const consumers = new Set<ConsumerCheckpoints>()
  let stopped = false

  /** Adds a listener to the client, removed by `stop()`. */
  function onClient<E extends keyof MultiClusterEvents>(event: E, listener: MultiClusterEvents[E]): void {
    dr.on(event, listener)
    removers.add(() => dr.off(event, listener))
  }

  onClient('failover:complete', (e) => {
    const attributes = { [ATTR.kind]: e.kind, [ATTR.outcome]: 'complete' }
    switches.add(1, attributes)
    switchDuration.record(e.durationMs / 1000, attributes)
  })
  onClient('failover:failed', (e) => {
    const attributes = { [ATTR.kind]: e.kind, [ATTR.outcome]: 'failed' }
    switches.add(1, attributes)
    switchDuration.record(Math.max(0, Date.now() - e.timestamp) / 1000, attributes)
  })
  onClient('cluster:probe', (e) => {
    probeDuration.record(e.durationMs / 1000, { [ATTR.cluster]: e.cluster, [ATTR.outcome]: e.ok ? 'ok' : 'failed' })
    if (!e.ok) probeFailures.add(1, { [ATTR.cluster]: e.cluster, [ATTR.errorType]: e.error?.code ?? 'unknown' })
  })
  onClient('producer:created', ({ producer }) => watchProducer(producer))
  onClient('consumer:created', ({ consumer }) => watchConsumer(consumer))

  function watchProducer(producer: FailoverProducer): void {
    const remove = producer.on('producer:resent', (e) => {
      resentRecords.add(e.count, { [ATTR.from]: e.from, [ATTR.to]: e.to })
    })
    removers.add(remove)
  }

  function watchConsumer(consumer: FailoverConsumer): void {
    const state: ConsumerCheckpoints = { group: consumer.groupId, writtenAt: new Map() }
    consumers.add(state)
    const offs = [
      consumer.on('checkpoint:written', (e) => {
        const at = e.timestamp + e.durationMs
        if (at > (state.writtenAt.get(e.cluster) ?? 0)) state.writtenAt.set(e.cluster, at)
      }),
      consumer.on('consumer:deduplicated', (e) => {
        deduplicatedRecords.add(e.count, { [ATTR.group]: e.group, [ATTR.cluster]: e.cluster })
      }),
      consumer.on('consumer:disconnected', () => forget()),
    ]
    const forget = (): void => {
      consumers.delete(state)
      for (const off of offs) off()
      removers.delete(forget)
    }
    removers.add(forget)
  }

  const observe = (result: BatchObservableResult): void => {
    const status = dr.status()
    for (const c of status.clusters) {
      result.observe(clusterActive, c.name === status.active ? 1 : 0, { [ATTR.cluster]: c.name })
    }
    // One flow per pair of clusters watched by `replicationLag`; its lag is unknown until a check succeeded.
    for (const flow of status.replication ?? []) {
      if (flow.lagMs === undefined || !Number.isFinite(flow.lagMs)) continue
      result.observe(replicationLag, Math.max(0, flow.lagMs) / 1000, { [ATTR.source]: flow.source, [ATTR.target]: flow.target })
    }
    const now = Date.now()
    for (const [attributes, writtenAt] of newestCheckpoints(consumers)) {
      result.observe(checkpointAge, Math.max(0, now - writtenAt) / 1000, attributes)
    }
  }
  meter.addBatchObservableCallback(observe, [clusterActive, replicationLag, checkpointAge])
  removers.add(() => meter.removeBatchObservableCallback(observe, [clusterActive, replicationLag, checkpointAge]))

  return {
    meter,
    stop(): void {
      if (stopped) return
      stopped = true
      for (const remove of [...removers]) remove()
      removers.clear()
      consumers.clear()
    },
  }
}

/** The newest checkpoint write per (group, cluster) over every consumer watched. */
function newestCheckpoints(consumers: Iterable<ConsumerCheckpoints>): Array<[Attributes, number]> {
  const newest = new Map<string, { group: string; cluster: string; at: number }>()
  for (const { group, writtenAt } of consumers) {
    for (const [cluster, at] of writtenAt) {
      const key = JSON.stringify([group, cluster])
      const seen = newest.get(key)
      if (seen === undefined || at > seen.at) newest.set(key, { group, cluster, at })
    }
  }
  return [...newest.values()].map(({ group, cluster, at }) => [{ [ATTR.group]: group, [ATTR.cluster]: cluster }, at])
}

/** The global meter provider of `@opentelemetry/api`, loaded now: the package is an optional peer dependency. */
function globalMeterProvider(): MeterProvider {
  let api: typeof import('@opentelemetry/api')
  try {
    api = createRequire(import.meta.url)('@opentelemetry/api') as typeof import('@opentelemetry/api')
  } catch (error) {
    log('@opentelemetry/api could not be loaded: %s', error instanceof Error ? error.message : String(error))
    throw new InvalidOptionError(
      'metrics.meter',
      'instrumentMetrics() needs `@opentelemetry/api` for the global meter provider, and it could not be loaded: install it (npm install @opentelemetry/api), or pass `meter` or `meterProvider`',
    )
  }
  return api.metrics.getMeterProvider()
}

/** This package's version, for the meter's instrumentation scope; undefined when it cannot be read. */
function packageVersion(): string | undefined {
  try {
    // src/metrics/ and dist/metrics/ both sit two levels below the package root.
    const version = (createRequire(import.meta.url)('../../package.json') as { version?: unknown }).version
    return typeof version === 'string' ? version : undefined
  } catch {
    return undefined
  }
}
