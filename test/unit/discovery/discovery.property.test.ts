/**
 * Discovery under randomized fault schedules (issue #13): fast-check generates clusters whose
 * health follows a timeline (up, down, hung, replaced at the same address), two or three
 * application instances started at different moments, operators' declarations, errors reported
 * by producers and switch participants that are slow or fail; the whole runs in simulated time
 * through the real MultiClusterKafka, Discovery, policies and ClusterConnection (only kafkajs and
 * the control topic's reader are fakes, see ../helpers/simulated-clusters.ts).
 *
 * What each schedule checks, for every instance:
 * - hysteresis: the cluster:up and cluster:down events are exactly what `failureThreshold`
 *   consecutive failed probes and `successThreshold` consecutive good ones give (the first probe
 *   decides at once), replayed from the probe results discovery was handed;
 * - one active cluster: switches run one at a time, each from the cluster the previous one went to;
 * - no switch to a cluster the instance does not know up (priority, sticky, a custom function;
 *   with `declared`, only before the instance has read any declaration: after that it follows the
 *   operator, to a dead cluster if so declared, and never moves on its own);
 * - every failover:start is followed by exactly one failover:complete or failover:failed;
 * - once the clusters are stable: with `priority` (and a custom function that picks the most
 *   preferred healthy cluster) every instance is on the most preferred healthy cluster, so they
 *   agree; with `sticky`, each is on a healthy cluster (instances may differ: that is sticky);
 *   with `declared`, every instance is on the newest declared cluster whenever a cluster holding
 *   that declaration is up.
 * No instance-to-instance agreement is asserted during faults for priority and sticky: each
 * instance probes on its own, and the design promises agreement only for `declared`.
 */
import { appendFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { MultiClusterKafka } from '../../../src/client/multi-cluster-kafka.js'
import type { SwitchInfo } from '../../../src/client/types.js'
import { ClusterIdChangedError } from '../../../src/errors/index.js'
import { byPreference } from '../../../src/discovery/policies.js'
import type { DiscoveryHooks } from '../../../src/discovery/discovery.js'
import type { DiscoveryFunction, DiscoveryPolicyName, HealthState } from '../../../src/discovery/types.js'
import { internalsOf } from '../../helpers/client-internals.js'
import { scenario, type Scenario } from '../helpers/fault-schedule.js'
import {
  deliveredDeclarations,
  impostorId,
  realId,
  SimCluster,
  simKafka,
  sleep,
  type SimDeclaration,
} from '../helpers/simulated-clusters.js'
import { watchUnhandledRejections } from '../helpers/unhandled.js'

vi.mock('../../../src/cluster/topic-tail.js', async () => ({ TopicTail: (await import('../helpers/simulated-clusters.js')).SimTopicTail }))

const T0 = Date.UTC(2030, 0, 1)
/** Schedules per policy: four policies, 1,000 schedules in all. Raise it to hunt (`PROPERTY_RUNS=5000`). */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 250)
const TRACE = process.env.PROPERTY_TRACE

type Kind = DiscoveryPolicyName | 'custom'

/** What one instance was seen to do. */
interface Observed {
  index: number
  dr: MultiClusterKafka
  /** Every probe result discovery was handed, per cluster, in order. */
  results: Map<string, boolean[]>
  /** cluster:up / cluster:down, per cluster (a repeated down is a replaced cluster's report). */
  transitions: Map<string, HealthState[]>
  /** The switch reported started and not yet complete or failed. */
  open: SwitchInfo | undefined
  /** The active cluster as the switches went. */
  active: string | undefined
  switches: number
  /** The custom policy's lookups: when each began, and how it was planned to end. */
  lookups: Array<{ at: number; ms: number; outcome: 'answer' | 'throw' | 'hang' }>
  /** `discovery:policy-failed` events, timed out or not. */
  policyFailures: Array<{ at: number; timedOut: boolean }>
  violations: string[]
  recording: boolean
}

