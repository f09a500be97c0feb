import type { HealthState } from './types.js'

/** Thresholds of a {@link HealthTracker}. */
export interface HealthThresholds {
  failureThreshold: number
  successThreshold: number
}

/**
 * Hysteresis over probe results: `failureThreshold` consecutive failures mark a cluster down,
 * `successThreshold` consecutive successes mark it up again. The first result decides at once:
 * at start-up nothing is known, and waiting would only delay `connect()`.
 */
export class HealthTracker {
  state: HealthState = 'unknown'
  /** When `state` last changed. */
  since: number
  private failures = 0
  private successes = 0

  constructor(
    private readonly thresholds: HealthThresholds,
    now = Date.now(),
  ) {
    this.since = now
  }

  /** Records one probe result; returns the new state when it changed. */
  record(ok: boolean, now = Date.now()): HealthState | undefined {
    if (ok) {
      this.failures = 0
      this.successes++
    } else {
      this.successes = 0
      this.failures++
    }
    const next = this.next(ok)
    if (next === this.state) return undefined
    this.state = next
    this.since = now
    return next
  }

  private next(ok: boolean): HealthState {
    switch (this.state) {
      case 'unknown':
        return ok ? 'up' : 'down'
      case 'up':
        return this.failures >= this.thresholds.failureThreshold ? 'down' : 'up'
      case 'down':
        return this.successes >= this.thresholds.successThreshold ? 'up' : 'down'
    }
  }
}
