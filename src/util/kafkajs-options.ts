/**
 * Validation of the kafkajs options that the failover producer and consumer pass through to the
 * kafkajs clients they create on each cluster. kafkajs checks few of them, and some only when a
 * client is created, which for a consumer is on a switch: the worst moment to find a typo.
 *
 * @module
 */
import type { RetryOptions } from 'kafkajs'
import { expectFunction, expectInt, expectNumber, expectObject, invalid } from './validate.js'

const RETRY_KEYS = [
  'maxRetryTime',
  'initialRetryTime',
  'factor',
  'multiplier',
  'retries',
  'restartOnFailure',
] as const satisfies ReadonlyArray<keyof RetryOptions>

/**
 * Asserts kafkajs `RetryOptions`; `undefined` returns `undefined` (the caller's default applies).
 * Returns a copy holding only the options given.
 *
 * - `factor` is kafkajs' randomization: each delay is drawn from `[t·(1-factor), t·(1+factor)]`,
 *   so above 1 delays could be negative; hence 0..1.
 * - `multiplier` grows the delay after each retry; below 1 the delays would shrink, hence ≥ 1.
 *
 * @throws `InvalidOptionError` naming the option, e.g. `consumer.retry.retries`
 */
export function expectRetryOptions(value: unknown, path: string): RetryOptions | undefined {
  if (value === undefined) return undefined
  const r = expectObject(value, path, RETRY_KEYS)
  const retry: RetryOptions = {}
  if (r.maxRetryTime !== undefined) retry.maxRetryTime = expectInt(r.maxRetryTime, `${path}.maxRetryTime`, 0, { min: 0 })
  if (r.initialRetryTime !== undefined) retry.initialRetryTime = expectInt(r.initialRetryTime, `${path}.initialRetryTime`, 0, { min: 0 })
  if (r.factor !== undefined) retry.factor = expectNumber(r.factor, `${path}.factor`, 0, { min: 0, max: 1 })
  if (r.multiplier !== undefined) retry.multiplier = expectNumber(r.multiplier, `${path}.multiplier`, 1, { min: 1 })
  if (r.retries !== undefined) retry.retries = expectInt(r.retries, `${path}.retries`, 0, { min: 0 })
  const restartOnFailure = expectFunction<NonNullable<RetryOptions['restartOnFailure']>>(r.restartOnFailure, `${path}.restartOnFailure`)
  if (restartOnFailure !== undefined) retry.restartOnFailure = restartOnFailure
  return retry
}

/**
 * Asserts kafkajs' `maxInFlightRequests`: an integer ≥ 1, or `null`/`undefined` for no limit
 * (kafkajs' default), both returned as `undefined`. 0 is refused: kafkajs' request queue would
 * then never send anything, and the client would hang rather than fail.
 *
 * @throws `InvalidOptionError` naming `path`
 */
export function expectMaxInFlightRequests(value: unknown, path: string): number | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    invalid(path, 'an integer ≥ 1, or null for no limit', value, value === 0 ? 'with 0 kafkajs would never send a request' : undefined)
  }
  return value
}

/**
 * A copy of `options` without the keys whose value is `undefined`, so that the config handed to
 * kafkajs holds only what was given and kafkajs' own defaults apply to the rest.
 */
export function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>
}
