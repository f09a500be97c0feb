import { TimeoutError, type KafkaDRErrorOptions } from '../errors/index.js'

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

/**
 * Resolves after `ms`, without keeping the process alive meanwhile (back-offs, polling between
 * attempts). With `signal`: rejects with its reason as soon as it is aborted (at once if it is).
 * `keepAlive`: the wait holds the process up, for a wait that a caller's pending promise is
 * made of (a send must settle, not vanish with a process that found nothing left to do).
 */
export function delay(ms: number, signal?: AbortSignal, { keepAlive = false }: { keepAlive?: boolean } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) return reject(signal.reason)
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    if (!keepAlive) timer.unref()
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
