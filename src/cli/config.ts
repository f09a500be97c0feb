/**
 * Where the CLI's clusters come from: `--cluster NAME=HOST:PORT` flags, or `--config FILE` holding
 * the {@link MultiClusterKafkaOptions} (a JSON file, or a JS module exporting them so that TLS and
 * SASL are set as in code). Also collects the configuration's secrets, so that the output can be
 * scrubbed of them (see `redact.ts`).
 *
 * Nothing here ever prints a configuration value. A configuration that cannot be parsed is
 * reported by position only: V8's JSON errors quote the text around the error, which may be a
 * password.
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import { extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import kafkajs, { type KafkaConfig } from 'kafkajs'
import type { MultiClusterKafkaOptions } from '../client/types.js'
import { isKafkaInstance } from '../cluster/index.js'
import { isPlainObject } from '../util/validate.js'
import type { GlobalOptions } from './types.js'
import { CliUsageError } from './errors.js'

const { logLevel } = kafkajs

/** The `clientId` of clusters configured with `--cluster`, or by a config without one. */
export const CLI_CLIENT_ID = 'kafkajs-dr-cli'

/** The configuration as given, before the CLI's own settings. */
export interface LoadedConfig {
  /** The options, as given. */
  options: MultiClusterKafkaOptions
  /** Every secret found in them (SASL credentials, TLS keys and certificates), for the output scrubber. */
  secrets: string[]
  /** Where they came from, for messages: `--cluster` or the file name. */
  source: string
}

/** Reads the clusters from the command line or the configuration file. */
export async function loadConfig(global: Pick<GlobalOptions, 'clusters' | 'config'>): Promise<LoadedConfig> {
  if (global.config === undefined) {
    const clusters = Object.fromEntries(
      global.clusters.map((c, i) => [c.name, { kafka: { clientId: CLI_CLIENT_ID, brokers: c.brokers }, priority: i + 1 }]),
    )
    return { options: { clusters, clientId: CLI_CLIENT_ID }, secrets: [], source: '--cluster' }
  }
  const file = global.config
  const loaded = extname(file).toLowerCase() === '.json' ? await readJson(file) : await importModule(file)
  if (!isOptionsObject(loaded)) {
    throw new CliUsageError(
      `the configuration '${file}' must hold the MultiClusterKafka options: an object with \`clusters\` (a JS module exports it as its default export, or a function returning it)`,
    )
  }
  return { options: loaded, secrets: collectSecrets(loaded), source: file }
}

function isOptionsObject(value: unknown): value is MultiClusterKafkaOptions {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'clusters' in value
}

async function readJson(file: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new CliUsageError(`cannot read the configuration '${file}': ${fileError(error)}`)
  }
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    // Only the position: the message of V8 quotes the text around it.
    const at = /position (\d+)/.exec(error instanceof Error ? error.message : '')
    throw new CliUsageError(`the configuration '${file}' is not valid JSON${at === null ? '' : ` (${lineAndColumn(text, Number(at[1]))})`}`)
  }
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position).split('\n')
  return `line ${before.length}, column ${before.at(-1)!.length + 1}`
}

function fileError(error: unknown): string {
  const code = (error as { code?: string }).code
  if (code === 'ENOENT') return 'no such file'
  if (code === 'EACCES') return 'permission denied'
  if (code === 'EISDIR') return 'it is a folder'
  return code ?? 'unreadable'
}

async function importModule(file: string): Promise<unknown> {
  const path = resolve(file)
  let module: Record<string, unknown>
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>
  } catch (error) {
    const code = (error as { code?: string }).code
    if (code === 'ERR_MODULE_NOT_FOUND' && (error as Error).message.includes(path))
      throw new CliUsageError(`cannot read the configuration '${file}': no such file`)
    throw new CliUsageError(`cannot load the configuration module '${file}': ${moduleError(error, file)}`)
  }
  let exported = module.default ?? module.options
  if (typeof exported === 'function') {
    try {
      exported = await (exported as () => unknown)()
    } catch (error) {
      throw new CliUsageError(`the configuration module '${file}' threw: ${moduleError(error, file)}`)
    }
  }
  return exported
}

