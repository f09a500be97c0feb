/**
 * The command line of `kafkajs-dr`: commands, flags (`--flag value` or `--flag=value`, anywhere
 * after the command or before it, read by `util.parseArgs`), and validation with messages that
 * name the flag and the fix (the usage texts are in `usage.ts`). Pure: no I/O, so every rule is
 * unit-tested.
 *
 * @module
 */
import { readFlags, type FlagSpec } from '../flags/read-flags.js'
import { clusterName, parseCluster, parseDuration } from '../flags/values.js'
import type { MissingCheckpointPolicy } from '../offsets/translation-types.js'
import { nearestName } from '../util/validate.js'
import { CliUsageError } from './errors.js'
import { groupId, optionalTopic, topicList, unique } from './flag-values.js'
import { COMMANDS, DEFAULT_TIMEOUT_MS, type CommandLine, type CommandName, type GlobalOptions } from './types.js'

interface CliFlag extends FlagSpec {
  /** Commands it belongs to; `undefined`: every command. */
  commands?: readonly CommandName[]
}

const FLAGS = {
  '--cluster': { value: true, repeat: true },
  '--config': { value: true },
  '--json': { value: false },
  '--debug': { value: false },
  '--timeout': { value: true },
  '--group': { value: true, repeat: true, commands: ['status', 'translate'] },
  '--checkpoint-topic': { value: true, commands: ['status', 'translate'] },
  '--control-topic': { value: true, commands: ['status', 'declare'] },
  '--from': { value: true, commands: ['translate'] },
  '--to': { value: true, commands: ['translate'] },
  '--topics': { value: true, repeat: true, commands: ['translate'] },
  '--apply': { value: false, commands: ['translate'] },
  '--on-missing': { value: true, commands: ['translate'] },
  '--active': { value: true, commands: ['declare'] },
  '--reason': { value: true, commands: ['declare'] },
  '--help': { value: false, repeat: true, short: 'h' },
  '--version': { value: false, short: 'v' },
} as const satisfies Record<`--${string}`, CliFlag>

/** Flags that are no command's option. */
const OWN_FLAGS = new Set(['--help', '--version'])

const MISSING_POLICIES: readonly MissingCheckpointPolicy[] = ['earliest', 'latest', 'error']

const SEE_HELP = 'see kafkajs-dr --help'

/**
 * Reads the command line (without node and the script). Throws {@link CliUsageError} for anything
 * unknown, missing, malformed or given twice.
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  let command: CommandName | undefined
  let helpOn: { command: CommandName | undefined } | undefined
  const flags = readFlags(argv, FLAGS, {
    hint: SEE_HELP,
    positional: (word, index) => {
      if (command !== undefined) throw new CliUsageError(`unexpected argument '${word}' (flags take the form --flag value; ${SEE_HELP})`)
      if (word === 'help') {
        const topic = argv[index + 1]
        helpOn = { command: topic === undefined ? undefined : commandName(topic) }
        return true
      }
      command = commandName(word)
      // Everything after the word drill is the drill's.
      return command === 'drill'
    },
  })
  if (helpOn !== undefined) return { kind: 'help', ...helpOn }
  const { values, switches } = flags
  if (switches.has('--version')) {
    if (argv.length === 1) return { kind: 'version' }
    throw new CliUsageError(`${flags.typed.get('--version')} takes no command or other option`)
  }
  const help = switches.has('--help')
  if (command === 'drill') {
    if (help) return { kind: 'help', command }
    if (values.size > 0 || switches.size > 0)
      throw new CliUsageError('the drill takes its own options, after the word drill (kafkajs-dr drill --help)')
    return { kind: 'drill', argv: argv.slice(flags.end + 1) }
  }
  if (help) return { kind: 'help', command }
  if (command === undefined) throw new CliUsageError(`no command given (${COMMANDS.join(', ')}); ${SEE_HELP}`)

  // Each flag belongs to the command it was given with.
  for (const flag of [...values.keys(), ...switches]) {
    if (OWN_FLAGS.has(flag)) continue
    const commands = (FLAGS[flag as keyof typeof FLAGS] as CliFlag).commands
    if (commands !== undefined && !commands.includes(command)) {
      throw new CliUsageError(`${flag} is an option of ${commands.join(' and ')}, not of ${command}; see kafkajs-dr ${command} --help`)
    }
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
      if (!(MISSING_POLICIES as readonly string[]).includes(onMissing))
        throw new CliUsageError(`--on-missing: expected one of ${MISSING_POLICIES.join(', ')}, got '${onMissing}'`)
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
  const clusters = (values.get('--cluster') ?? []).map((c) => parseCluster(c))
  const config = values.get('--config')?.[0]
  if (config !== undefined && clusters.length > 0)
    throw new CliUsageError('give the clusters either with --cluster or with --config, not both')
  if (config === undefined && clusters.length === 0)
    throw new CliUsageError(
      `give the clusters with --cluster NAME=HOST:PORT (repeat it, most preferred first) or --config FILE; ${SEE_HELP}`,
    )
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
  throw new CliUsageError(
    `unknown command '${word}'${near === undefined ? '' : ` (did you mean ${near}?)`}; commands: ${COMMANDS.join(', ')}`,
  )
}

function required(command: CommandName, flag: string, value: string | undefined): string {
  if (value === undefined) throw new CliUsageError(`${command} needs ${flag}; see kafkajs-dr ${command} --help`)
  return value
}
