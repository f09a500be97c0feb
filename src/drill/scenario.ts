/**
 * The drill's script, phase by phase: warm-up under load, the fault, the outage with the load
 * still on, the cluster (or replication) brought back, the failback, more load, then the drain
 * until every acknowledged record has been consumed. It only drives and waits; what happened is
 * read from the timeline and the ledger afterwards.
 */
import type { DrillEnvironment, FaultContext, FaultEnded, FaultInjected } from './environment.js'
import type { RecordLedger } from './ledger.js'
import { failsOver, type DrillOptions } from './options.js'
import type { ReplicationMonitor } from './replication-monitor.js'
import type { DrillService } from './service.js'
import type { DrillTimeline, ReplicationSample } from './timeline.js'
import { sleep, waitUntil } from './wait.js'

/** Everything the scenario drives or reads. */
export interface ScenarioContext {
  options: DrillOptions
  environment: DrillEnvironment
  service: DrillService
  monitor: ReplicationMonitor
  timeline: DrillTimeline
  ledger: RecordLedger
  faultContext: FaultContext
  /** The cluster that fails (the preferred one) and the one that should take over. */
  target: string
  survivor: string
}

/** What the scenario did, and what it waited for in vain. */
export interface ScenarioOutcome {
  fault?: FaultInjected
  /** Replication as sampled just before the fault. */
  replicationAtFault?: ReplicationSample
  faultEnded?: FaultEnded
  /** When the load stopped (ms since epoch). */
  loadStoppedAt?: number
  /** Whether every acknowledged record was consumed before the drain timeout. */
  drained: boolean
  /** When the drain ended (ms since epoch). */
  drainEndedAt?: number
  /** Things that did not happen as expected, in words. */
  notes: string[]
}

export { failsOver } from './options.js'

/** `flap`: the service counts as settled back once it has stayed on the preferred cluster this long. */
const SETTLED_MS = 3000

/**
 * After flaps the service may or may not have switched, and may already be back: it is done when
 * the preferred cluster has been up, active and read by every consumer for {@link SETTLED_MS}.
 */
function settledOn(service: DrillService, target: string): () => boolean {
  let since: number | undefined
  return () => {
    const status = service.client.status()
    const on =
      status.active === target &&
      !status.switching &&
      status.clusters.find((c) => c.name === target)?.health === 'up' &&
      service.consumerClusters().every((c) => c === target)
    if (!on) since = undefined
    else since ??= Date.now()
    return since !== undefined && Date.now() - since >= SETTLED_MS
  }
}

/** Most time to wait for the first record consumed before the fault. */
const FIRST_RECORD_TIMEOUT_MS = 60_000

/**
 * Runs the scenario. `outcome` is filled in as it goes, so that a Ctrl-C (a rejection with
 * `DrillInterrupted`) still leaves what happened until then.
 */
export async function runScenario(ctx: ScenarioContext, outcome: ScenarioOutcome): Promise<void> {
  const { options, environment, service, monitor, timeline, ledger, faultContext, target, survivor } = ctx
  const { signal, log } = faultContext

  timeline.phase('warm-up')
  service.startLoad()
  await sleep(options.warmupMs, signal)
  // Figures after a fault mean nothing if the service was not consuming before it.
  if (ledger.snapshot().consumed === 0) {
    log(`no record consumed after ${options.warmupMs / 1000} s of warm-up: waiting for the consumer group to start reading`)
    const reading = await waitUntil(() => ledger.snapshot().consumed > 0, FIRST_RECORD_TIMEOUT_MS, signal, 100)
    if (reading === undefined)
      throw new Error(
        `the consumer group read nothing in ${(options.warmupMs + FIRST_RECORD_TIMEOUT_MS) / 1000} s of load: is the topic readable?`,
      )
  }

  // The data at risk is what the target holds that its replica does not, the moment it fails.
  timeline.phase('fault')
  outcome.replicationAtFault = await monitor.sample()
  const fault = await environment.injectFault(options.fault, target, faultContext)
  outcome.fault = fault
  // A fault that struck after a delay (replication stopped first) sampled just before it struck.
  if (fault.replicationAtFault !== undefined) outcome.replicationAtFault = fault.replicationAtFault
  if (fault.timing === 'observed') {
    // You caused it some time after the drill asked: the lag that counts is the last one seen before it.
    outcome.replicationAtFault = timeline.replication.filter((r) => r.at <= fault.at).at(-1) ?? outcome.replicationAtFault
  }
  timeline.add({ at: fault.at, type: 'fault', cluster: target, detail: fault.action })
  timeline.phase('outage', fault.at)
  const outageEnds = fault.at + options.outageMs
  await sleep(Math.max(0, outageEnds - Date.now()), signal)
  if (failsOver(options.fault) && timeline.first('failover:start', fault.at, (e) => e.to === survivor) === undefined) {
    outcome.notes.push(`no switch to ${survivor} within the ${options.outageMs / 1000} s outage`)
  }

  timeline.phase('restore')
  const ended = await environment.endFault(options.fault, target, faultContext)
  outcome.faultEnded = ended

  if (failsOver(options.fault)) {
    timeline.phase('failback')
    const back = await waitUntil(
      options.fault === 'flap'
        ? settledOn(service, target)
        : () =>
            timeline.first('failback', ended.startedAt, (e) => e.to === target) !== undefined &&
            service.consumerClusters().every((c) => c === target),
      options.failbackTimeoutMs,
      signal,
      100,
    )
    if (back === undefined) outcome.notes.push(`no failback to ${target} within ${options.failbackTimeoutMs / 1000} s of its return`)
  } else {
    // Nothing moved; the question is whether replication catches up once it runs again.
    timeline.phase('catch-up')
    const caughtUp = await waitUntil(
      () => {
        const sample = timeline.latestReplication
        return sample !== undefined && sample.at > ended.at && sample.flows.every((f) => f.recordsBehind === 0)
      },
      options.failbackTimeoutMs,
      signal,
      200,
    )
    if (caughtUp === undefined)
      outcome.notes.push(`replication did not catch up within ${options.failbackTimeoutMs / 1000} s of its restart`)
  }

  timeline.phase('after')
  await sleep(options.afterMs, signal)

  timeline.phase('drain')
  await service.stopLoad()
  outcome.loadStoppedAt = Date.now()
  const drained = await waitUntil(() => ledger.unconsumedAcknowledged === 0, options.drainTimeoutMs, signal, 100)
  outcome.drained = drained !== undefined
  outcome.drainEndedAt = Date.now()
  if (!outcome.drained)
    outcome.notes.push(
      `${ledger.unconsumedAcknowledged} acknowledged records still not consumed ${options.drainTimeoutMs / 1000} s after the load stopped`,
    )
  timeline.endPhases()
}
