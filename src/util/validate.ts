/**
 * Small, strict option validation. Every failure throws {@link InvalidOptionError} with a message
 * that names the option's path, what was expected and what was given:
 * "Expected `clusters.dc2.priority` to be an integer, got 'high'".
 */
import { InvalidOptionError } from '../errors/index.js'

/**
 * Largest delay Node's timers accept, in ms (2^31 - 1). A larger one is replaced by 1 ms with only
 * a warning, so an interval meant to be long would fire continuously: use it as the `max` of every
 * option that becomes a timer.
 */
export const MAX_TIMER_MS = 2_147_483_647

/** Short, safe rendering of a value for an error message (never dumps whole objects or secrets). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'function') return 'a function'
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- only primitives are left: numbers, bigints, booleans, symbols, undefined
  return String(value)
}

function fail(path: string, expected: string, value: unknown, fix?: string): never {
  const hint = fix ? `; ${fix}` : ''
  throw new InvalidOptionError(path, `Expected \`${path}\` to be ${expected}, got ${describeValue(value)}${hint}`)
}

/** Whether `value` is a plain object (not an array, not null, not a class instance like a Buffer). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

/**
 * Edit distance between `a` and `b`: the fewest insertions, deletions, substitutions and swaps of
 * two neighbouring characters that turn one into the other (optimal string alignment). Swaps
 * count as one edit because they are the commonest typo (`onMissingCheckpiont`).
 *
 * @example
 * ```ts
 * editDistance('intervalMs', 'intrevalMs') // 1
 * ```
 */
export function editDistance(a: string, b: string): number {
  const width = b.length + 1
  // One row per character of `a`, flattened; d(i, j) is the distance between a[0, i) and b[0, j).
  const d = new Array<number>((a.length + 1) * width).fill(0)
  const at = (i: number, j: number): number => d[i * width + j]!
  for (let i = 0; i <= a.length; i++) d[i * width] = i
  for (let j = 0; j <= b.length; j++) d[j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      let distance = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1))
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) distance = Math.min(distance, at(i - 2, j - 2) + 1)
      d[i * width + j] = distance
    }
  }
  return at(a.length, b.length)
}

/**
 * The name in `candidates` nearest to `name`, when it is close enough to be a likely typo of it:
 * at most one edit per three characters of the longer name, ignoring case (`groupID` suggests
 * `groupId`). `undefined` when nothing is that close: a far-fetched guess misleads more than no
 * guess. On a tie the earlier candidate wins.
 *
 * @example
 * ```ts
 * nearestName('onMissingCheckpiont', ['checkpoint', 'onMissingCheckpoint']) // 'onMissingCheckpoint'
 * nearestName('banana', ['checkpoint', 'onMissingCheckpoint']) // undefined
 * ```
 */
export function nearestName(name: string, candidates: readonly string[]): string | undefined {
  let nearest: string | undefined
  let nearestDistance = Number.POSITIVE_INFINITY
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase())
    const limit = Math.floor(Math.max(name.length, candidate.length) / 3)
    if (distance <= limit && distance < nearestDistance) {
      nearest = candidate
      nearestDistance = distance
    }
  }
  return nearest
}

/**
 * Asserts a plain object whose keys are all in `allowed`. An unknown key is rejected with the
 * nearest known name when one is close ({@link nearestName}: "Unknown option
 * `consumer.onMissingCheckpiont`; did you mean `onMissingCheckpoint`?"), else with the list of
 * known ones. With `root`, `value` is a whole options object: its keys are named without a
 * prefix, like every other path ("Unknown option `cluster`", not "`options.cluster`").
 */
export function expectObject(value: unknown, path: string, allowed?: readonly string[], root = false): Record<string, unknown> {
  if (!isPlainObject(value)) fail(path, 'an object', value)
  if (allowed) {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        const keyPath = root ? key : `${path}.${key}`
        const suggestion = nearestName(key, allowed)
        const fix =
          suggestion === undefined
            ? `known options ${root ? '' : `of \`${path}\` `}are: ${allowed.join(', ')}`
            : `did you mean \`${suggestion}\`?`
        throw new InvalidOptionError(keyPath, `Unknown option \`${keyPath}\`; ${fix}`)
      }
    }
  }
  return value
}

/** Asserts an integer within bounds; `undefined` returns `fallback`. */
export function expectInt(value: unknown, path: string, fallback: number, bounds: { min?: number; max?: number } = {}): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value)) fail(path, 'an integer', value)
  const { min, max } = bounds
  if (min !== undefined && value < min) fail(path, `an integer ≥ ${min}`, value)
  if (max !== undefined && value > max) fail(path, `an integer ≤ ${max}`, value)
  return value
}

/** Asserts a finite number (fractions allowed) within bounds; `undefined` returns `fallback`. */
export function expectNumber(value: unknown, path: string, fallback: number, bounds: { min?: number; max?: number } = {}): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, 'a finite number', value)
  const { min, max } = bounds
  if (min !== undefined && value < min) fail(path, `a number ≥ ${min}`, value)
  if (max !== undefined && value > max) fail(path, `a number ≤ ${max}`, value)
  return value
}

/**
 * Asserts an array (non-empty with `nonEmpty`) and returns it; its elements are the caller's to
 * check, each with its own path (`translators[1]`).
 */
export function expectList(value: unknown, path: string, what: string, options: { nonEmpty?: boolean } = {}): unknown[] {
  const expected = `${options.nonEmpty ? 'a non-empty' : 'a'} list of ${what}`
  if (!Array.isArray(value) || (options.nonEmpty && value.length === 0)) fail(path, expected, value)
  return value
}

/** Asserts a non-empty string; `undefined` returns `fallback` (or fails when there is none). */
export function expectString(value: unknown, path: string, fallback?: string): string {
  if (value === undefined && fallback !== undefined) return fallback
  if (typeof value !== 'string' || value.length === 0) fail(path, 'a non-empty string', value)
  return value
}

/** Asserts a boolean; `undefined` returns `fallback`. */
export function expectBoolean(value: unknown, path: string, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') fail(path, 'a boolean', value)
  return value
}

/** Asserts one of a fixed set of strings; `undefined` returns `fallback`. */
export function expectOneOf<T extends string>(value: unknown, path: string, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || !choices.includes(value as T)) {
    fail(path, `one of ${choices.map((c) => `'${c}'`).join(', ')}`, value)
  }
  return value as T
}

/** Asserts a function; `undefined` returns `undefined`. */
export function expectFunction<T extends (...args: never[]) => unknown>(value: unknown, path: string): T | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'function') fail(path, 'a function', value)
  return value as T
}

/**
 * Runs `check` on a value that was given; `undefined` (not given) stays `undefined`. For options
 * that have no default of their own and are passed on only when set (kafkajs then applies its own).
 *
 * @example
 * ```ts
 * ifGiven(config.sessionTimeout, (v) => expectInt(v, 'consumer.sessionTimeout', 0, { min: 1 }))
 * ```
 */
export function ifGiven<T>(value: unknown, check: (value: unknown) => T): T | undefined {
  return value === undefined ? undefined : check(value)
}

/** Throws an {@link InvalidOptionError} for `path` with a custom expectation and fix. */
export function invalid(path: string, expected: string, value: unknown, fix?: string): never {
  fail(path, expected, value, fix)
}
