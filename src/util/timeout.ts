import { TimeoutError, type KafkaDRErrorOptions } from '../errors.js'

/**
 * Resolves or rejects like `promise`, or rejects with {@link TimeoutError} after `ms`.
 * The losing promise is not cancelled (kafkajs calls cannot be); its later rejection is swallowed
 * so it never becomes an unhandled rejection.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string, context: KafkaDRErrorOptions = {}): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not finish within ${ms} ms`, context)), ms)
    timer.unref?.()
  })
  promise.catch(() => {})
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Resolves after `ms`, without keeping the process alive meanwhile (back-offs, polling between attempts). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
}
