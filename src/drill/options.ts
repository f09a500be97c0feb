/**
 * The drill's settings: defaults, the command-line flags that set them, validation with messages
 * that name the flag and the fix, and the usage text of `npm run drill -- --help`.
 */

/** The fault the drill injects (on the local bed) or asks the operator for (on your clusters). */
export type FaultKind = 'kill' | 'hang' | 'replication-stop' | 'both' | 'flap' | 'lag-then-kill' | 'all-down' | 'standby-restart' | 'garbage-then-kill'

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

/** A cluster given with `--cluster NAME=HOST:PORT[,HOST:PORT...]`. */
export interface ClusterAddress {
  name: string
  brokers: string[]
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
  /** Your clusters, most preferred first; empty for the local bed. */
  clusters: ClusterAddress[]
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
  keepBed: false,
  json: false,
  plain: false,
  outDir: '.',
  flaps: 10,
  lagBeforeKillMs: 30_000,
  deliveryTimeoutMs: undefined,
}

/** A flag that is wrong: the message says which and what it takes. */
export class DrillUsageError extends Error {
  override name = 'DrillUsageError'
}

/** The usage text. */
export const USAGE = `npm run drill -- [options]

A disaster drill: an example service (a kafkajs-dr producer at a steady rate and a consumer
group) runs on two Kafka clusters replicated by MirrorMaker 2 while a datacenter fails and comes
back. It shows the active cluster, rates, lags and events live, then prints a summary and writes
drill-report.json and drill-timeline.svg. Exits 1 when an acknowledged record was never consumed.

Without --cluster it runs on the local bed (dc1, dc2, MirrorMaker 2 both ways), starting it if
it is not up (the first start downloads Kafka with Maven) and stopping it afterwards if it
started it.

Options:
  --fault KIND            ${Object.entries(FAULTS).map(([k, v]) => `${k}: ${v}`).join('\n                          ')}
                          (default: ${DEFAULT_OPTIONS.fault})
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
                          one of your clusters, most preferred first (repeat, at least two);
                          you cause the fault when the drill asks, and it measures
  --keep-bed              leave the local bed running even when the drill started it
  --out DIR               folder for drill-report.json and drill-timeline.svg (default: .)
  --json                  print the report as JSON on stdout (progress goes to stderr)
  --plain                 timestamped lines instead of the live view
  -h, --help              this text

T is a duration: 30 (seconds), 30s, 500ms or 2m.

Examples:
  npm run drill
  npm run drill -- --fault hang --rate 500 --duration 60s
  npm run drill -- --cluster dc1=kafka-a:9092 --cluster dc2=kafka-b:9092 --fault kill
`

/** Reads a duration: `30` (seconds), `30s`, `500ms`, `2m`. */
export function parseDuration(flag: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim())
  if (!match) throw new DrillUsageError(`${flag}: expected a duration such as 30, 30s, 500ms or 2m, got '${value}'`)
  const unit = match[2] ?? 's'
  return Math.round(Number(match[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000))
}

function parseInteger(flag: string, value: string, min: number, max: number, what: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new DrillUsageError(`${flag}: expected ${what}, a whole number from ${min} to ${max}, got '${value}'`)
  }
  return n
}

function parseFault(value: string): FaultKind {
  if (value in FAULTS) return value as FaultKind
  throw new DrillUsageError(`--fault: expected one of ${Object.keys(FAULTS).join(', ')}, got '${value}'`)
}

const CLUSTER_NAME = /^[A-Za-z0-9_-]+$/
const BROKER = /^[^\s:,]+:\d{1,5}$/

/** Reads `NAME=HOST:PORT[,HOST:PORT...]`. */
export function parseCluster(value: string): ClusterAddress {
  const at = value.indexOf('=')
  const name = at > 0 ? value.slice(0, at) : ''
  const brokers = at > 0 ? value.slice(at + 1).split(',').map((b) => b.trim()).filter((b) => b !== '') : []
  if (!CLUSTER_NAME.test(name) || brokers.length === 0) {
    throw new DrillUsageError(`--cluster: expected NAME=HOST:PORT[,HOST:PORT...] (for example dc1=kafka-a:9092), got '${value}'`)
  }
  const bad = brokers.find((b) => !BROKER.test(b) || Number(b.slice(b.lastIndexOf(':') + 1)) > 65535)
  if (bad !== undefined) throw new DrillUsageError(`--cluster ${name}: '${bad}' is not HOST:PORT`)
  return { name, brokers }
}

/** Flags that take no value. */
const SWITCHES = new Set(['--keep-bed', '--json', '--plain', '--help', '-h'])
/** Flags that take a value. */
const VALUED = new Set(['--fault', '--rate', '--record-bytes', '--duration', '--warmup', '--outage', '--after', '--failback-delay', '--failback-timeout', '--drain-timeout', '--consumers', '--partitions', '--topic', '--cluster', '--out', '--flaps', '--lag-before-kill', '--delivery-timeout'])

