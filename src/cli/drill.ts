/**
 * `kafkajs-dr drill`: the disaster drill on your clusters, from an npm install. The drill's code is
 * in `src/drill/`; this is its command: the flags, the clusters (`--cluster`, or `--config` with
 * each cluster's kafkajs settings, TLS and SASL included), the secrets kept out of every output
 * and of the files, Ctrl-C, and the exit code. The repository's `npm run drill` is the same
 * command with the local bed as its default environment (`drill/cli.ts`).
 *
 * Exit codes: 0 nothing acknowledged was lost; 1 something was, or the drill could not run or
 * finish (a cluster unreachable); 2 a wrong flag or configuration (nothing attempted); 130 Ctrl-C.
 *
 * @module
 */
import type { KafkaConfig } from 'kafkajs'
import { resolveOptions } from '../client/options.js'
import { isKafkaInstance } from '../cluster/index.js'
import { InvalidOptionError } from '../errors/index.js'
import { UsageError } from '../flags/errors.js'
import { USAGE, parseArgs, type DrillCluster, type DrillOptions } from '../drill/options.js'
import { runDrill, type DrillResult, type DrillRuntime } from '../drill/run-drill.js'
import { loadConfig, type LoadedConfig } from './config.js'
import { installRedaction, Redactor } from './redact.js'

/** Signals this close to the first Ctrl-C are the same Ctrl-C, relayed. */
const SAME_INTERRUPT_MS = 1500

/** Options of the configuration that the drill uses; it says which others it leaves aside. */
const USED_KEYS = new Set(['clusters', 'clientId'])

/** How an entry point runs the drill. */
export interface DrillCommand {
  /** Prefix of the error lines: `kafkajs-dr` or `drill`. */
  name: string
  /** Where the usage is, for messages. */
  hint: string
  /**
   * Runs the drill. Without `--cluster` and `--config`, `options.clusters` is empty: the
   * repository's entry point runs on its local bed; without `withoutClusters` the command refuses.
   */
  run: (options: DrillOptions, runtime: DrillRuntime) => Promise<DrillResult>
  /** Whether `run` has somewhere to go without clusters (the local bed of a clone). */
  withoutClusters?: boolean
  /** Added to the line of a second Ctrl-C (`run npm run bed:down if ...`). */
  afterSecondInterrupt?: string
}

/** `kafkajs-dr drill`: your clusters only. */
export const PACKAGE_DRILL: DrillCommand = {
  name: 'kafkajs-dr',
  hint: 'see kafkajs-dr drill --help',
  run: runDrill,
}

/** Runs the drill command with `argv` (after the word `drill`); resolves with the exit code. */
export async function drillCommand(argv: readonly string[], command: DrillCommand = PACKAGE_DRILL): Promise<number> {
  let prepared: Prepared | 'help'
  try {
    prepared = await prepare(argv, command)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    process.stderr.write(`${command.name}: ${error.message}\n`)
    return error.exitCode
  }
  if (prepared === 'help') {
    process.stdout.write(USAGE)
    return 0
  }
  return runCommand(command, prepared.options, prepared.redact)
}

/** A drill ready to run: its options with the clusters of `--config` read, and the scrubber of their secrets. */
interface Prepared {
  options: DrillOptions
  redact: (text: string) => string
}

