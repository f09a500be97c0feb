/** Waiting that a Ctrl-C cuts short: every wait of the drill takes the run's abort signal. */
/** Thrown by a wait that Ctrl-C (the run's abort signal) interrupted. */
export class DrillInterrupted extends Error {
  override name = 'DrillInterrupted'
  constructor() {
    super('the drill was interrupted')
  }
}

/** Waits `ms`; rejects with {@link DrillInterrupted} when `signal` aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(new DrillInterrupted())
  return new Promise((resolve, reject) => {
    // The listener goes with the timer: a drill polls thousands of times on one signal.
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(new DrillInterrupted())
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Polls `check` every `everyMs` until it returns something other than undefined or false (which
 * is returned), or `timeoutMs` passed (undefined is returned: the caller says what it means).
 */
export async function waitUntil<T>(
  check: () => T | undefined | false,
  timeoutMs: number,
  signal: AbortSignal,
  everyMs = 100,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value !== undefined && value !== false) return value
    if (Date.now() >= deadline) return undefined
    await sleep(Math.min(everyMs, Math.max(1, deadline - Date.now())), signal)
  }
}
