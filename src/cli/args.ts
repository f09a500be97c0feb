/**
 * The command line of `kafkajs-dr`: commands, flags (`--flag value` or `--flag=value`, anywhere
 * after the command or before it), and validation with messages that name the flag and the fix
 * (the usage texts are in `usage.ts`). Pure: no I/O, so every rule is unit-tested.
 *
 * @module
 */
import type { MissingCheckpointPolicy } from '../offsets/translation-types.js'
import { nearestName } from '../util/validate.js'
import { CliUsageError } from './errors.js'

/** The commands. */
export const COMMANDS = ['status', 'translate', 'declare', 'drill'] as const
/** One of {@link COMMANDS}. */
export type CommandName = typeof COMMANDS[number]

/** A cluster given with `--cluster NAME=HOST:PORT[,HOST:PORT...]`. */
export interface ClusterAddress {
  name: string
  brokers: string[]
}

/** Flags every command (but `drill`) takes. */
export interface GlobalOptions {
  /** `--cluster`, in the order given (most preferred first). */
  clusters: ClusterAddress[]
  /** `--config FILE`. */
  config: string | undefined
  /** `--json`: one JSON document on stdout. */
  json: boolean
  /** `--debug`: stack traces and the library's debug log on stderr. */
  debug: boolean
  /** `--timeout T`: bound on each cluster's part of the command, in ms. */
  timeoutMs: number
}

/** `status` options. */
export interface StatusOptions {
  /** `--group G` (repeatable). */
  groups: string[]
  /** `--checkpoint-topic`: the kafkajs-dr checkpoint topic's logical name. */
  checkpointTopic: string | undefined
  /** `--control-topic`: the declared policy's control topic. */
  controlTopic: string | undefined
}

/** `translate` options. */
export interface TranslateOptions {
  group: string
  from: string
  to: string
  /** `--topics` (logical names); undefined: the group's own topics. */
  topics: string[] | undefined
  /** `--apply`: commit the translated offsets. */
  apply: boolean
  /** `--on-missing`: what a partition without a usable checkpoint gets. */
  onMissing: MissingCheckpointPolicy
  checkpointTopic: string | undefined
}

/** `declare` options. */
export interface DeclareOptions {
  /** `--active`: the cluster to declare active. */
  active: string
  /** `--reason`. */
  reason: string | undefined
  controlTopic: string | undefined
}

/** What the command line asks for. */
export type CommandLine =
  | { kind: 'help', command: CommandName | undefined }
  | { kind: 'version' }
  | { kind: 'drill', argv: string[] }
  | { kind: 'status', global: GlobalOptions, options: StatusOptions }
  | { kind: 'translate', global: GlobalOptions, options: TranslateOptions }
  | { kind: 'declare', global: GlobalOptions, options: DeclareOptions }

/** Default of `--timeout`. */
export const DEFAULT_TIMEOUT_MS = 10_000

interface FlagSpec {
  /** Takes a value. */
  value: boolean
  /** May be given more than once. */
  repeat: boolean
  /** Commands it belongs to; `undefined`: every command. */
  commands: readonly CommandName[] | undefined
}

const FLAGS: Readonly<Record<string, FlagSpec>> = {
  '--cluster': { value: true, repeat: true, commands: undefined },
  '--config': { value: true, repeat: false, commands: undefined },
  '--json': { value: false, repeat: false, commands: undefined },
  '--debug': { value: false, repeat: false, commands: undefined },
  '--timeout': { value: true, repeat: false, commands: undefined },
  '--group': { value: true, repeat: true, commands: ['status', 'translate'] },
  '--checkpoint-topic': { value: true, repeat: false, commands: ['status', 'translate'] },
  '--control-topic': { value: true, repeat: false, commands: ['status', 'declare'] },
  '--from': { value: true, repeat: false, commands: ['translate'] },
  '--to': { value: true, repeat: false, commands: ['translate'] },
  '--topics': { value: true, repeat: true, commands: ['translate'] },
  '--apply': { value: false, repeat: false, commands: ['translate'] },
  '--on-missing': { value: true, repeat: false, commands: ['translate'] },
  '--active': { value: true, repeat: false, commands: ['declare'] },
  '--reason': { value: true, repeat: false, commands: ['declare'] },
}
const HELP_FLAGS = new Set(['--help', '-h'])

const CLUSTER_NAME = /^[A-Za-z0-9_-]{1,64}$/
const BROKER = /^[^\s:,=]+:\d{1,5}$/
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/
const MISSING_POLICIES: readonly MissingCheckpointPolicy[] = ['earliest', 'latest', 'error']

