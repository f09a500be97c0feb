/**
 * Small, strict option validation. Every failure throws {@link InvalidOptionError} with a message
 * that names the option's path, what was expected and what was given:
 * "Expected `clusters.dc2.priority` to be an integer, got 'high'".
 */
import { InvalidOptionError } from '../errors.js'

/** Short, safe rendering of a value for an error message (never dumps whole objects or secrets). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'function') return 'a function'
  return String(value)
}

function fail(path: string, expected: string, value: unknown, fix?: string): never {
  const hint = fix ? `; ${fix}` : ''
  throw new InvalidOptionError(path, `Expected \`${path}\` to be ${expected}, got ${describeValue(value)}${hint}`)
}

/** Whether `value` is a plain object (not an array, not null, not a class instance like a Buffer). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * Asserts a plain object whose keys are all in `allowed`; unknown keys are rejected with the list of
 * known ones. With `root`, `value` is a whole options object: its keys are named without a prefix,
 * like every other path ("Unknown option `cluster`", not "`options.cluster`").
 */
export function expectObject(value: unknown, path: string, allowed?: readonly string[], root = false): Record<string, unknown> {
  if (!isPlainObject(value)) fail(path, 'an object', value)
  if (allowed) {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        const keyPath = root ? key : `${path}.${key}`
        throw new InvalidOptionError(keyPath, `Unknown option \`${keyPath}\`; known options ${root ? '' : `of \`${path}\` `}are: ${allowed.join(', ')}`)
      }
    }
  }
  return value
}

/** Asserts an integer within bounds; `undefined` returns `fallback`. */
export function expectInt(value: unknown, path: string, fallback: number, bounds: { min?: number, max?: number } = {}): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value)) fail(path, 'an integer', value)
  const { min, max } = bounds
  if (min !== undefined && value < min) fail(path, `an integer ≥ ${min}`, value)
  if (max !== undefined && value > max) fail(path, `an integer ≤ ${max}`, value)
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

/** Throws an {@link InvalidOptionError} for `path` with a custom expectation and fix. */
export function invalid(path: string, expected: string, value: unknown, fix?: string): never {
  fail(path, expected, value, fix)
}