/** Health transitions that hysteresis gives for these probe results (an independent model). */
function expectedTransitions(results: readonly boolean[], failureThreshold: number, successThreshold: number): HealthState[] {
  let state: HealthState = 'unknown'
  let failures = 0
  let successes = 0
  const out: HealthState[] = []
  for (const ok of results) {
    failures = ok ? 0 : failures + 1
    successes = ok ? successes + 1 : 0
    const next: HealthState =
      state === 'unknown'
        ? ok
          ? 'up'
          : 'down'
        : state === 'up'
          ? failures >= failureThreshold
            ? 'down'
            : 'up'
          : successes >= successThreshold
            ? 'up'
            : 'down'
    if (next !== state) out.push(next)
    state = next
  }
  return out
}

/** The newest declaration an instance's control-topic readers have handed over. */
function newestKnown(instance: number): SimDeclaration | undefined {
  return (deliveredDeclarations.get(instance) ?? []).reduce<SimDeclaration | undefined>(
    (a, d) => (a === undefined || d.epoch > a.epoch ? d : a),
    undefined,
  )
}

function createInstance(kind: Kind, sc: Scenario, sims: SimCluster[], local: string | undefined, index: number): Observed {
  const plan = sc.instances[index]!
  let lookups = 0
  // A user's function that asks a slow service, then picks the most preferred cluster healthy in
  // the view; the service may fail, or never answer.
  const byLookup: DiscoveryFunction = async (view) => {
    const step = plan.lookups[lookups++ % plan.lookups.length]!
    if (o.recording) o.lookups.push({ at: Date.now(), ...step })
    if (step.outcome === 'hang') return new Promise<string>(() => {})
    if (step.ms > 0) await sleep(step.ms)
    if (step.outcome === 'throw') throw new Error('lookup failed')
    return view.clusters.find((c) => c.health === 'up')?.name
  }
  const dr = new MultiClusterKafka({
    clusters: Object.fromEntries(sims.map((sim, i) => [sim.name, { kafka: simKafka(sim, index), priority: sc.clusters[i]!.priority }])),
    ...(local === undefined ? {} : { localCluster: local }),
    health: sc.health,
    replicationLag: false,
    discovery: {
      policy: kind === 'custom' ? byLookup : kind,
      autoFailback: sc.autoFailback,
      failbackDelayMs: sc.failbackDelayMs,
      ...(kind === 'custom' ? { decideTimeoutMs: sc.decideTimeoutMs } : {}),
    },
    connectTimeoutMs: 3_600_000,
    switchTimeoutMs: sc.switchTimeoutMs,
    teardownTimeoutMs: 1000,
  })
  const o: Observed = {
    index,
    dr,
    results: new Map(),
    transitions: new Map(),
    open: undefined,
    active: undefined,
    switches: 0,
    lookups: [],
    policyFailures: [],
    violations: [],
    recording: true,
  }
  const ctx = internalsOf(dr).context
  const fail = (message: string): void => {
    o.violations.push(`instance ${index} at +${Date.now() - T0} ms: ${message}`)
  }
  // PROPERTY_TRACE=file: what each instance saw, to read a counterexample by.
  const trace =
    TRACE === undefined ? undefined : (message: string): void => appendFileSync(TRACE, `[${index}] +${Date.now() - T0} ${message}\n`)
  if (trace) {
    for (const event of ['cluster:up', 'cluster:down', 'failover:start', 'failover:complete', 'failover:failed'] as const) {
      dr.on(event, (e: object) => trace(`${event} ${JSON.stringify(e, (k, v: unknown) => (k === 'error' ? String(v) : v))}`))
    }
  }

  for (const conn of ctx.clusters) {
    const probe = conn.probe.bind(conn)
    o.results.set(conn.name, [])
    conn.probe = async (timeoutMs) => {
      const result = await probe(timeoutMs)
      if (o.recording) o.results.get(conn.name)!.push(result.ok)
      trace?.(`probe ${conn.name} ${result.ok ? 'ok' : 'failed'}`)
      return result
    }
  }

  // Hysteresis, at the moment of each change: the probes just before it are enough failures or successes.
  const onHealth = (cluster: string, state: HealthState, error?: Error): void => {
    const results = o.results.get(cluster)!
    const seen = o.transitions.get(cluster) ?? []
    o.transitions.set(cluster, [...seen, state])
    if (state === 'down' && seen.at(-1) === 'down') {
      if (!(error?.cause instanceof ClusterIdChangedError || error instanceof ClusterIdChangedError))
        fail(`${cluster} reported down again without a cluster id change (${String(error)})`)
      return
    }
    const need = seen.length === 0 ? 1 : state === 'down' ? sc.health.failureThreshold : sc.health.successThreshold
    const tail = results.slice(-need)
    if (tail.length < need || tail.some((ok) => ok !== (state === 'up')))
      fail(`${cluster} went ${state} after probes ${JSON.stringify(results)} (needs ${need} in a row)`)
  }
  dr.on('cluster:up', (e) => onHealth(e.cluster, 'up'))
  dr.on('cluster:down', (e) => onHealth(e.cluster, 'down', e.error))

  // Switches: one at a time, each closed by complete or failed.
  dr.on('failover:start', (info) => {
    if (o.open) fail(`switch to ${info.to} started while the switch to ${o.open.to} was in progress`)
    if (info.from !== o.active) fail(`switch from ${String(info.from)} started while ${String(o.active)} was active`)
    o.open = info
  })
  const close = (type: string, info: SwitchInfo): void => {
    if (o.open && o.open.timestamp === info.timestamp && o.open.to === info.to) o.open = undefined
    // The first activation has no failover:start; its participants' failure is still reported.
    else if (!(type === 'failed' && info.from === undefined)) fail(`failover:${type} to ${info.to} without a switch in progress`)
  }
  dr.on('discovery:policy-failed', (e) => {
    if (!o.recording) return
    o.policyFailures.push({ at: e.timestamp, timedOut: e.timedOut })
    if (kind !== 'custom') fail(`the ${kind} policy failed: ${e.error.message}`)
  })
  dr.on('failover:complete', (info) => close('complete', info))
  dr.on('failover:failed', (info) => close('failed', info))

  ctx.onActiveChange((change) => {
    trace?.(`active ${String(change.from)} -> ${change.to}`)
    o.switches++
    if (change.from !== o.active) fail(`active changed from ${String(change.from)} while ${String(o.active)} was active`)
    o.active = change.to
    // Once an instance follows declarations, it goes where the operator says, a dead cluster too.
    const health = ctx.healthOf(change.to)
    if (newestKnown(index) === undefined && health !== 'up') fail(`switched to ${change.to}, which it knows ${health}`)
  })
  if (kind === 'declared') {
    watchDecisions(dr, (cluster) => {
      const newest = newestKnown(index)
      if (newest !== undefined && cluster !== newest.cluster && cluster !== ctx.activeCluster)
        fail(`decided on ${cluster} on its own after reading the declaration of ${newest.cluster}`)
    })
  }

  ctx.addParticipant({
    name: 'simulated consumer',
    onSwitch: async () => {
      const step = plan.switches[(o.switches - 1) % plan.switches.length]!
      await sleep(step.ms)
      if (step.fail) throw new Error('participant failed')
    },
  })
  return o
}

