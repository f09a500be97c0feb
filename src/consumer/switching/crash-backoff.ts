import { backoff } from '../../util/backoff.js'

/** Back-off before replacing a session kafkajs gave up, by the count of crashes in a row, in ms. */
const CRASH_BACKOFF = { initialMs: 1000, maxMs: 30_000 }
/** Crashes further apart than this, in ms, start the back-off afresh. */
const CRASH_MEMORY_MS = 60_000

/**
 * When a crashed session is replaced: 1 s after the first crash, doubling while crashes on the
 * same cluster repeat, up to 30 s. Until then no standby may start on that cluster: a paused
 * standby there would hold partitions of the group that other instances could read meanwhile.
 */
export class CrashBackoff {
  /** Recent crashes of sessions per cluster. */
  private readonly crashes = new Map<string, { count: number; last: number }>()
  /** Until when no standby may start, per cluster (`Infinity` when the application declined the restart). */
  private readonly held = new Map<string, number>()

  /** Notes a crash on `cluster` at `now`; returns the delay before its replacement, undefined when the application declined a restart. */
  crashed(cluster: string, byApplication: boolean, now: number): number | undefined {
    const previous = this.crashes.get(cluster)
    const count = previous && now - previous.last < CRASH_MEMORY_MS ? previous.count + 1 : 1
    this.crashes.set(cluster, { count, last: now })
    const restartInMs = byApplication ? undefined : backoff(count, CRASH_BACKOFF)
    this.held.set(cluster, restartInMs === undefined ? Infinity : now + restartInMs)
    return restartInMs
  }

  /** Whether a crash's back-off holds standbys off `cluster` now. */
  holds(cluster: string): boolean {
    return (this.held.get(cluster) ?? 0) > Date.now()
  }

  /** The back-off on `cluster` is over (its replacement is starting). */
  release(cluster: string): void {
    this.held.delete(cluster)
  }

  /** A new run: no cluster is held. The crash counts stay. */
  releaseAll(): void {
    this.held.clear()
  }
}
