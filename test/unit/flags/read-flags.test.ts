import { describe, expect, it } from 'vitest'
import { readFlags, UsageError, type FlagSpecs } from '../../../src/flags/index.js'

const SPECS: FlagSpecs = {
  '--rate': { value: true },
  '--cluster': { value: true, repeat: true },
  '--json': { value: false },
  '--help': { value: false, repeat: true, short: 'h' },
}

function refused(argv: string[], positional?: (value: string, index: number) => boolean): string {
  try {
    readFlags(argv, SPECS, { hint: 'see tool --help', positional })
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).exitCode).toBe(2)
    return (error as Error).message
  }
  throw new Error(`accepted: ${argv.join(' ')}`)
}

describe('readFlags (util.parseArgs underneath)', () => {
  it('reads --flag value, --flag=value, repeated flags in order, switches and short aliases', () => {
    const read = readFlags(['--rate', '5', '--cluster=a=h:1', '--cluster', 'b=h:2', '--json', '-h'], SPECS, { hint: '' })
    expect(read.values).toEqual(
      new Map([
        ['--rate', ['5']],
        ['--cluster', ['a=h:1', 'b=h:2']],
      ]),
    )
    expect(read.switches).toEqual(new Set(['--json', '--help']))
    expect(read.typed.get('--help')).toBe('-h')
    expect(read.end).toBe(7)
  })

  it('takes a value that starts with one dash, and an empty one after =', () => {
    expect(readFlags(['--rate', '-5'], SPECS, { hint: '' }).values.get('--rate')).toEqual(['-5'])
    expect(readFlags(['--rate='], SPECS, { hint: '' }).values.get('--rate')).toEqual([''])
  })

  it('hands positional arguments to the caller, which may stop there', () => {
    const seen: Array<[string, number]> = []
    const read = readFlags(['--json', 'drill', '--bogus'], SPECS, {
      hint: '',
      positional: (value, index) => {
        seen.push([value, index])
        return value === 'drill'
      },
    })
    expect(seen).toEqual([['drill', 1]])
    expect(read.end).toBe(1)
    expect(read.switches).toEqual(new Set(['--json']))
  })

  it('refuses, naming the flag: unknown ones (with the nearest), a missing value, a value on a switch, twice', () => {
    expect(refused(['--rat', '5'])).toBe("unknown option '--rat' (did you mean --rate?); see tool --help")
    expect(refused(['-x'])).toBe("unknown option '-x'; see tool --help")
    expect(refused(['--bogus=1'])).toBe("unknown option '--bogus'; see tool --help")
    expect(refused(['--rate'])).toBe('--rate needs a value')
    expect(refused(['--rate', '--json'])).toBe('--rate needs a value')
    expect(refused(['--json=yes'])).toBe('--json takes no value')
    expect(refused(['--json', '--json'])).toBe('--json is given twice')
    expect(refused(['--rate', '1', '--rate=2'])).toBe('--rate is given twice')
    expect(refused(['word'])).toBe("unexpected argument 'word' (flags take the form --flag value; see tool --help)")
    expect(() => readFlags(['-h', '--help'], SPECS, { hint: '' })).not.toThrow()
  })
})
