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
import { clusterName, groupId, optionalTopic, parseCluster, parseDuration, topicList, unique } from './flag-values.js'
import { COMMANDS, DEFAULT_TIMEOUT_MS, type CommandLine, type CommandName, type GlobalOptions } from './types.js'

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