/** What the command line asked for: the options, or the usage text. */
export type ParsedArgs = { help: true } | { help: false, options: DrillOptions }

/**
 * Reads the command line (`--flag value` or `--flag=value`). Throws {@link DrillUsageError} for
 * anything unknown, missing or out of range.
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const options: DrillOptions = { ...DEFAULT_OPTIONS, clusters: [] }
  const given = new Set<string>()
  let duration: number | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1
    const flag = eq > 0 ? arg.slice(0, eq) : arg
    if (SWITCHES.has(flag)) {
      if (eq > 0) throw new DrillUsageError(`${flag} takes no value`)
      if (flag === '--help' || flag === '-h') return { help: true }
      if (flag === '--keep-bed') options.keepBed = true
      if (flag === '--json') options.json = true
      if (flag === '--plain') options.plain = true
      continue
    }
    if (!VALUED.has(flag)) throw new DrillUsageError(`unknown option '${arg}' (see npm run drill -- --help)`)
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i]
    if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new DrillUsageError(`${flag} needs a value`)
    if (flag !== '--cluster' && given.has(flag)) throw new DrillUsageError(`${flag} is given twice`)
    given.add(flag)
    switch (flag) {
      case '--fault': options.fault = parseFault(value); break
      case '--rate': options.rate = parseInteger(flag, value, 1, 100_000, 'records a second'); break
      case '--record-bytes': options.recordBytes = parseInteger(flag, value, 16, 1_000_000, 'bytes a record'); break
      case '--duration':
        duration = parseDuration(flag, value)
        if (duration < 4000) throw new DrillUsageError(`--duration: expected at least 4s, got '${value}'`)
        break
      case '--warmup': options.warmupMs = parseDuration(flag, value); break
      case '--outage': options.outageMs = parseDuration(flag, value); break
      case '--after': options.afterMs = parseDuration(flag, value); break
      case '--failback-delay': options.failbackDelayMs = parseDuration(flag, value); break
      case '--failback-timeout': options.failbackTimeoutMs = parseDuration(flag, value); break
      case '--drain-timeout': options.drainTimeoutMs = parseDuration(flag, value); break
      case '--consumers': options.consumers = parseInteger(flag, value, 1, 32, 'consumer instances'); break
      case '--partitions': options.partitions = parseInteger(flag, value, 1, 1000, 'partitions'); break
      case '--topic':
        if (!/^[A-Za-z0-9._-]{1,200}$/.test(value)) throw new DrillUsageError(`--topic: '${value}' is not a Kafka topic name (letters, digits, '.', '_', '-')`)
        options.topic = value
        break
      case '--cluster': options.clusters.push(parseCluster(value)); break
      case '--out': options.outDir = value; break
      case '--flaps': options.flaps = parseInteger(flag, value, 1, 100, 'flaps'); break
      case '--lag-before-kill': options.lagBeforeKillMs = parseDuration(flag, value); break
      case '--delivery-timeout': options.deliveryTimeoutMs = parseDuration(flag, value); break
    }
  }
  // --duration shares the load time out among the phases that were not given on their own.
  if (duration !== undefined) {
    if (!given.has('--warmup')) options.warmupMs = Math.round(duration / 4)
    if (!given.has('--outage')) options.outageMs = Math.round(duration / 2)
    if (!given.has('--after')) options.afterMs = Math.max(0, duration - options.warmupMs - options.outageMs)
  }
  validate(options)
  return { help: false, options }
}

function validate(options: DrillOptions): void {
  if (options.warmupMs < 1000) throw new DrillUsageError('--warmup: expected at least 1s, so that the consumer is reading before the fault')
  if (options.outageMs < 1000) throw new DrillUsageError('--outage: expected at least 1s')
  if (options.drainTimeoutMs < 1000) throw new DrillUsageError('--drain-timeout: expected at least 1s')
  if (options.failbackTimeoutMs < options.failbackDelayMs) throw new DrillUsageError('--failback-timeout: expected at least the --failback-delay')
  if (options.clusters.length > 0) {
    if (options.clusters.length < 2) throw new DrillUsageError('--cluster: give at least two clusters (the most preferred first)')
    const names = options.clusters.map((c) => c.name)
    const twice = names.find((n, i) => names.indexOf(n) !== i)
    if (twice !== undefined) throw new DrillUsageError(`--cluster: '${twice}' is given twice`)
    if (options.keepBed) throw new DrillUsageError('--keep-bed is for the local bed; with --cluster the drill starts and stops no cluster')
    if (!OPERATOR_FAULTS.includes(options.fault)) throw new DrillUsageError(`--fault ${options.fault} is scripted on the local bed only; with --cluster use one of ${OPERATOR_FAULTS.join(', ')}`)
  }
  if (options.json && options.plain) throw new DrillUsageError('use either --json or --plain (--json already prints plain lines, on stderr)')
}
