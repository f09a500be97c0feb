import { describe, expect, it } from 'vitest'
import { DEFAULT_OPTIONS, DrillUsageError, parseArgs, parseDuration, type DrillOptions } from '../../../src/drill/options.js'

function options(argv: string[]): DrillOptions {
  const parsed = parseArgs(argv)
  if (parsed.help) throw new Error('expected options, got --help')
  return parsed.options
}

function usageError(argv: string[]): string {
  try {
    parseArgs(argv)
  } catch (error) {
    if (error instanceof DrillUsageError) return error.message
    throw error
  }
  throw new Error(`parseArgs accepted ${argv.join(' ')}`)
}

describe('drill options', () => {
  it('defaults to a kill -9 on the local bed at 200 records/s', () => {
    expect(options([])).toEqual({ ...DEFAULT_OPTIONS, clusters: [] })
    expect(options([]).fault).toBe('kill')
  })

  it('reads --flag value and --flag=value, and --help', () => {
    const o = options(['--fault', 'hang', '--rate=500', '--record-bytes', '1024', '--out', '/tmp/x', '--keep-bed', '--plain'])
    expect(o).toMatchObject({ fault: 'hang', rate: 500, recordBytes: 1024, outDir: '/tmp/x', keepBed: true, plain: true })
    expect(parseArgs(['--rate', '5', '--help'])).toEqual({ help: true })
  })

  it('reads durations in seconds, ms and minutes', () => {
    expect(parseDuration('--outage', '30')).toBe(30_000)
    expect(parseDuration('--outage', '2.5s')).toBe(2500)
    expect(parseDuration('--outage', '500ms')).toBe(500)
    expect(parseDuration('--outage', '2m')).toBe(120_000)
  })

  it('splits --duration into warm-up, outage and after, unless a phase is given on its own', () => {
    expect(options(['--duration', '60s'])).toMatchObject({ warmupMs: 15_000, outageMs: 30_000, afterMs: 15_000 })
    expect(options(['--duration', '60s', '--outage', '10s'])).toMatchObject({ warmupMs: 15_000, outageMs: 10_000, afterMs: 35_000 })
  })

  it('reads repeated --cluster flags, most preferred first', () => {
    expect(options(['--cluster', 'east=a:9092,b:9092', '--cluster=west=c:9093']).clusters).toEqual([
      { name: 'east', brokers: ['a:9092', 'b:9092'] },
      { name: 'west', brokers: ['c:9093'] },
    ])
  })

  it('names the flag and what it takes when a value is wrong', () => {
    expect(usageError(['--rate', 'abc'])).toBe("--rate: expected records a second, a whole number from 1 to 100000, got 'abc'")
    expect(usageError(['--rate', '0'])).toContain('--rate')
    expect(usageError(['--fault', 'explode'])).toBe(
      "--fault: expected one of kill, hang, replication-stop, both, flap, lag-then-kill, all-down, standby-restart, garbage-then-kill, got 'explode'",
    )
    expect(usageError(['--outage', 'soon'])).toContain('--outage: expected a duration')
    expect(usageError(['--warmup', '0'])).toContain('--warmup: expected at least 1s')
    expect(usageError(['--bogus'])).toContain("unknown option '--bogus'")
    expect(usageError(['--rate'])).toBe('--rate needs a value')
    expect(usageError(['--rate', '1', '--rate', '2'])).toBe('--rate is given twice')
    expect(usageError(['--json', '--plain'])).toContain('either --json or --plain')
  })

  it('checks --cluster: NAME=HOST:PORT, two clusters at least, no name twice, no --keep-bed', () => {
    expect(usageError(['--cluster', 'dc1'])).toContain('NAME=HOST:PORT')
    expect(usageError(['--cluster', 'dc1=host'])).toBe("--cluster dc1: 'host' is not HOST:PORT")
    expect(usageError(['--cluster', 'dc1=a:1'])).toContain('at least two clusters')
    expect(usageError(['--cluster', 'dc1=a:1', '--cluster', 'dc1=b:1'])).toContain("'dc1' is given twice")
    expect(usageError(['--cluster', 'dc1=a:1', '--cluster', 'dc2=b:1', '--keep-bed'])).toContain('--keep-bed is for the local bed')
  })

  it('reads the chaos faults and their settings, and keeps them to the local bed', () => {
    expect(options(['--fault', 'flap', '--flaps', '4'])).toMatchObject({ fault: 'flap', flaps: 4 })
    expect(options(['--fault', 'lag-then-kill', '--lag-before-kill', '8s'])).toMatchObject({
      fault: 'lag-then-kill',
      lagBeforeKillMs: 8000,
    })
    expect(options(['--fault', 'all-down', '--delivery-timeout', '5s'])).toMatchObject({ fault: 'all-down', deliveryTimeoutMs: 5000 })
    expect(options(['--fault', 'standby-restart']).fault).toBe('standby-restart')
    expect(options(['--fault', 'garbage-then-kill']).fault).toBe('garbage-then-kill')
    expect(usageError(['--flaps', '0'])).toBe("--flaps: expected flaps, a whole number from 1 to 100, got '0'")
    expect(usageError(['--fault', 'flap', '--cluster', 'dc1=a:1', '--cluster', 'dc2=b:1'])).toBe(
      '--fault flap is scripted on the local bed only; with --cluster use one of kill, hang, replication-stop, both',
    )
  })
})

describe('drill options: your clusters from a configuration file', () => {
  it('reads --config, alone or with the operator faults, and refuses it beside --cluster, empty or with a scripted fault', () => {
    expect(options(['--config', 'dr.config.mjs', '--fault', 'hang'])).toMatchObject({
      config: 'dr.config.mjs',
      clusters: [],
      fault: 'hang',
    })
    expect(usageError(['--config', 'x.json', '--cluster', 'dc1=a:1', '--cluster', 'dc2=b:1'])).toBe(
      'give the clusters either with --cluster or with --config, not both',
    )
    expect(usageError(['--config='])).toBe('--config needs a file name')
    expect(usageError(['--config', 'x.json', '--fault', 'flap'])).toBe(
      '--fault flap is scripted on the local bed only; with --config use one of kill, hang, replication-stop, both',
    )
    expect(usageError(['--config', 'x.json', '--keep-bed'])).toContain('with --config the drill starts and stops no cluster')
  })

  it('takes the same --cluster as every command (names of at most 64 characters, no = in a host), and names the usage of its entry point', () => {
    expect(usageError(['--cluster', `${'d'.repeat(65)}=a:1`, '--cluster', 'dc2=b:1'])).toContain('expected NAME=HOST:PORT')
    expect(usageError(['--cluster', 'dc1=a=b:1', '--cluster', 'dc2=b:1'])).toBe("--cluster dc1: 'a=b:1' is not HOST:PORT")
    expect(() => parseArgs(['--falt', 'kill'], 'see kafkajs-dr drill --help')).toThrow(
      "unknown option '--falt' (did you mean --fault?); see kafkajs-dr drill --help",
    )
  })
})
