/**
 * The metrics kafkajs-dr exports: names (after the prefix), instruments, units and attributes,
 * in one table. Names follow OpenTelemetry's conventions: lowercase dot-separated namespaces,
 * snake_case words, the unit in `unit` (UCUM: `s`, `1`, `{record}`), never in the name; counters of
 * things are plural, durations are histograms in seconds. The table of docs/metrics.md lists the
 * same.
 *
 * Attributes are short and unnamespaced (`cluster`, `group`, ...) where no semantic convention
 * exists for them; `error.type` is the semantic-convention attribute for a failure's kind.
 *
 * @module
 */

/** The default prefix of every metric name. */
export const DEFAULT_METRICS_PREFIX = 'kafkajs_dr'

/** The instrumentation scope of the meter obtained from a `MeterProvider` or the global API. */
export const METER_NAME = 'kafkajs-dr'

/** Attribute keys. */
export const ATTR = {
  /** A cluster's name, as configured in `clusters`. */
  cluster: 'cluster',
  /** A switch's kind: `failover`, `failback` or `manual`. */
  kind: 'kind',
  /** How a switch (`complete`, `failed`) or a probe (`ok`, `failed`) ended. */
  outcome: 'outcome',
  /** The cluster records are replicated from. */
  source: 'source',
  /** The cluster records are replicated to. */
  target: 'target',
  /** The cluster a send failed on before it was re-sent. */
  from: 'from',
  /** The cluster that acknowledged a re-sent send. */
  to: 'to',
  /** A consumer group. */
  group: 'group',
  /** The error code of a failure (`ERR_TIMEOUT`, `ERR_KAFKAJS`, `ERR_CLUSTER_ID_CHANGED`, ...). */
  errorType: 'error.type',
} as const

/** One metric: its name after the prefix, instrument, unit and description. */
export interface MetricDefinition {
  /** The name after `<prefix>.`. */
  name: string
  /** The OpenTelemetry instrument. */
  instrument: 'gauge' | 'counter' | 'histogram'
  /** UCUM unit. */
  unit: string
  /** What it measures (the Prometheus `HELP`). */
  description: string
  /** The attributes of its data points. */
  attributes: readonly string[]
  /** Histogram bucket boundaries (advice to the SDK), in the unit. */
  buckets?: number[]
}

/** Bucket boundaries for probes, in s: the semantic conventions' HTTP request duration buckets. */
const PROBE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]
/** Bucket boundaries for switches, in s: from a warm standby (sub-second) to `switchTimeoutMs`. */
const SWITCH_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

/** Every metric, by a short key. */
export const METRICS = {
  clusterActive: {
    name: 'cluster.active',
    instrument: 'gauge',
    unit: '1',
    description: 'Whether the cluster is the active one: 1 for the active cluster, 0 for every other.',
    attributes: [ATTR.cluster],
  },
  switches: {
    name: 'switches',
    instrument: 'counter',
    unit: '{switch}',
    description: 'Switches of the active cluster, by kind and outcome (the initial choice is not counted).',
    attributes: [ATTR.kind, ATTR.outcome],
  },
  switchDuration: {
    name: 'switch.duration',
    instrument: 'histogram',
    unit: 's',
    description: 'Time from the start of a switch until every producer and consumer moved (or the switch failed).',
    attributes: [ATTR.kind, ATTR.outcome],
    buckets: SWITCH_BUCKETS,
  },
  probeDuration: {
    name: 'probe.duration',
    instrument: 'histogram',
    unit: 's',
    description: 'Duration of the health probes of discovery, by cluster and outcome.',
    attributes: [ATTR.cluster, ATTR.outcome],
    buckets: PROBE_BUCKETS,
  },
  probeFailures: {
    name: 'probe.failures',
    instrument: 'counter',
    unit: '{probe}',
    description: 'Failed health probes, by cluster and error code.',
    attributes: [ATTR.cluster, ATTR.errorType],
  },
  replicationLag: {
    name: 'replication.lag',
    instrument: 'gauge',
    unit: 's',
    description: 'Replication lag of each flow between two clusters, where it is known.',
    attributes: [ATTR.source, ATTR.target],
  },
  checkpointAge: {
    name: 'checkpoint.age',
    instrument: 'gauge',
    unit: 's',
    description: 'Time since the last checkpoint of the consumer group was written to the cluster.',
    attributes: [ATTR.group, ATTR.cluster],
  },
  resentRecords: {
    name: 'producer.resent.records',
    instrument: 'counter',
    unit: '{record}',
    description: 'Records re-sent to another cluster after a send failed on one.',
    attributes: [ATTR.from, ATTR.to],
  },
  deduplicatedRecords: {
    name: 'consumer.deduplicated.records',
    instrument: 'counter',
    unit: '{record}',
    description: 'Records not delivered by consumers, being copies of records delivered already (dedupe).',
    attributes: [ATTR.group, ATTR.cluster],
  },
} as const satisfies Record<string, MetricDefinition>

/** The key of one metric in {@link METRICS}. */
export type MetricKey = keyof typeof METRICS

/** The full name of a metric under `prefix`. */
export function metricName(prefix: string, key: MetricKey): string {
  return `${prefix}.${METRICS[key].name}`
}