/**
 * Calls `listener` with each decision discovery hands the client, before the client acts on it
 * (the client's events show only the switches begun, and a decision may wait behind a switch).
 */
function watchDecisions(dr: MultiClusterKafka, listener: (cluster: string) => void): void {
  const hooks = (dr as unknown as { discovery: { hooks: DiscoveryHooks } }).discovery.hooks
  const onDecision = hooks.onDecision.bind(hooks)
  hooks.onDecision = (cluster) => {
    listener(cluster)
    onDecision(cluster)
  }
}

/** Whether `cluster` ends healthy for an instance: up and answering with the id the instance saw first. */
function endsHealthy(sim: SimCluster, firstSeenId: string | undefined): boolean {
  const state = sim.stateAt(Infinity)
  if (state !== 'up' && state !== 'replaced') return false
  const id = state === 'up' ? realId(sim.name) : impostorId(sim.name)
  return firstSeenId === undefined || firstSeenId === id
}

async function runScenario(kind: Kind, sc: Scenario): Promise<void> {
  vi.useFakeTimers({ now: T0 })
  deliveredDeclarations.clear()
  try {
    const sims = sc.clusters.map((c, i) => new SimCluster(`dc${i + 1}`, [...c.timeline, { state: c.final, ms: 0 }], T0, c.latencyMs))
    // The last fault, or the last declaration: from there on, nothing changes.
    const horizon = Math.max(
      ...sc.clusters.map((c) => c.timeline.reduce((sum, s) => sum + s.ms, 0)),
      ...(kind === 'declared' ? sc.declarations.map((d) => d.at) : []),
    )
    const { intervalMs, timeoutMs, failureThreshold, successThreshold } = sc.health
    // Long enough for every instance to see the final states, fail back, and finish its switches.
    // (a first read of the control topic waits up to 5 s for a cluster that hangs; a lookup holds
    // the next decision back.)
    const settle =
      sc.failbackDelayMs +
      (Math.max(failureThreshold, successThreshold) + 2) * (intervalMs + timeoutMs) +
      2 * sc.switchTimeoutMs +
      1000 +
      (kind === 'declared' ? 5000 : 0) +
      // A full turn of the lookups, each bounded by decideTimeoutMs, reaches the one that answers.
      (kind === 'custom' ? Math.max(...sc.instances.map((p) => p.lookups.length + 1)) * (sc.decideTimeoutMs + intervalMs + timeoutMs) : 0)

    const declarations: Array<SimDeclaration & { written: string[] }> = []
    if (kind === 'declared') {
      for (const d of sc.declarations) {
        setTimeout(() => {
          const declaration = { cluster: sims[d.cluster % sims.length]!.name, epoch: T0 + d.at }
          declarations.push({ ...declaration, written: sims.filter((s) => s.write(declaration)).map((s) => s.name) })
        }, d.at)
      }
    }

    const local = sc.local === null ? undefined : sims[sc.local]?.name
    const observed = sc.instances.map((_, i) => createInstance(kind, sc, sims, local, i))
    observed.forEach((o, i) => {
      const plan = sc.instances[i]!
      // Rejects only if no cluster was ever up for it: the disconnect at the end stops the wait.
      setTimeout(() => {
        o.dr.connect().catch((error: unknown) => {
          if (o.recording) o.violations.push(`connect failed: ${String(error)}`)
        })
      }, plan.startAt)
      for (const at of plan.errorReports) {
        setTimeout(() => {
          if (o.active !== undefined) internalsOf(o.dr).context.reportError(o.active, new Error('send failed'))
        }, at)
      }
    })

    await vi.advanceTimersByTimeAsync(horizon + settle)

    // Stable now: where each instance ended up.
    const newest = declarations.filter((d) => d.written.length > 0).at(-1)
    const newestReadable = newest !== undefined && newest.written.some((c) => sims.find((s) => s.name === c)!.stateAt(Infinity) === 'up')
    for (const o of observed) {
      const healthy = internalsOf(o.dr)
        .context.clusters.filter((c) =>
          endsHealthy(
            sims.find((s) => s.name === c.name)!,
            c.clusterId,
          ),
        )
        .map((c) => c.name)
      const ended = (problem: string): void => {
        o.violations.push(`instance ${o.index} ended on ${String(o.active)}${problem}; healthy at the end: ${healthy.join(', ') || 'none'}`)
      }
      if (o.dr.activeCluster !== o.active) ended(` but says ${String(o.dr.activeCluster)}`)
      if (kind === 'declared' && newestReadable) {
        if (o.active !== newest.cluster) ended(`, not on ${newest.cluster}, declared last`)
        continue
      }
      // An instance that read a declaration no longer readable follows it: nothing to compare with.
      if ((kind === 'declared' && newestKnown(o.index) !== undefined) || healthy.length === 0) continue
      const preferred = [...healthy].sort((a, b) =>
        byPreference(local)(internalsOf(o.dr).context.connection(a), internalsOf(o.dr).context.connection(b)),
      )[0]
      if (kind === 'custom' || (kind === 'priority' && sc.autoFailback)) {
        if (o.active !== preferred) ended(`, not on ${preferred!}, the most preferred healthy cluster`)
      } else if (!healthy.includes(o.active!)) ended(', not on a healthy cluster')
    }

    if (kind === 'custom') for (const o of observed) checkLookups(o, sc, Date.now())

    // Stop, and let every switch still under way finish.
    const closing = observed.map((o) => {
      o.recording = false
      return o.dr.disconnect()
    })
    await vi.advanceTimersByTimeAsync(3 * sc.switchTimeoutMs + 2000)
    await Promise.all(closing)

    for (const o of observed) {
      expect(o.violations, o.violations.join('\n')).toEqual([])
      expect(o.open, `instance ${o.index}: a switch neither completed nor failed`).toBeUndefined()
      for (const [cluster, results] of o.results) {
        expect(
          withoutRepeats(o.transitions.get(cluster) ?? []),
          `instance ${o.index}, ${cluster}: probes ${JSON.stringify(results)}`,
        ).toEqual(expectedTransitions(results, failureThreshold, successThreshold))
      }
    }
  } finally {
    vi.clearAllTimers()
    vi.useRealTimers()
  }
}