/**
 * What went wrong in a configuration module, without quoting it: a syntax or reference error's
 * message may quote the source (an unquoted password is a reference error), so only its kind is
 * given, with the way to see it on your own terminal.
 */
function moduleError(error: unknown, file: string): string {
  if (error instanceof SyntaxError) return `SyntaxError (run \`node --check ${file}\` to see where)`
  if (error instanceof ReferenceError) return `ReferenceError: a name it uses is not defined (run \`node ${file}\` to see which)`
  if (error instanceof Error) return `${error.name}: ${error.message.split('\n')[0]}`
  return 'it threw a value that is not an Error'
}

/**
 * The options the CLI's client is built with: the configuration's, with the CLI's bound on
 * `connect()` and kafkajs' own logging off (on at WARN with `--debug`) for clusters given as a
 * kafkajs config. A cluster given as a `Kafka` instance keeps the logger it was built with.
 */
export function cliClientOptions(config: LoadedConfig, global: GlobalOptions): MultiClusterKafkaOptions {
  const level = global.debug ? logLevel.WARN : logLevel.NOTHING
  const clusters = Object.fromEntries(
    Object.entries(config.options.clusters ?? {}).map(([name, cluster]) => {
      if (!isPlainObject(cluster) || isKafkaInstance(cluster.kafka) || !isPlainObject(cluster.kafka)) return [name, cluster]
      return [name, { ...cluster, kafka: { ...(cluster.kafka as KafkaConfig), logLevel: level } }]
    }),
  )
  return {
    ...config.options,
    clientId: config.options.clientId ?? CLI_CLIENT_ID,
    clusters,
    connectTimeoutMs: global.timeoutMs,
  }
}

/** The bootstrap brokers of one cluster, when it is given as a kafkajs config with a list of them. */
export function brokersOf(options: MultiClusterKafkaOptions, cluster: string): string[] | undefined {
  const kafka = (options.clusters?.[cluster] as { kafka?: unknown } | undefined)?.kafka
  if (!isPlainObject(kafka) || !Array.isArray(kafka.brokers)) return undefined
  return kafka.brokers.filter((b): b is string => typeof b === 'string')
}

/** Keys whose values are secrets wherever they appear. */
const SECRET_KEY = /pass|secret|token|credential|private|^key$|^pfx$|^cert$|^ca$/i
/** Keys of `sasl` that are not secrets. */
const PUBLIC_SASL_KEYS = new Set(['mechanism', 'username', 'authorizationIdentity'])

/**
 * Every secret in `options`: each string (or Buffer, as UTF-8) under a kafkajs config's `ssl` and
 * `sasl` (but the SASL mechanism and user name), and under any key that names a secret
 * (`password`, `secretAccessKey`, `token`, `key`, ...). A cluster given as a `Kafka` instance
 * hides its config: give clusters as kafkajs configs to have their secrets scrubbed too.
 */
export function collectSecrets(options: unknown): string[] {
  const found = new Set<string>()
  const seen = new WeakSet()
  const add = (value: unknown): void => {
    if (typeof value === 'string') found.add(value)
    else if (Buffer.isBuffer(value)) found.add(value.toString('utf8'))
    else if (Array.isArray(value)) value.forEach(add)
    else if (isPlainObject(value)) Object.values(value).forEach(add)
  }
  const walk = (value: unknown, depth: number): void => {
    if (depth > 12 || typeof value !== 'object' || value === null || seen.has(value)) return
    if (!Array.isArray(value) && !isPlainObject(value)) return
    seen.add(value)
    for (const [key, child] of Object.entries(value)) {
      if (key === 'ssl') add(child)
      else if (key === 'sasl' && isPlainObject(child)) {
        for (const [saslKey, saslValue] of Object.entries(child)) if (!PUBLIC_SASL_KEYS.has(saslKey)) add(saslValue)
      } else if (SECRET_KEY.test(key)) add(child)
      else walk(child, depth + 1)
    }
  }
  walk(options, 0)
  return [...found].filter((s) => s !== '')
}
