/**
 * The drill's settings: defaults, the command-line flags that set them (read with
 * `util.parseArgs`, see `src/flags/`), validation with messages that name the flag and the fix,
 * and the usage text of `kafkajs-dr drill --help` and `npm run drill -- --help`.
 */
import type { KafkaConfig } from 'kafkajs'
import { UsageError } from '../flags/errors.js'
import { readFlags } from '../flags/read-flags.js'
import { parseCluster, parseDuration, topicName, wholeNumber, type ClusterAddress } from '../flags/values.js'

export { parseDuration } from '../flags/values.js'
export type { ClusterAddress } from '../flags/values.js'

/** The fault the drill injects (on the local bed) or asks the operator for (on your clusters). */
export type FaultKind =
  'kill' | 'hang' | 'replication-stop' | 'both' | 'flap' | 'lag-then-kill' | 'all-down' | 'standby-restart' | 'garbage-then-kill'

/** The faults, with what each does on the local bed (for the usage text and the report). */
export const FAULTS: Readonly<Record<FaultKind, string>> = {
  kill: 'kill -9 of the preferred cluster (dc1)',
  hang: 'SIGSTOP of the preferred cluster: it hangs with its sockets open, then SIGCONT',
  'replication-stop': 'MirrorMaker 2 stopped: no failover, replication lag grows, then it is started again',
  both: 'kill -9 of the preferred cluster and of MirrorMaker 2 at the same moment',
  flap: 'the preferred cluster hangs (SIGSTOP) and answers again (SIGCONT), --flaps times in quick succession',
  'lag-then-kill': 'MirrorMaker 2 stopped for --lag-before-kill, then kill -9 of the preferred cluster: the unreplicated tail is counted',
  'all-down': 'kill -9 of both clusters; the survivor is started first, the preferred cluster a few seconds later',
  'standby-restart': 'a broker restart (SIGTERM, start) of the standby cluster in steady state: nothing should switch',
  'garbage-then-kill': 'garbage, truncated and future-version records written to the checkpoint topics, then kill -9',
}

/** Faults an operator can cause on their own clusters when the drill asks (the others are scripted on the local bed). */
export const OPERATOR_FAULTS: readonly FaultKind[] = ['kill', 'hang', 'replication-stop', 'both']

/** Faults after which the service should run on the survivor (the others should not move it). */
export function failsOver(fault: FaultKind): boolean {
  return fault !== 'replication-stop' && fault !== 'standby-restart'
}

/** One of the clusters the drill runs on: its name and bootstrap brokers, and its kafkajs settings when `--config` gave them. */
export interface DrillCluster extends ClusterAddress {
  /**
   * The cluster's kafkajs config from `--config` (TLS, SASL, timeouts...); the drill's clients set
   * their own `clientId` default and `logLevel`. It holds secrets: never in the report or a message.
   */
  kafka?: KafkaConfig
}

/** The kafkajs config of a cluster: the one `--config` gave (TLS, SASL...), else its brokers alone. */
export function kafkaConfig(cluster: DrillCluster): KafkaConfig {
  return { ...cluster.kafka, brokers: cluster.brokers }
}

/** Everything a drill run is told. Durations in ms. */
export interface DrillOptions {
  fault: FaultKind
  /** Records a second the producer sends. */
  rate: number
  /** Bytes of each record's value. */
  recordBytes: number
  /** Load before the fault. */
  warmupMs: number
  /** From the fault until the cluster (or replication) is brought back. */
  outageMs: number
  /** Load after the failback (or after replication is back). */
  afterMs: number
  /** The priority policy's failback delay: how long the preferred cluster must be up again. */
  failbackDelayMs: number
  /** Most time to wait for the failback once the cluster is back. */
  failbackTimeoutMs: number
  /** Most time to wait, after the load stopped, for every acknowledged record to be consumed. */
  drainTimeoutMs: number
  /** Consumer instances of the group (each with its own client, as separate services would be). */
  consumers: number
  /** Partitions of the drill topic (when the drill creates it). */
  partitions: number
  /** Topic to use; by default a new one per run. */
  topic: string | undefined
  /** Your clusters, most preferred first (`--cluster`, or read from `config` before the drill runs); empty for the local bed. */
  clusters: DrillCluster[]
  /** `--config FILE`: your clusters with their kafkajs settings (the file `kafkajs-dr status` takes). */
  config: string | undefined
  /** Leave the local bed running even when the drill started it. */
  keepBed: boolean
  /** Print the report as JSON on stdout (everything else goes to stderr). */
  json: boolean
  /** Plain timestamped lines instead of the live view, even in a terminal. */
  plain: boolean
  /** Folder for drill-report.json and drill-timeline.svg. */
  outDir: string
  /** `flap`: how many times the preferred cluster hangs and comes back. */
  flaps: number
  /** `lag-then-kill`: how long MirrorMaker 2 is stopped before the kill. */
  lagBeforeKillMs: number
  /** The producer's `deliveryTimeoutMs`; undefined: the library's default. */
  deliveryTimeoutMs: number | undefined
}