async function prepare(argv: readonly string[], command: DrillCommand): Promise<Prepared | 'help'> {
  const parsed = parseArgs(argv, command.hint)
  if (parsed.help) return 'help'
  const { options } = parsed
  if (options.clusters.length === 0 && options.config === undefined && command.withoutClusters !== true) {
    throw new UsageError(
      'give your clusters with --cluster NAME=HOST:PORT (twice or more, most preferred first) or --config FILE; the local two-datacenter bed runs from a clone of the kafkajs-dr repository (npm run drill)',
    )
  }
  if (options.config === undefined) return { options, redact: (text) => text }
  const config = await loadConfig({ clusters: [], config: options.config })
  // Before anything can print (an invalid option's message may hold a value), and for the rest of
  // the process: kafkajs may still log while its clients close.
  const redactor = new Redactor(config.secrets)
  installRedaction(redactor)
  const clusters = drillClusters(config)
  const ignored = Object.keys(config.options).filter((key) => !USED_KEYS.has(key))
  if (ignored.length > 0) {
    ;(options.json ? process.stderr : process.stdout).write(
      `the drill takes the clusters (their kafkajs settings and priorities) from ${config.source}, not its ${ignored.join(', ')}: its service keeps its own client settings\n`,
    )
  }
  return { options: { ...options, clusters }, redact: (text) => redactor.redact(text) }
}

async function runCommand(command: DrillCommand, options: DrillOptions, redact: (text: string) => string): Promise<number> {
  const controller = new AbortController()
  let interruptedAt = 0
  const onInterrupt = (): void => {
    // One Ctrl-C can arrive more than once: the terminal signals the whole process group, and npm
    // (or tsx) relays it to this process as well. A second one counts only a moment later.
    if (controller.signal.aborted && Date.now() - interruptedAt < SAME_INTERRUPT_MS) return
    if (controller.signal.aborted) {
      process.stderr.write(`\n${command.name}: second Ctrl-C, exiting now${command.afterSecondInterrupt ?? ''}\n`)
      process.exit(130)
    }
    process.stderr.write(`\n${command.name}: Ctrl-C, stopping...\n`)
    interruptedAt = Date.now()
    controller.abort()
  }
  process.on('SIGINT', onInterrupt)
  process.on('SIGTERM', onInterrupt)
  try {
    const { exitCode } = await command.run(options, { signal: controller.signal, redact })
    return exitCode
  } catch (error) {
    if (controller.signal.aborted) return 130
    process.stderr.write(`${command.name}: ${error instanceof Error ? error.message : String(error)}\n`)
    return 1
  } finally {
    process.off('SIGINT', onInterrupt)
    process.off('SIGTERM', onInterrupt)
  }
}

/**
 * The clusters of a configuration, most preferred first (by `priority`, then in the order given),
 * each with its kafkajs config. Throws a {@link UsageError} for an invalid configuration, fewer
 * than two clusters, or a cluster given as a `Kafka` instance or with a brokers function (the
 * drill builds its own clients, and needs the brokers for its messages).
 */
export function drillClusters(config: LoadedConfig): DrillCluster[] {
  let resolved
  try {
    resolved = resolveOptions(config.options)
  } catch (error) {
    if (error instanceof InvalidOptionError) throw new UsageError(`invalid configuration (${config.source}): ${error.message}`)
    throw error
  }
  const ordered = resolved.clusters
    .map((c, i) => ({ c, i }))
    .sort((a, b) => a.c.priority - b.c.priority || a.i - b.i)
    .map(({ c }) => c)
  if (ordered.length < 2)
    throw new UsageError(`the configuration '${config.source}' has ${ordered.length} cluster: the drill needs two or more`)
  return ordered.map(({ name, kafka }) => {
    if (isKafkaInstance(kafka))
      throw new UsageError(
        `clusters.${name}.kafka in '${config.source}' is a kafkajs Kafka instance: the drill builds its own clients, so give its kafkajs config (brokers, ssl, sasl) instead`,
      )
    const settings: KafkaConfig = kafka
    if (!Array.isArray(settings.brokers))
      throw new UsageError(`clusters.${name}.kafka.brokers in '${config.source}' is a function: the drill needs the list of HOST:PORT`)
    const cluster: DrillCluster = { name, brokers: [...settings.brokers] }
    // Not enumerable: whatever prints or serializes a cluster must not show its secrets.
    Object.defineProperty(cluster, 'kafka', { value: settings, enumerable: false })
    return cluster
  })
}
