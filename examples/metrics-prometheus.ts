/**
 * Metrics: kafkajs-dr's OpenTelemetry metrics scraped by Prometheus. The OpenTelemetry SDK with
 * its Prometheus exporter serves them on http://localhost:9464/metrics; a producer and a consumer
 * run while an operator switches to dc2 and back, and the example prints what a scrape shows:
 * the active cluster, the switches, probe latency, checkpoint age and replication lag.
 *
 *   npm run bed:up
 *   npx tsx examples/metrics-prometheus.ts
 *   curl -s localhost:9464/metrics | grep kafkajs_dr    # while it runs
 *
 * METRICS_PORT sets the port (default 9464); DC1_BROKERS / DC2_BROKERS (comma-separated
 * host:port) point it at other clusters. In your service, install `@opentelemetry/api`,
 * `@opentelemetry/sdk-metrics` and `@opentelemetry/exporter-prometheus` (kafkajs-dr itself needs
 * none of them), and call `instrumentMetrics(dr)` before creating producers and consumers.
 *
 * It imports the library by its package name, as your code will. In this repository
 * `npx tsx` resolves that name to the sources through tsconfig.json's `paths` (no build needed);
 * without that tsconfig it resolves through the package's own `exports` to dist/, which
 * `npm run build` makes.
 */
import { pathToFileURL } from 'node:url'
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus'
import { MeterProvider } from '@opentelemetry/sdk-metrics'
import kafkajs from 'kafkajs'
import { instrumentMetrics, MultiClusterKafka } from 'kafkajs-dr'

const { Kafka, logLevel } = kafkajs

/** One sample of a scrape: `name{labels} value`. */
export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

/** What the example did and what Prometheus would have scraped at its end. */
export interface MetricsPrometheusResult {
  /** Records read back. */
  consumed: number
  /** The clusters the client was active on, in order. */
  active: string[]
  /** The scrape's kafkajs-dr samples. */
  samples: Sample[]
}

/** Options of {@link metricsPrometheus}. */
export interface MetricsPrometheusOptions {
  brokers: { dc1: string[]; dc2: string[] }
  topic: string
  /** Port of the Prometheus endpoint. */
  port?: number
  /** Records produced on each cluster. */
  count?: number
}

/** Parses Prometheus' text format (the lines of samples; comments skipped). */
export function parseScrape(text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line)
    if (!match) continue
    const labels: Record<string, string> = {}
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!
    samples.push({ name: match[1]!, labels, value: Number(match[3]) })
  }
  return samples
}

/** Runs a producer and a consumer through a switch to dc2 and back, with metrics served to Prometheus. */
export async function metricsPrometheus(options: MetricsPrometheusOptions): Promise<MetricsPrometheusResult> {
  const { brokers, topic, port = 9464, count = 10 } = options
  // The SDK: a meter provider whose reader is the Prometheus exporter (it serves /metrics).
  const exporter = await new Promise<PrometheusExporter>((resolve, reject) => {
    const created: PrometheusExporter = new PrometheusExporter({ port }, (error) => (error ? reject(error) : resolve(created)))
  })
  const meterProvider = new MeterProvider({ readers: [exporter] })
  // (With `metrics.setGlobalMeterProvider(meterProvider)` from @opentelemetry/api, `instrumentMetrics(dr)` alone finds it.)

  const dr = new MultiClusterKafka({
    clusters: {
      dc1: { kafka: new Kafka({ clientId: 'metrics', brokers: brokers.dc1, logLevel: logLevel.WARN }), priority: 1 },
      dc2: { kafka: new Kafka({ clientId: 'metrics', brokers: brokers.dc2, logLevel: logLevel.WARN }), priority: 2 },
    },
    // Each flow's lag, from MirrorMaker 2's heartbeats, checked every second.
    replicationLag: { intervalMs: 1000 },
  })
  const drMetrics = instrumentMetrics(dr, { meterProvider })
  const producer = dr.producer()
  const consumer = dr.consumer({ groupId: `${topic}-readers`, checkpoint: { intervalMs: 200 } })
  const active: string[] = []
  let consumed = 0
  try {
    await dr.connect()
    active.push(dr.activeCluster!)
    // The topic on both clusters before the service starts: each then has the copy it is read
    // from once it becomes active (a first send to a topic a broker is still creating can fail).
    for (const cluster of ['dc1', 'dc2']) {
      const admin = dr.kafka(cluster).admin()
      await admin.connect()
      try {
        await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true })
      } finally {
        await admin.disconnect()
      }
    }
    await producer.connect()
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({
      eachMessage: async () => {
        consumed++
      },
    })

    const produce = (tag: string) =>
      producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ key: `${tag}-${i}`, value: tag })) })
    const readAll = async (n: number) => {
      while (consumed < n) await new Promise((r) => setTimeout(r, 100))
    }
    await produce('dc1')
    await readAll(count)
    // An operator's drill: dc2, then back to dc1 (two manual switches).
    await dr.failover('dc2', { reason: 'metrics example' })
    active.push(dr.activeCluster!)
    await produce('dc2')
    await readAll(2 * count)
    await dr.failover('dc1', { reason: 'metrics example: back' })
    dr.unpin()
    active.push(dr.activeCluster!)

    // What Prometheus scrapes.
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    const samples = parseScrape(text).filter((s) => s.name.startsWith('kafkajs_dr_'))
    for (const s of samples.filter((x) => !x.name.endsWith('_bucket'))) {
      const labels = Object.entries(s.labels)
        .filter(([k]) => !k.startsWith('otel_scope_'))
        .map(([k, v]) => `${k}="${v}"`)
        .join(',')
      console.log(`${s.name}{${labels}} ${s.value}`)
    }
    return { consumed, active, samples }
  } finally {
    drMetrics.stop()
    await consumer.disconnect()
    await producer.disconnect()
    await dr.disconnect()
    await meterProvider.shutdown()
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const brokers = {
    dc1: (process.env.DC1_BROKERS ?? '127.0.0.1:19092').split(','),
    dc2: (process.env.DC2_BROKERS ?? '127.0.0.1:29092').split(','),
  }
  metricsPrometheus({ brokers, topic: `metrics-${Date.now()}`, port: Number(process.env.METRICS_PORT ?? 9464) }).catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
