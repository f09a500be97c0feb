/**
 * What the metrics tests run on: an OpenTelemetry SDK `MeterProvider` whose reader exports to the
 * SDK's in-memory exporter when asked, and fake clusters behind fake kafkajs clients (admin for the
 * health probes, producer for sends) under a real {@link MultiClusterKafka}.
 *
 * @module
 */
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics'
import { expect } from 'vitest'
import kafkajs, { type Kafka, type ProducerBatch, type ProducerRecord, type RecordMetadata } from 'kafkajs'
import { MultiClusterKafka, type MultiClusterKafkaOptions, type MultiClusterEvents } from '../../../src/index.js'

/** An SDK meter provider and a way to read what it has recorded. */
export class MetricsHarness {
  readonly exporter: InMemoryMetricExporter
  readonly reader: PeriodicExportingMetricReader
  readonly provider: MeterProvider

  /**
   * With `DELTA`, a collection holds only what was recorded since the previous one (a gauge: only
   * what its callback observed then). Under `CUMULATIVE` the JS SDK keeps reporting an attribute
   * set that a gauge's callback no longer observes, with its last value
   * (open-telemetry/opentelemetry-js#4096).
   */
  constructor(temporality = AggregationTemporality.CUMULATIVE) {
    this.exporter = new InMemoryMetricExporter(temporality)
    // Exports only when asked (forceFlush): the interval is never reached in a test.
    this.reader = new PeriodicExportingMetricReader({ exporter: this.exporter, exportIntervalMillis: 3_600_000 })
    this.provider = new MeterProvider({ readers: [this.reader] })
  }

  /** Collects now: the resource's metrics, or undefined when there was nothing to export. */
  async export(): Promise<ResourceMetrics | undefined> {
    this.exporter.reset()
    await this.reader.forceFlush()
    const exported = this.exporter.getMetrics()
    expect(exported.length).toBeLessThanOrEqual(1)
    return exported[0]
  }

  /** Collects now: every metric with at least one data point, by name. */
  async collect(): Promise<Map<string, MetricData>> {
    const byName = new Map<string, MetricData>()
    for (const scope of (await this.export())?.scopeMetrics ?? []) {
      for (const metric of scope.metrics) if (metric.dataPoints.length > 0) byName.set(metric.descriptor.name, metric)
    }
    return byName
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown()
  }
}

/** The data points of `metric`, each as its attributes and value. */
export function points<T>(metric: MetricData | undefined): Array<{ attributes: Record<string, unknown>; value: T }> {
  return ((metric?.dataPoints ?? []) as Array<DataPoint<T>>).map((p) => ({ attributes: { ...p.attributes }, value: p.value }))
}

/** The value of the data point of `metric` with exactly `attributes`, or undefined. */
export function valueOf<T>(metric: MetricData | undefined, attributes: Record<string, unknown>): T | undefined {
  return points<T>(metric).find((p) => JSON.stringify(sorted(p.attributes)) === JSON.stringify(sorted(attributes)))?.value
}

function sorted(o: Record<string, unknown>): Array<[string, unknown]> {
  return Object.entries(o).sort(([a], [b]) => a.localeCompare(b))
}

/** One fake cluster: answers probes while `up`; its producers send with `send`. */
export interface FakeCluster {
  readonly name: string
  up: boolean
  send: (record: ProducerRecord) => Promise<RecordMetadata[]>
  readonly kafka: Kafka
}

/** A fake cluster named `name`, up, whose sends are acknowledged at once. */
export function fakeCluster(name: string): FakeCluster {
  const refused = (): Error => new kafkajs.KafkaJSConnectionError(`connect ECONNREFUSED (${name})`)
  const cluster: FakeCluster = {
    name,
    up: true,
    send: async (record) => [{ topicName: record.topic, partition: 0, errorCode: 0 }],
    kafka: undefined as unknown as Kafka,
  }
  const admin = () => ({
    connect: async () => {
      if (!cluster.up) throw refused()
    },
    disconnect: async () => {},
    describeCluster: async () => {
      if (!cluster.up) throw refused()
      return { clusterId: `${name}-id`, brokers: [], controller: 0 }
    },
  })
  const producer = () => ({
    events: {},
    connect: async () => {},
    disconnect: async () => {},
    send: (record: ProducerRecord) => cluster.send(record),
    sendBatch: async (batch: ProducerBatch) => (batch.topicMessages ?? []).map((t) => ({ topicName: t.topic, partition: 0, errorCode: 0 })),
    isIdempotent: () => false,
    on: () => () => {},
  })
  Object.assign(cluster, { kafka: { admin, producer } as unknown as Kafka })
  return cluster
}

/** A client over `clusters` (the first preferred) that probes every 50 ms and tips on one probe. */
export function fakeClient(clusters: FakeCluster[], extra: Partial<MultiClusterKafkaOptions> = {}): MultiClusterKafka {
  return new MultiClusterKafka({
    clusters: Object.fromEntries(clusters.map((c, i) => [c.name, { kafka: c.kafka, priority: i + 1 }])),
    health: { intervalMs: 50, timeoutMs: 500, failureThreshold: 1, successThreshold: 1 },
    discovery: { failbackDelayMs: 0 },
    ...extra,
  })
}

/** Resolves with the next `event` of `dr` (the test's timeout bounds the wait). */
export function next<E extends keyof MultiClusterEvents>(dr: MultiClusterKafka, event: E): Promise<Parameters<MultiClusterEvents[E]>[0]> {
  return new Promise((resolve) => dr.once(event, (e: Parameters<MultiClusterEvents[E]>[0]) => resolve(e)))
}
