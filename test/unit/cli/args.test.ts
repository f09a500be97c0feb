import { describe, expect, it } from 'vitest'
import { parseCommandLine } from '../../../src/cli/args.js'
import { DEFAULT_TIMEOUT_MS, type CommandLine } from '../../../src/cli/types.js'
import { USAGE } from '../../../src/cli/usage.js'
import { CliUsageError } from '../../../src/cli/errors.js'

const C = ['--cluster', 'dc1=a:9092', '--cluster', 'dc2=b:9092,c:9093']

function usageError(argv: string[]): string {
  try {
    parseCommandLine(argv)
  } catch (error) {
    if (error instanceof CliUsageError) {
      expect(error.exitCode).toBe(2)
      expect(error.message).not.toContain('\n')
      return error.message
    }
    throw error
  }
  throw new Error(`accepted: ${argv.join(' ')}`)
}

function parsed<K extends CommandLine['kind']>(kind: K, argv: string[]): Extract<CommandLine, { kind: K }> {
  const line = parseCommandLine(argv)
  expect(line.kind).toBe(kind)
  return line as Extract<CommandLine, { kind: K }>
}

describe('kafkajs-dr command line', () => {
  it('reads status with --cluster flags, in order, and the defaults', () => {
    const line = parsed('status', ['status', ...C])
    expect(line.global).toEqual({
      clusters: [
        { name: 'dc1', brokers: ['a:9092'] },
        { name: 'dc2', brokers: ['b:9092', 'c:9093'] },
      ],
      config: undefined,
      json: false,
      debug: false,
      timeoutMs: DEFAULT_TIMEOUT_MS,
    })
    expect(line.options).toEqual({ groups: [], checkpointTopic: undefined, controlTopic: undefined })
  })

  it('takes flags before or after the command, --flag=value, and repeated --group', () => {
    const line = parsed('status', [
      '--json',
      '--config=dr.config.js',
      'status',
      '--group',
      'a',
      '--group=b',
      '--group',
      'a',
      '--timeout',
      '2500ms',
      '--debug',
    ])
    expect(line.global).toMatchObject({ config: 'dr.config.js', json: true, debug: true, timeoutMs: 2500, clusters: [] })
    expect(line.options.groups).toEqual(['a', 'b'])
  })

  it('reads translate, with --topics as a comma list (repeatable) and the defaults', () => {
    const line = parsed('translate', [
      'translate',
      ...C,
      '--group',
      'billing',
      '--from',
      'dc1',
      '--to',
      'dc2',
      '--topics',
      'orders, payments',
      '--topics=orders,refunds',
      '--apply',
    ])
    expect(line.options).toEqual({
      group: 'billing',
      from: 'dc1',
      to: 'dc2',
      topics: ['orders', 'payments', 'refunds'],
      apply: true,
      onMissing: 'earliest',
      checkpointTopic: undefined,
    })
    expect(
      parsed('translate', ['translate', ...C, '--group', 'g', '--from', 'dc1', '--to', 'dc2', '--on-missing', 'error']).options,
    ).toMatchObject({ topics: undefined, apply: false, onMissing: 'error' })
  })

  it('reads declare', () => {
    expect(
      parsed('declare', ['declare', ...C, '--active', 'dc2', '--reason', 'dc1 maintenance', '--control-topic', 'ops.control']).options,
    ).toEqual({ active: 'dc2', reason: 'dc1 maintenance', controlTopic: 'ops.control' })
  })

  it('passes everything after drill to the drill, untouched', () => {
    expect(parseCommandLine(['drill', '--fault', 'hang', '--json', '--bogus'])).toEqual({
      kind: 'drill',
      argv: ['--fault', 'hang', '--json', '--bogus'],
    })
    expect(parseCommandLine(['drill'])).toEqual({ kind: 'drill', argv: [] })
    expect(usageError(['--json', 'drill'])).toContain('after the word drill')
  })

  it('answers --help, help <command>, and --version', () => {
    expect(parseCommandLine(['--help'])).toEqual({ kind: 'help', command: undefined })
    expect(parseCommandLine(['-h'])).toEqual({ kind: 'help', command: undefined })
    expect(parseCommandLine(['status', '--help'])).toEqual({ kind: 'help', command: 'status' })
    // Help wins over what is missing or wrong.
    expect(parseCommandLine(['translate', '--group', 'g', '-h'])).toEqual({ kind: 'help', command: 'translate' })
    expect(parseCommandLine(['help', 'declare'])).toEqual({ kind: 'help', command: 'declare' })
    expect(parseCommandLine(['help'])).toEqual({ kind: 'help', command: undefined })
    expect(parseCommandLine(['--help', 'drill'])).toEqual({ kind: 'help', command: 'drill' })
    expect(parseCommandLine(['--version'])).toEqual({ kind: 'version' })
    for (const text of Object.values(USAGE)) expect(text.length).toBeGreaterThan(100)
  })

  it('refuses unknown commands and flags, with a suggestion when one is close', () => {
    expect(usageError([])).toBe('no command given (status, translate, declare, drill); see kafkajs-dr --help')
    expect(usageError(['stauts', ...C])).toBe(
      "unknown command 'stauts' (did you mean status?); commands: status, translate, declare, drill",
    )
    expect(usageError(['frobnicate'])).toBe("unknown command 'frobnicate'; commands: status, translate, declare, drill")
    expect(usageError(['status', ...C, '--grop', 'g'])).toBe("unknown option '--grop' (did you mean --group?); see kafkajs-dr --help")
    expect(usageError(['status', ...C, '-x'])).toBe("unknown option '-x'; see kafkajs-dr --help")
    expect(usageError(['status', 'extra', ...C])).toContain("unexpected argument 'extra'")
    expect(usageError(['help', 'nope'])).toContain("unknown command 'nope'")
    expect(usageError(['status', '--version'])).toContain('--version takes no command')
  })

  it('refuses a flag of another command, a missing value, a value on a switch, and a flag given twice', () => {
    expect(usageError(['status', ...C, '--apply'])).toBe('--apply is an option of translate, not of status; see kafkajs-dr status --help')
    expect(usageError(['declare', ...C, '--active', 'dc2', '--group', 'g'])).toBe(
      '--group is an option of status and translate, not of declare; see kafkajs-dr declare --help',
    )
    expect(usageError(['status', ...C, '--group'])).toBe('--group needs a value')
    expect(usageError(['status', '--config', '--json'])).toBe('--config needs a value')
    expect(usageError(['status', ...C, '--json=yes'])).toBe('--json takes no value')
    expect(usageError(['status', ...C, '--json', '--json'])).toBe('--json is given twice')
    expect(usageError(['status', ...C, '--timeout', '1s', '--timeout', '2s'])).toBe('--timeout is given twice')
    expect(usageError(['translate', ...C, '--group', 'a', '--group', 'b', '--from', 'dc1', '--to', 'dc2'])).toContain(
      '--group is given twice',
    )
  })

  it('needs the clusters, from one source only, each name once', () => {
    expect(usageError(['status'])).toContain('give the clusters with --cluster NAME=HOST:PORT')
    expect(usageError(['status', ...C, '--config', 'x.json'])).toBe('give the clusters either with --cluster or with --config, not both')
    expect(usageError(['status', '--cluster', 'dc1=a:1', '--cluster', 'dc1=b:2'])).toBe("--cluster: 'dc1' is given twice")
    expect(usageError(['status', '--config='])).toBe('--config needs a file name')
  })

  it('needs the required flags of each command, and checks their values', () => {
    expect(usageError(['translate', ...C, '--from', 'dc1', '--to', 'dc2'])).toBe('translate needs --group; see kafkajs-dr translate --help')
    expect(usageError(['translate', ...C, '--group', 'g', '--to', 'dc2'])).toBe('translate needs --from; see kafkajs-dr translate --help')
    expect(usageError(['translate', ...C, '--group', 'g', '--from', 'dc1'])).toBe('translate needs --to; see kafkajs-dr translate --help')
    expect(usageError(['translate', ...C, '--group', 'g', '--from', 'dc1', '--to', 'dc1'])).toBe(
      "--from and --to name the same cluster 'dc1'",
    )
    expect(usageError(['translate', ...C, '--group', 'g', '--from', 'dc 1', '--to', 'dc2'])).toContain(
      "--from: 'dc 1' is not a cluster name",
    )
    expect(usageError(['translate', ...C, '--group', 'g', '--from', 'dc1', '--to', 'dc2', '--on-missing', 'skip'])).toBe(
      "--on-missing: expected one of earliest, latest, error, got 'skip'",
    )
    expect(usageError(['translate', ...C, '--group', 'g', '--from', 'dc1', '--to', 'dc2', '--topics', 'a,b c'])).toContain(
      "--topics: 'b c' is not a Kafka topic name",
    )
    expect(usageError(['translate', ...C, '--group', 'g', '--from', 'dc1', '--to', 'dc2', '--topics', ','])).toContain(
      '--topics needs at least one topic',
    )
    expect(usageError(['translate', ...C, '--group', ' ', '--from', 'dc1', '--to', 'dc2'])).toBe('--group needs a consumer group id')
    expect(usageError(['declare', ...C])).toBe('declare needs --active; see kafkajs-dr declare --help')
    expect(usageError(['status', ...C, '--checkpoint-topic', 'a/b'])).toContain("--checkpoint-topic: 'a/b' is not a Kafka topic name")
    expect(usageError(['status', ...C, '--timeout', '10x'])).toContain('--timeout: expected a duration')
    expect(usageError(['status', ...C, '--timeout', '5ms'])).toContain('--timeout: expected at least 100 ms')
  })
})
