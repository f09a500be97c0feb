/**
 * Fault schedules for the property tests of discovery (fast-check arbitraries): clusters whose
 * health follows a timeline, application instances with their errors and switch participants,
 * health and discovery settings, operators' declarations. Times are ms from the start of the run.
 *
 * @module
 */
import fc from 'fast-check'
import type { Fault, Segment } from './simulated-clusters.js'

/** One cluster: its timeline, then its final state for good. */
export interface ClusterPlan {
  priority: number
  latencyMs: number
  timeline: Segment[]
  final: 'up' | 'down' | 'hang'
}

/** One application instance. */
export interface InstancePlan {
  startAt: number
  /** When a producer of the instance reports an error on the active cluster. */
  errorReports: number[]
  /** Each switch's participant, in turn: how long it takes, whether it fails. */
  switches: Array<{ ms: number; fail: boolean }>
  /**
   * Custom policy: each lookup in turn, how long it takes and how it ends: an answer, a throw, or
   * never (a hang). The first always answers within the shortest `decideTimeoutMs`, so that the
   * policy can decide at all.
   */
  lookups: Lookup[]
}

/** One lookup of the custom policy. */
export interface Lookup {
  ms: number
  outcome: 'answer' | 'throw' | 'hang'
}

/** One run. */
export interface Scenario {
  clusters: ClusterPlan[]
  local: number | null
  health: { intervalMs: number; timeoutMs: number; failureThreshold: number; successThreshold: number }
  autoFailback: boolean
  failbackDelayMs: number
  switchTimeoutMs: number
  /** The custom policy's `discovery.decideTimeoutMs`. */
  decideTimeoutMs: number
  instances: InstancePlan[]
  declarations: Array<{ at: number; cluster: number }>
}

const fault: fc.Arbitrary<Fault> = fc.oneof(
  { arbitrary: fc.constant('up' as const), weight: 4 },
  { arbitrary: fc.constant('down' as const), weight: 2 },
  { arbitrary: fc.constant('hang' as const), weight: 2 },
  { arbitrary: fc.constant('replaced' as const), weight: 1 },
)

/** The shortest `decideTimeoutMs` a schedule has. */
export const MIN_DECIDE_TIMEOUT_MS = 300

const lookup: fc.Arbitrary<Lookup> = fc.record({
  // Some slower than the bound: abandoned, and their late answer ignored.
  ms: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 2000 }), weight: 3 }, { arbitrary: fc.integer({ min: 2000, max: 6000 }), weight: 1 }),
  outcome: fc.oneof(
    { arbitrary: fc.constant('answer' as const), weight: 4 },
    { arbitrary: fc.constant('throw' as const), weight: 1 },
    { arbitrary: fc.constant('hang' as const), weight: 1 },
  ),
})

/** A run's schedule, kept small enough for a thousand runs in seconds of wall time. */
export const scenario: fc.Arbitrary<Scenario> = fc.record({
  clusters: fc.array(
    fc.record({
      priority: fc.integer({ min: 1, max: 3 }),
      latencyMs: fc.oneof({ arbitrary: fc.constant(0), weight: 2 }, { arbitrary: fc.integer({ min: 1, max: 30 }), weight: 1 }),
      timeline: fc.array(fc.record({ state: fault, ms: fc.integer({ min: 50, max: 6000 }) }), { minLength: 1, maxLength: 6 }),
      final: fc.oneof(
        { arbitrary: fc.constant('up' as const), weight: 4 },
        { arbitrary: fc.constant('down' as const), weight: 1 },
        { arbitrary: fc.constant('hang' as const), weight: 1 },
      ),
    }),
    { minLength: 2, maxLength: 3 },
  ),
  local: fc.option(fc.integer({ min: 0, max: 2 })),
  health: fc.record({
    intervalMs: fc.integer({ min: 200, max: 1500 }),
    timeoutMs: fc.integer({ min: 100, max: 2000 }),
    failureThreshold: fc.integer({ min: 1, max: 3 }),
    successThreshold: fc.integer({ min: 1, max: 3 }),
  }),
  autoFailback: fc.boolean(),
  failbackDelayMs: fc.integer({ min: 0, max: 5000 }),
  switchTimeoutMs: fc.integer({ min: 200, max: 4000 }),
  decideTimeoutMs: fc.integer({ min: MIN_DECIDE_TIMEOUT_MS, max: 3000 }),
  instances: fc.array(
    fc.record({
      startAt: fc.integer({ min: 0, max: 1500 }),
      errorReports: fc.array(fc.integer({ min: 0, max: 30_000 }), { maxLength: 6 }),
      switches: fc.array(fc.record({ ms: fc.integer({ min: 0, max: 5000 }), fail: fc.boolean() }), { minLength: 1, maxLength: 4 }),
      lookups: fc
        .tuple(fc.integer({ min: 0, max: MIN_DECIDE_TIMEOUT_MS - 50 }), fc.array(lookup, { maxLength: 4 }))
        .map(([ms, rest]) => [{ ms, outcome: 'answer' as const }, ...rest]),
    }),
    { minLength: 2, maxLength: 3 },
  ),
  declarations: fc.uniqueArray(fc.record({ at: fc.integer({ min: 0, max: 30_000 }), cluster: fc.integer({ min: 0, max: 2 }) }), {
    maxLength: 4,
    selector: (d) => d.at,
  }),
})