const SEE_HELP = 'see kafkajs-dr --help'

/**
 * Reads the command line (without node and the script). Throws {@link CliUsageError} for anything
 * unknown, missing, malformed or given twice.
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  let command: CommandName | undefined
  let help = false
  const values = new Map<string, string[]>()
  const switches = new Set<string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (HELP_FLAGS.has(arg)) {
      help = true
      continue
    }
    if (arg === '--version' || arg === '-v') {
      if (command === undefined && argv.length === 1) return { kind: 'version' }
      throw new CliUsageError(`${arg} takes no command or other option`)
    }
    if (!arg.startsWith('-')) {
      if (command !== undefined) throw new CliUsageError(`unexpected argument '${arg}' (flags take the form --flag value; ${SEE_HELP})`)
      if (arg === 'help') {
        const topic = argv[i + 1]
        if (topic === undefined) return { kind: 'help', command: undefined }
        return { kind: 'help', command: commandName(topic) }
      }
      command = commandName(arg)
      if (command === 'drill') {
        if (help) return { kind: 'help', command }
        if (values.size > 0 || switches.size > 0) throw new CliUsageError('the drill takes its own options, after the word drill (kafkajs-dr drill --help)')
        return { kind: 'drill', argv: argv.slice(i + 1) }
      }
      continue
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1
    const flag = eq > 0 ? arg.slice(0, eq) : arg
    const spec = FLAGS[flag]
    if (spec === undefined) {
      const near = nearestName(flag, [...Object.keys(FLAGS), '--help', '--version'])
      throw new CliUsageError(`unknown option '${flag}'${near === undefined ? '' : ` (did you mean ${near}?)`}; ${SEE_HELP}`)
    }
    if (!spec.value) {
      if (eq > 0) throw new CliUsageError(`${flag} takes no value`)
      if (switches.has(flag)) throw new CliUsageError(`${flag} is given twice`)
      switches.add(flag)
      continue
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i]
    if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new CliUsageError(`${flag} needs a value`)
    const list = values.get(flag) ?? []
    list.push(value)
    values.set(flag, list)
  }
  if (help) return { kind: 'help', command }
  if (command === undefined) throw new CliUsageError(`no command given (${COMMANDS.join(', ')}); ${SEE_HELP}`)

  // Each flag belongs to the command it was given with, and only repeatable ones come twice.
  for (const flag of [...values.keys(), ...switches]) {
    const spec = FLAGS[flag]!
    if (spec.commands !== undefined && !spec.commands.includes(command)) {
      throw new CliUsageError(`${flag} is an option of ${spec.commands.join(' and ')}, not of ${command}; see kafkajs-dr ${command} --help`)
    }
    if (!spec.repeat && (values.get(flag)?.length ?? 0) > 1) throw new CliUsageError(`${flag} is given twice`)
  }
  const one = (flag: string): string | undefined => values.get(flag)?.[0]
  const global = globalOptions(values, switches)

  switch (command) {
    case 'status':
      return {
        kind: 'status',
        global,
        options: {
          groups: unique((values.get('--group') ?? []).map((g) => groupId(g))),
          checkpointTopic: optionalTopic('--checkpoint-topic', one('--checkpoint-topic')),
          controlTopic: optionalTopic('--control-topic', one('--control-topic')),
        },
      }
    case 'translate': {
      const groups = values.get('--group') ?? []
      if (groups.length > 1) throw new CliUsageError('--group is given twice (translate moves one group at a time)')
      const from = clusterName('--from', required('translate', '--from', one('--from')))
      const to = clusterName('--to', required('translate', '--to', one('--to')))
      if (from === to) throw new CliUsageError(`--from and --to name the same cluster '${from}'`)
      const onMissing = one('--on-missing') ?? 'earliest'
      if (!(MISSING_POLICIES as readonly string[]).includes(onMissing)) throw new CliUsageError(`--on-missing: expected one of ${MISSING_POLICIES.join(', ')}, got '${onMissing}'`)
      const topicsGiven = values.get('--topics')
      return {
        kind: 'translate',
        global,
        options: {
          group: groupId(required('translate', '--group', groups[0])),
          from,
          to,
          topics: topicsGiven === undefined ? undefined : topicList(topicsGiven),
          apply: switches.has('--apply'),
          onMissing: onMissing as MissingCheckpointPolicy,
          checkpointTopic: optionalTopic('--checkpoint-topic', one('--checkpoint-topic')),
        },
      }
    }
    case 'declare':
      return {
        kind: 'declare',
        global,
        options: {
          active: clusterName('--active', required('declare', '--active', one('--active'))),
          reason: one('--reason'),
          controlTopic: optionalTopic('--control-topic', one('--control-topic')),
        },
      }
    default:
      // `drill` returned above.
      throw new CliUsageError(`unknown command '${command as string}'`)
  }
}

function globalOptions(values: Map<string, string[]>, switches: Set<string>): GlobalOptions {
  const clusters = (values.get('--cluster') ?? []).map(parseCluster)
  const config = values.get('--config')?.[0]
  if (config !== undefined && clusters.length > 0) throw new CliUsageError('give the clusters either with --cluster or with --config, not both')
  if (config === undefined && clusters.length === 0) throw new CliUsageError(`give the clusters with --cluster NAME=HOST:PORT (repeat it, most preferred first) or --config FILE; ${SEE_HELP}`)
  if (config === '') throw new CliUsageError('--config needs a file name')
  const names = clusters.map((c) => c.name)
  const twice = names.find((n, i) => names.indexOf(n) !== i)
  if (twice !== undefined) throw new CliUsageError(`--cluster: '${twice}' is given twice`)
  const timeout = values.get('--timeout')?.[0]
  return {
    clusters,
    config,
    json: switches.has('--json'),
    debug: switches.has('--debug'),
    timeoutMs: timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration('--timeout', timeout, 100),
  }
}

function commandName(word: string): CommandName {
  if ((COMMANDS as readonly string[]).includes(word)) return word as CommandName
  const near = nearestName(word, COMMANDS)
  throw new CliUsageError(`unknown command '${word}'${near === undefined ? '' : ` (did you mean ${near}?)`}; commands: ${COMMANDS.join(', ')}`)
}

function required(command: CommandName, flag: string, value: string | undefined): string {
  if (value === undefined) throw new CliUsageError(`${command} needs ${flag}; see kafkajs-dr ${command} --help`)
  return value
}

function unique<T>(list: T[]): T[] {
  return [...new Set(list)]
}

function groupId(value: string): string {
  if (value.trim() === '') throw new CliUsageError('--group needs a consumer group id')
  return value
}

function clusterName(flag: string, value: string): string {
  if (!CLUSTER_NAME.test(value)) throw new CliUsageError(`${flag}: '${value}' is not a cluster name (letters, digits, '_', '-')`)
  return value
}

function optionalTopic(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  if (!TOPIC.test(value)) throw new CliUsageError(`${flag}: '${value}' is not a Kafka topic name (letters, digits, '.', '_', '-')`)
  return value
}

/** `--topics a,b --topics c`: the logical topics, each once, in order. */
function topicList(values: readonly string[]): string[] {
  const topics = values.flatMap((v) => v.split(',')).map((t) => t.trim()).filter((t) => t !== '')
  if (topics.length === 0) throw new CliUsageError('--topics needs at least one topic name (comma-separated)')
  const bad = topics.find((t) => !TOPIC.test(t))
  if (bad !== undefined) throw new CliUsageError(`--topics: '${bad}' is not a Kafka topic name (letters, digits, '.', '_', '-')`)
  return unique(topics)
}

