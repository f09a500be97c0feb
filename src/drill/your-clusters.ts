/**
 * The drill on your clusters (`--cluster NAME=HOST:PORT` or `--config FILE`): the drill cannot
 * kill your brokers, so it tells you what to do and watches for it. A cluster is down when the
 * service's client says so (`cluster:down`), replication has stopped when no MirrorMaker 2
 * heartbeat has arrived for a while. The moment of the fault is then the last sign of life before
 * the drill saw it (the last acknowledged send or consumed record on that cluster, the newest
 * heartbeat), so the times from the fault are, if anything, a little long.
 */
import type { DrillEnvironment, FaultContext, FaultEnded, FaultInjected } from './environment.js'
import type { DrillCluster, FaultKind } from './options.js'
import { waitUntil } from './wait.js'

/** Replication counts as stopped when no flow has delivered a heartbeat for this long. */
const REPLICATION_STOPPED_AFTER_MS = 10_000
/** ... and as back when every flow has delivered one this recently. */
const REPLICATION_BACK_WITHIN_MS = 3_000
/** How long the drill waits for you to cause or end a fault. */
const OPERATOR_TIMEOUT_MS = 30 * 60_000

/** Your clusters as the drill's environment. */
export class YourClustersEnvironment implements DrillEnvironment {
  readonly kind = 'your-clusters'
  readonly facts: Record<string, unknown>

  constructor(readonly clusters: DrillCluster[]) {
    this.facts = {
      faults: 'caused by the operator when asked; times from the fault start at the last sign of life before the drill saw it',
    }
  }

  async injectFault(fault: FaultKind, target: string, context: FaultContext): Promise<FaultInjected> {
    const brokers = this.clusters.find((c) => c.name === target)!.brokers.join(',')
    const asked = Date.now()
    const stopCluster = fault === 'kill' || fault === 'hang' || fault === 'both'
    const asks: Partial<Record<FaultKind, string>> = {
      kill: `stop cluster ${target} (${brokers}) now: kill its brokers (kill -9), or cut this host off from them`,
      hang: `make cluster ${target} (${brokers}) hang now: SIGSTOP its brokers, or drop (not reject) packets to them`,
      'replication-stop': 'stop MirrorMaker 2 now (every flow)',
      both: `stop cluster ${target} (${brokers}) and MirrorMaker 2 now`,
    }
    const what = asks[fault]
    // options.ts refuses the other faults with --cluster: only the local bed can script them.
    if (what === undefined) throw new Error(`--fault ${fault} runs on the local bed only`)
    context.log(`>>> YOUR TURN: ${what}. The drill waits until it sees it (Ctrl-C to give up).`)
    if (stopCluster) {
      const down = await waitUntil(
        () => context.timeline.first('cluster:down', asked, (e) => e.cluster === target),
        OPERATOR_TIMEOUT_MS,
        context.signal,
        50,
      )
      if (down === undefined) throw new Error(`${target} was not seen down within ${OPERATOR_TIMEOUT_MS / 60_000} minutes`)
      return {
        at: context.lastSignOfLife(target, down.at) ?? down.at,
        action: `${target} stopped by the operator${fault === 'both' ? ', and MirrorMaker 2' : ''}`,
        timing: 'observed',
      }
    }
    if (context.latestReplication()?.flows.every((f) => f.heartbeatAgeMs === undefined) ?? true) {
      throw new Error('no MirrorMaker 2 heartbeats found (`<source>.heartbeats` on each target): the drill cannot see replication stop')
    }
    const stopped = await waitUntil(
      () => {
        const sample = context.latestReplication()
        const ages = sample?.flows.map((f) => f.heartbeatAgeMs) ?? []
        return sample !== undefined && ages.every((age) => age === undefined || age > REPLICATION_STOPPED_AFTER_MS) ? sample : undefined
      },
      OPERATOR_TIMEOUT_MS,
      context.signal,
      200,
    )
    if (stopped === undefined) throw new Error(`replication was not seen stopped within ${OPERATOR_TIMEOUT_MS / 60_000} minutes`)
    const youngest = Math.min(...stopped.flows.map((f) => f.heartbeatAgeMs ?? Infinity))
    return {
      at: Number.isFinite(youngest) ? stopped.at - youngest : stopped.at,
      action: 'MirrorMaker 2 stopped by the operator',
      timing: 'observed',
    }
  }

  async endFault(fault: FaultKind, target: string, context: FaultContext): Promise<FaultEnded> {
    const startedAt = Date.now()
    const bringCluster = fault === 'kill' || fault === 'hang' || fault === 'both'
    const bringReplication = fault === 'replication-stop' || fault === 'both'
    const what = [bringCluster ? `bring cluster ${target} back` : '', bringReplication ? 'start MirrorMaker 2 again' : '']
      .filter((s) => s !== '')
      .join(' and ')
    context.log(`>>> YOUR TURN: ${what} now. The drill waits until it sees it (Ctrl-C to give up).`)
    let at = startedAt
    if (bringCluster) {
      const up = await waitUntil(
        () => context.timeline.first('cluster:up', startedAt, (e) => e.cluster === target),
        OPERATOR_TIMEOUT_MS,
        context.signal,
        50,
      )
      if (up === undefined) throw new Error(`${target} was not seen back within ${OPERATOR_TIMEOUT_MS / 60_000} minutes`)
      at = up.at
      context.timeline.add({ at, type: 'restore', cluster: target, detail: `${target} back (seen up)` })
    }
    if (bringReplication) {
      const back = await waitUntil(
        () => {
          const sample = context.latestReplication()
          return sample !== undefined &&
            sample.at > startedAt &&
            sample.flows.every((f) => f.heartbeatAgeMs !== undefined && f.heartbeatAgeMs <= REPLICATION_BACK_WITHIN_MS)
            ? sample
            : undefined
        },
        OPERATOR_TIMEOUT_MS,
        context.signal,
        200,
      )
      if (back === undefined) throw new Error(`replication was not seen delivering within ${OPERATOR_TIMEOUT_MS / 60_000} minutes`)
      context.timeline.add({ at: back.at, type: 'restore', detail: 'MirrorMaker 2 delivers again (fresh heartbeats)' })
      if (!bringCluster) at = back.at
    }
    return { startedAt, at, action: `${what} (by the operator)` }
  }

  async close(log: (line: string) => void): Promise<void> {
    // Nothing of yours was started or stopped by the drill.
    log('the drill started and stopped nothing on your clusters')
  }
}