/** The defaults of every setting. */
export const DEFAULT_OPTIONS: Readonly<DrillOptions> = {
  fault: 'kill',
  rate: 200,
  recordBytes: 256,
  warmupMs: 10_000,
  outageMs: 20_000,
  afterMs: 10_000,
  failbackDelayMs: 5_000,
  failbackTimeoutMs: 120_000,
  // A hang can stall a MirrorMaker 2 flow until its supervisor restarts it (about a minute on the
  // bed), and the records written meanwhile are consumed only once they are replicated.
  drainTimeoutMs: 180_000,
  consumers: 1,
  partitions: 6,
  topic: undefined,
  clusters: [],
  config: undefined,
  keepBed: false,
  json: false,
  plain: false,
  outDir: '.',
  flaps: 10,
  lagBeforeKillMs: 30_000,
  deliveryTimeoutMs: undefined,
}

/** A flag that is wrong: the message says which and what it takes (the package's {@link UsageError}, exit code 2). */
export { UsageError as DrillUsageError } from '../flags/errors.js'

/** The usage text. */
export const USAGE = `kafkajs-dr drill --cluster NAME=HOST:PORT --cluster NAME=HOST:PORT [options]
kafkajs-dr drill --config FILE [options]
npm run drill -- [options]          (from a clone of the repository: the local bed)

A disaster drill: an example service (a kafkajs-dr producer at a steady rate and a consumer
group) runs on two Kafka clusters replicated by MirrorMaker 2 while a datacenter fails and comes
back. It shows the active cluster, rates, lags and events live, then prints a summary and writes
drill-report.json and drill-timeline.svg. Exits 1 when an acknowledged record was never consumed.

On your clusters (--cluster or --config) the drill breaks nothing itself: it tells you when to
stop the preferred cluster (or MirrorMaker 2) and when to bring it back, and watches for it. It
creates a topic and a consumer group named kafkajs-dr-drill-<run> on every cluster (or uses
--topic), and writes checkpoints to kafkajs-dr.checkpoints. The picture needs vega and
vega-lite beside kafkajs-dr (npm install vega vega-lite); the report does not.

From a clone of the repository, npm run drill without --cluster or --config runs on the local
bed (dc1, dc2, MirrorMaker 2 both ways), starting it if it is not up (the first start downloads
Kafka with Maven) and stopping it afterwards if it started it; the drill injects every fault.

Options:
  --fault KIND            ${Object.entries(FAULTS)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n                          ')}
                          (default: ${DEFAULT_OPTIONS.fault}; on your clusters: ${OPERATOR_FAULTS.join(', ')})
  --rate N                records a second (default ${DEFAULT_OPTIONS.rate})
  --record-bytes N        bytes of each record's value (default ${DEFAULT_OPTIONS.recordBytes})
  --duration T            total load time, split 1/4 warm-up, 1/2 outage, 1/4 after the failback
  --warmup T              load before the fault (default ${DEFAULT_OPTIONS.warmupMs / 1000}s)
  --outage T              from the fault until the cluster is brought back (default ${DEFAULT_OPTIONS.outageMs / 1000}s)
  --after T               load after the failback (default ${DEFAULT_OPTIONS.afterMs / 1000}s)
  --failback-delay T      time the preferred cluster must be back before the failback (default ${DEFAULT_OPTIONS.failbackDelayMs / 1000}s)
  --failback-timeout T    most time to wait for the failback (default ${DEFAULT_OPTIONS.failbackTimeoutMs / 1000}s)
  --drain-timeout T       most time to wait until every acknowledged record is consumed (default ${DEFAULT_OPTIONS.drainTimeoutMs / 1000}s)
  --consumers N           consumer instances in the group (default ${DEFAULT_OPTIONS.consumers})
  --partitions N          partitions of the drill topic (default ${DEFAULT_OPTIONS.partitions})
  --flaps N               flap: times the cluster hangs and comes back (default ${DEFAULT_OPTIONS.flaps})
  --lag-before-kill T     lag-then-kill: MirrorMaker 2 stopped this long before the kill (default ${DEFAULT_OPTIONS.lagBeforeKillMs / 1000}s)
  --delivery-timeout T    the producer's deliveryTimeoutMs (default: the library's, 30s)
  --topic NAME            topic to use (default: a new one per run, created on every cluster)
  --cluster NAME=HOST:PORT[,HOST:PORT]
                          one of your clusters, most preferred first (repeat, at least two)
  --config FILE           your clusters with their kafkajs settings, TLS and SASL included: the
                          MultiClusterKafka options as kafkajs-dr status takes them (a .json file,
                          or a JS module exporting them); each cluster's kafka must be a kafkajs
                          config with brokers, most preferred first by priority. Its secrets are
                          kept out of every output and of the report
  --keep-bed              leave the local bed running even when the drill started it
  --out DIR               folder for drill-report.json and drill-timeline.svg (default: .)
  --json                  print the report as JSON on stdout (progress goes to stderr)
  --plain                 timestamped lines instead of the live view
  -h, --help              this text

T is a duration: 30 (seconds), 30s, 500ms or 2m.

Exit codes: 0 nothing acknowledged was lost; 1 something was (or the drill could not finish);
2 a wrong flag or configuration; 130 interrupted (Ctrl-C).

Examples:
  kafkajs-dr drill --cluster dc1=kafka-a:9092 --cluster dc2=kafka-b:9092 --fault kill
  kafkajs-dr drill --config dr.config.mjs --topic drill-test --out drill-out
  npm run drill -- --fault hang --rate 500 --duration 60s
`