/** Reads `NAME=HOST:PORT[,HOST:PORT...]`. */
export function parseCluster(value: string): ClusterAddress {
  const at = value.indexOf('=')
  const name = at > 0 ? value.slice(0, at) : ''
  const brokers = at > 0 ? value.slice(at + 1).split(',').map((b) => b.trim()).filter((b) => b !== '') : []
  if (!CLUSTER_NAME.test(name) || brokers.length === 0) {
    throw new CliUsageError(`--cluster: expected NAME=HOST:PORT[,HOST:PORT...] (for example dc1=kafka-a:9092), got '${value}'`)
  }
  const bad = brokers.find((b) => !BROKER.test(b) || Number(b.slice(b.lastIndexOf(':') + 1)) > 65535)
  if (bad !== undefined) throw new CliUsageError(`--cluster ${name}: '${bad}' is not HOST:PORT`)
  return { name, brokers }
}

/** Reads a duration: `30` (seconds), `30s`, `500ms`, `2m`. */
export function parseDuration(flag: string, value: string, minMs = 0): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim())
  if (!match) throw new CliUsageError(`${flag}: expected a duration such as 30, 30s, 500ms or 2m, got '${value}'`)
  const unit = match[2] ?? 's'
  const ms = Math.round(Number(match[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000))
  if (ms < minMs) throw new CliUsageError(`${flag}: expected at least ${minMs} ms, got '${value}'`)
  return ms
}
