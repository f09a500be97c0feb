/**
 * The delay before the next attempt of a repeated try: `initialMs`, doubling at every attempt, up
 * to `maxMs`. No jitter: the instances of a group retry on their own schedules anyway.
 *
 * @param attempt - The attempt that just failed, from 1.
 */
export function backoff(attempt: number, { initialMs, maxMs }: { initialMs: number; maxMs: number }): number {
  // 2 ** a large exponent is Infinity, which the cap turns back into maxMs.
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1))
}