function parseFault(value: string): FaultKind {
  if (value in FAULTS) return value as FaultKind
  throw new UsageError(`--fault: expected one of ${Object.keys(FAULTS).join(', ')}, got '${value}'`)
}

/** The longest `--topic`: its copies (`<cluster>.<topic>`) must be legal names too. */
const MAX_TOPIC_LENGTH = 200

const FLAGS = {
  '--fault': { value: true },
  '--rate': { value: true },
  '--record-bytes': { value: true },
  '--duration': { value: true },
  '--warmup': { value: true },
  '--outage': { value: true },
  '--after': { value: true },
  '--failback-delay': { value: true },
  '--failback-timeout': { value: true },
  '--drain-timeout': { value: true },
  '--consumers': { value: true },
  '--partitions': { value: true },
  '--topic': { value: true },
  '--cluster': { value: true, repeat: true },
  '--config': { value: true },
  '--out': { value: true },
  '--flaps': { value: true },
  '--lag-before-kill': { value: true },
  '--delivery-timeout': { value: true },
  '--keep-bed': { value: false },
  '--json': { value: false },
  '--plain': { value: false },
  '--help': { value: false, repeat: true, short: 'h' },
} as const

/** What the command line asked for: the options, or the usage text. */
export type ParsedArgs = { help: true } | { help: false; options: DrillOptions }

/**
 * Reads the command line (`--flag value` or `--flag=value`). Throws a {@link UsageError} for
 * anything unknown, missing or out of range; `hint` says where the usage is.
 */
