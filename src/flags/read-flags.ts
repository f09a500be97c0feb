/**
 * Reads a command line's flags with Node's `util.parseArgs` (`--flag value`, `--flag=value`,
 * `-h`), and checks what it leaves to its caller: an unknown flag, a value missing or given to a
 * switch, a flag given twice; each a {@link UsageError} whose message names the flag.
 */
import { parseArgs } from 'node:util'
import { nearestName } from '../util/validate.js'
import { UsageError } from './errors.js'

/** One flag a command takes, by its long name (`--cluster`). */
export interface FlagSpec {
  /** Takes a value; else a switch. */
  value: boolean
  /** May be given more than once. */
  repeat?: boolean
  /** A one-letter alias, without its dash (`h` for `-h`). */
  short?: string
}

/** The flags a command takes, by their long names (`--cluster`). */
export type FlagSpecs = Readonly<Record<`--${string}`, FlagSpec>>

/** How to read a command line. */
export interface ReadOptions {
  /** Where the usage is, for messages: `see kafkajs-dr --help`. */
  hint: string
  /**
   * Each positional argument in order, with its index in the command line; returns true to stop
   * reading there (the rest belongs to someone else). Without it, a positional argument is refused.
   */
  positional?: (value: string, index: number) => boolean
}

/** The flags read, by long name. */
export interface ReadFlags {
  /** The values of each flag that takes one, in the order given. */
  values: Map<string, string[]>
  /** The switches given. */
  switches: Set<string>
  /** Each flag as it was typed first (`-h` for `--help`), for messages. */
  typed: Map<string, string>
  /** Where reading stopped: the index of the positional argument that stopped it, or the length of `argv`. */
  end: number
}

/** Reads `argv` (without node and the script); throws a {@link UsageError} for anything it refuses. */
export function readFlags(argv: readonly string[], specs: FlagSpecs, options: ReadOptions): ReadFlags {
  const names = Object.keys(specs) as Array<keyof FlagSpecs>
  const config = Object.fromEntries(
    names.map((flag) => {
      const spec = specs[flag]!
      return [
        flag.slice(2),
        {
          type: spec.value ? ('string' as const) : ('boolean' as const),
          multiple: true,
          ...(spec.short === undefined ? {} : { short: spec.short }),
        },
      ]
    }),
  )
  // Not strict: what parseArgs would refuse is refused below, with this package's messages.
  const { tokens } = parseArgs({ args: [...argv], options: config, strict: false, allowPositionals: true, tokens: true })
  const read: ReadFlags = { values: new Map(), switches: new Set(), typed: new Map(), end: argv.length }
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue
    if (token.kind === 'positional') {
      if (options.positional === undefined)
        throw new UsageError(`unexpected argument '${token.value}' (flags take the form --flag value; ${options.hint})`)
      if (options.positional(token.value, token.index)) {
        read.end = token.index
        break
      }
      continue
    }
    const flag = `--${token.name}` as const
    const spec = specs[flag]
    // An unknown short flag (`-x`) comes with its letter as name: it is not `--x`.
    if (spec === undefined || (token.rawName !== flag && token.rawName !== `-${spec.short}`)) {
      const near = nearestName(token.rawName, names)
      throw new UsageError(`unknown option '${token.rawName}'${near === undefined ? '' : ` (did you mean ${near}?)`}; ${options.hint}`)
    }
    if (!read.typed.has(flag)) read.typed.set(flag, token.rawName)
    else if (spec.repeat !== true) throw new UsageError(`${flag} is given twice`)
    if (!spec.value) {
      if (token.value !== undefined) throw new UsageError(`${token.rawName} takes no value`)
      read.switches.add(flag)
      continue
    }
    // parseArgs takes the next argument whatever it is: `--rate --json` is a missing value.
    if (token.value === undefined || (token.inlineValue === false && token.value.startsWith('--')))
      throw new UsageError(`${token.rawName} needs a value`)
    read.values.set(flag, [...(read.values.get(flag) ?? []), token.value])
  }
  return read
}