/**
 * The custom policy's failures: every lookup that threw or outlived `decideTimeoutMs` (a hang, a
 * slow one) is reported once it is due, and nothing else is; and discovery never stops asking
 * (a decision that never settles must not freeze it).
 */
function checkLookups(o: Observed, sc: Scenario, now: number): void {
  const bound = sc.decideTimeoutMs
  const fails = (l: Observed['lookups'][number]): 'timeout' | 'throw' | undefined =>
    l.outcome === 'hang' || l.ms > bound ? 'timeout' : l.outcome === 'throw' && l.ms < bound ? 'throw' : undefined
  // A lookup that ends exactly at the bound may go either way; one not due yet may be unreported.
  const ambiguous = (l: Observed['lookups'][number]): boolean =>
    l.ms === bound || l.at + (l.outcome === 'hang' ? bound : Math.min(l.ms, bound)) >= now
  for (const [kind, timedOut] of [
    ['timeout', true],
    ['throw', false],
  ] as const) {
    const certain = o.lookups.filter((l) => fails(l) === kind && !ambiguous(l)).length
    const possible = o.lookups.filter((l) => fails(l) === kind || ambiguous(l)).length
    const reported = o.policyFailures.filter((f) => f.timedOut === timedOut).length
    if (reported < certain || reported > possible)
      o.violations.push(`instance ${o.index}: ${reported} ${kind} failures reported, expected ${certain}..${possible}`)
  }
  const last = o.lookups.at(-1)?.at ?? -Infinity
  const gap = bound + 2 * (sc.health.intervalMs + sc.health.timeoutMs)
  if (o.lookups.length > 0 && now - last > gap)
    o.violations.push(`instance ${o.index}: discovery stopped asking the policy (last lookup ${now - last} ms ago)`)
}

/** Transitions without the repeated downs of a replaced cluster (those are checked as they happen). */
function withoutRepeats(states: readonly HealthState[]): HealthState[] {
  return states.filter((state, i) => i === 0 || state !== states[i - 1])
}

const unhandled = watchUnhandledRejections()

describe('Discovery under randomized fault schedules', () => {
  it.each<Kind>(['priority', 'sticky', 'declared', 'custom'])(
    '%s policy: hysteresis, one switch at a time to a healthy cluster, each reported',
    async (kind) => {
      const example = process.env.PROPERTY_EXAMPLE
      await fc.assert(
        fc.asyncProperty(scenario, (sc) => runScenario(kind, sc)),
        { numRuns: RUNS, endOnFailure: TRACE !== undefined, ...(example ? { examples: [[JSON.parse(example) as Scenario]] } : {}) },
      )
      await unhandled.settle()
      expect(unhandled.reasons).toEqual([])
    },
    600_000,
  )
})
