/** A planned switch's wait: until the target has caught up with the active cluster, or the bound. */
import { DrainTimeoutError, UnsupportedOperationError } from '../errors/index.js'
import type { ReplicationFlowStatus, ReplicationLagMonitor } from '../replication/lag-monitor.js'
import { logger } from '../util/log.js'
import { delay } from '../util/timeout.js'
import { expectInt } from '../util/validate.js'
import type { DrainOptions } from './types.js'

const log = logger('client')

/** Time between two checks of a planned switch's replication flow while it waits. */
const DRAIN_RECHECK_MS = 500

function expectDrainBound(value: unknown, path: string, fallback: number): number {
  return expectInt(value, path, fallback, { min: 0 })
}

/**
 * Waits until the flow `from -> to` is at most `maxLagMs` behind, checked afresh each time.
 * Rejects with {@link DrainTimeoutError} past `timeoutMs`, with `signal`'s reason once it aborts.
 */
export async function drainInto(
  monitor: ReplicationLagMonitor | undefined,
  from: string,
  to: string,
  options: DrainOptions,
  signal: AbortSignal,
): Promise<{ lagMs: number | undefined; waitedMs: number }> {
  const maxLagMs = expectDrainBound(options.maxLagMs, 'drain.maxLagMs', 3000)
  const timeoutMs = expectDrainBound(options.timeoutMs, 'drain.timeoutMs', 30_000)
  if (monitor?.flow(from, to) === undefined) {
    throw new UnsupportedOperationError(
      `Cannot drain into '${to}': the replication flow ${from} -> ${to} is not watched (${monitor === undefined ? 'replicationLag is false' : 'identity topic naming hides which flow a heartbeat came from'})`,
    )
  }
  const started = Date.now()
  let last: ReplicationFlowStatus | undefined
  for (;;) {
    signal.throwIfAborted()
    last = await monitor.check(from, to).catch(() => monitor.flow(from, to))
    signal.throwIfAborted()
    const waitedMs = Date.now() - started
    if (last?.lastError === undefined && last?.lagMs !== undefined && last.lagMs <= maxLagMs) {
      log('drained %s -> %s in %d ms (lag %d ms)', from, to, waitedMs, last.lagMs)
      return { lagMs: last.lagMs, waitedMs }
    }
    if (waitedMs >= timeoutMs) break
    await delay(Math.min(DRAIN_RECHECK_MS, timeoutMs - waitedMs), signal)
  }
  const behind =
    last?.lastError !== undefined
      ? `could not be read (${last.lastError})`
      : last?.lagMs === undefined
        ? 'has no heartbeats'
        : `was still ${last.lagMs} ms behind`
  throw new DrainTimeoutError(
    `Planned switch ${from} -> ${to} not made: replication ${from} -> ${to} ${behind} after ${timeoutMs} ms (drain.maxLagMs ${maxLagMs})`,
    last?.lagMs,
    { cluster: to },
  )
}