export function parseArgs(argv: readonly string[], hint = 'see npm run drill -- --help'): ParsedArgs {
  const { values, switches } = readFlags(argv, FLAGS, { hint })
  if (switches.has('--help')) return { help: true }
  const options: DrillOptions = { ...DEFAULT_OPTIONS, clusters: [] }
  const one = (flag: keyof typeof FLAGS): string | undefined => values.get(flag)?.[0]
  const given = (flag: keyof typeof FLAGS, read: (value: string) => void): void => {
    const value = one(flag)
    if (value !== undefined) read(value)
  }
  given('--fault', (v) => {
    options.fault = parseFault(v)
  })
  given('--rate', (v) => {
    options.rate = wholeNumber('--rate', v, 1, 100_000, 'records a second')
  })
  given('--record-bytes', (v) => {
    options.recordBytes = wholeNumber('--record-bytes', v, 16, 1_000_000, 'bytes a record')
  })
  let duration: number | undefined
  given('--duration', (v) => {
    duration = parseDuration('--duration', v)
    if (duration < 4000) throw new UsageError(`--duration: expected at least 4s, got '${v}'`)
  })
  given('--warmup', (v) => {
    options.warmupMs = parseDuration('--warmup', v)
  })
  given('--outage', (v) => {
    options.outageMs = parseDuration('--outage', v)
  })
  given('--after', (v) => {
    options.afterMs = parseDuration('--after', v)
  })
  given('--failback-delay', (v) => {
    options.failbackDelayMs = parseDuration('--failback-delay', v)
  })
  given('--failback-timeout', (v) => {
    options.failbackTimeoutMs = parseDuration('--failback-timeout', v)
  })
  given('--drain-timeout', (v) => {
    options.drainTimeoutMs = parseDuration('--drain-timeout', v)
  })
  given('--consumers', (v) => {
    options.consumers = wholeNumber('--consumers', v, 1, 32, 'consumer instances')
  })
  given('--partitions', (v) => {
    options.partitions = wholeNumber('--partitions', v, 1, 1000, 'partitions')
  })
  given('--topic', (v) => {
    options.topic = topicName('--topic', v, MAX_TOPIC_LENGTH)
  })
  options.clusters = (values.get('--cluster') ?? []).map((v) => parseCluster(v))
  given('--config', (v) => {
    if (v === '') throw new UsageError('--config needs a file name')
    options.config = v
  })
  given('--out', (v) => {
    options.outDir = v
  })
  given('--flaps', (v) => {
    options.flaps = wholeNumber('--flaps', v, 1, 100, 'flaps')
  })
  given('--lag-before-kill', (v) => {
    options.lagBeforeKillMs = parseDuration('--lag-before-kill', v)
  })
  given('--delivery-timeout', (v) => {
    options.deliveryTimeoutMs = parseDuration('--delivery-timeout', v)
  })
  options.keepBed = switches.has('--keep-bed')
  options.json = switches.has('--json')
  options.plain = switches.has('--plain')
  // --duration shares the load time out among the phases that were not given on their own.
  if (duration !== undefined) {
    if (!values.has('--warmup')) options.warmupMs = Math.round(duration / 4)
    if (!values.has('--outage')) options.outageMs = Math.round(duration / 2)
    if (!values.has('--after')) options.afterMs = Math.max(0, duration - options.warmupMs - options.outageMs)
  }
  validate(options)
  return { help: false, options }
}

function validate(options: DrillOptions): void {
  if (options.warmupMs < 1000) throw new UsageError('--warmup: expected at least 1s, so that the consumer is reading before the fault')
  if (options.outageMs < 1000) throw new UsageError('--outage: expected at least 1s')
  if (options.drainTimeoutMs < 1000) throw new UsageError('--drain-timeout: expected at least 1s')
  if (options.failbackTimeoutMs < options.failbackDelayMs)
    throw new UsageError('--failback-timeout: expected at least the --failback-delay')
  if (options.config !== undefined && options.clusters.length > 0)
    throw new UsageError('give the clusters either with --cluster or with --config, not both')
  if (options.clusters.length > 0) {
    if (options.clusters.length < 2) throw new UsageError('--cluster: give at least two clusters (the most preferred first)')
    const names = options.clusters.map((c) => c.name)
    const twice = names.find((n, i) => names.indexOf(n) !== i)
    if (twice !== undefined) throw new UsageError(`--cluster: '${twice}' is given twice`)
  }
  const yours = options.config !== undefined ? '--config' : options.clusters.length > 0 ? '--cluster' : undefined
  if (yours !== undefined) {
    if (options.keepBed) throw new UsageError(`--keep-bed is for the local bed; with ${yours} the drill starts and stops no cluster`)
    if (!OPERATOR_FAULTS.includes(options.fault))
      throw new UsageError(
        `--fault ${options.fault} is scripted on the local bed only; with ${yours} use one of ${OPERATOR_FAULTS.join(', ')}`,
      )
  }
  if (options.json && options.plain) throw new UsageError('use either --json or --plain (--json already prints plain lines, on stderr)')
}
