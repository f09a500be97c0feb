/**
 * The client's private side: the {@link FailoverContext} that producers and consumers are given.
 * It is a separate object, never a public member of {@link MultiClusterKafka}, so that waiting for
 * the active cluster, listening to switches or registering a switch participant is not part of
 * the package's API. The client drives it (`activate`, `clusterUp`, `clusterDown`).
 *
 * @module
 */
import type { ActiveChange, ClusterConnection, FailoverContext, SwitchParticipant } from '../cluster/index.js'
import type { Discovery } from '../discovery/discovery.js'
import { AuthenticationError, NoActiveClusterError, UnknownClusterError } from '../errors/index.js'
import type { ReplicationPolicy } from '../topology/replication-policy.js'
import { errorMessage, logger } from '../util/log.js'
import { SafeEmitter } from '../util/safe-emitter.js'
import { withTimeout } from '../util/timeout.js'

const log = logger('client')

/** What the context needs of the client. */
export interface ClientContextSetup {
  /** Every cluster, most preferred first. */
  clusters: readonly ClusterConnection[]
  /** How the replicator names topics on each cluster. */
  replicationPolicy: ReplicationPolicy
  /** The client's discovery (health of each cluster, error reports). */
  discovery: () => Discovery
  /** Name of the provenance header the producers stamp; undefined when provenance is off. */
  provenanceHeader: string | undefined
  /** The client's `connectTimeoutMs`. */
  connectTimeoutMs: number
}

/** The {@link FailoverContext} of one client; see the module description. */
export class ClientContext implements FailoverContext {
  readonly clusters: readonly ClusterConnection[]
  readonly replicationPolicy: ReplicationPolicy
  readonly provenanceHeader: string | undefined
  readonly connectTimeoutMs: number
  private readonly discovery: () => Discovery
  private readonly internal = new SafeEmitter<{
    change: (c: ActiveChange) => void
    up: (cluster: string) => void
    down: (cluster: string) => void
  }>()
  private readonly participants = new Set<SwitchParticipant>()
  private active: string | undefined

  constructor(setup: ClientContextSetup) {
    this.clusters = setup.clusters
    this.replicationPolicy = setup.replicationPolicy
    this.discovery = setup.discovery
    this.provenanceHeader = setup.provenanceHeader
    this.connectTimeoutMs = setup.connectTimeoutMs
  }

  get activeCluster(): string | undefined {
    return this.active
  }

  connection(cluster: string): ClusterConnection {
    const found = this.clusters.find((c) => c.name === cluster)
    if (!found)
      throw new UnknownClusterError(
        cluster,
        this.clusters.map((c) => c.name),
      )
    return found
  }

  async waitForActive(timeoutMs: number, signal?: AbortSignal): Promise<string> {
    if (this.active !== undefined) return this.active
    // Both listeners are removed however the wait ends: callers wait in loops, and a timed-out
    // wait must not leave a listener behind each time.
    let cleanup = (): void => {}
    const waiting = new Promise<string>((resolve, reject) => {
      // An already aborted signal never fires 'abort' again.
      if (signal?.aborted) return reject(signal.reason)
      const onAbort = (): void => reject(signal!.reason)
      const off = this.onActiveChange(({ to }) => resolve(to))
      signal?.addEventListener('abort', onAbort, { once: true })
      cleanup = () => {
        off()
        signal?.removeEventListener('abort', onAbort)
      }
    })
    try {
      return await withTimeout(waiting, timeoutMs, 'waiting for an active cluster')
    } catch (error) {
      if (this.active !== undefined) return this.active
      const discovery = this.discovery()
      const detail = this.clusters
        .map(
          (c) =>
            `${c.name}: ${discovery.healthOf(c.name)}${discovery.lastErrorOf(c.name) ? ` (${discovery.lastErrorOf(c.name)!.message})` : ''}`,
        )
        .join('; ')
      throw new NoActiveClusterError(`No healthy cluster within ${timeoutMs} ms: ${detail}`, { cause: error })
    } finally {
      cleanup()
    }
  }

  /**
   * When every cluster is down because it refused the client (its last probe failed with an
   * {@link AuthenticationError}): the most preferred cluster's error, its message naming the
   * others'. Otherwise `undefined`.
   */
  refusedEverywhere(): AuthenticationError | undefined {
    const discovery = this.discovery()
    const refusals = this.clusters.map((c) => ({ health: discovery.healthOf(c.name), error: discovery.lastErrorOf(c.name) }))
    if (!refusals.every((r) => r.health === 'down' && r.error instanceof AuthenticationError)) return undefined
    const [first, ...others] = refusals.map((r) => r.error as AuthenticationError)
    if (first === undefined) return undefined
    if (others.length === 0) return first
    return new AuthenticationError(
      first.cluster,
      first.kind,
      `Every cluster refused the client: ${[first, ...others].map((e) => e.message).join('; ')}`,
      { cause: first },
    )
  }

  /**
   * {@link waitForActive} for `connect()`: rejects with the {@link refusedEverywhere} error as
   * soon as every cluster has refused the client (checked every 200 ms: a refusal that kafkajs
   * retried past a probe's timeout arrives without a change of health), and with it rather than a
   * `NoActiveClusterError` when that is why the wait timed out.
   */
  async waitForConnect(timeoutMs: number): Promise<string> {
    const refusedNow = this.refusedEverywhere()
    if (refusedNow !== undefined) throw refusedNow
    const refused = new AbortController()
    const timer = setInterval(() => {
      const error = this.refusedEverywhere()
      if (error !== undefined) refused.abort(error)
    }, 200)
    timer.unref()
    try {
      return await this.waitForActive(timeoutMs, refused.signal)
    } catch (error) {
      throw this.refusedEverywhere() ?? error
    } finally {
      clearInterval(timer)
    }
  }

  onActiveChange(listener: (change: ActiveChange) => void): () => void {
    this.internal.on('change', listener)
    return () => this.internal.off('change', listener)
  }

  onClusterUp(listener: (cluster: string) => void): () => void {
    this.internal.on('up', listener)
    return () => this.internal.off('up', listener)
  }

  onClusterDown(listener: (cluster: string) => void): () => void {
    this.internal.on('down', listener)
    return () => this.internal.off('down', listener)
  }

  healthOf(cluster: string): 'unknown' | 'up' | 'down' {
    return this.discovery().healthOf(cluster)
  }

  reportError(cluster: string, error: unknown): void {
    log('error on %s reported: %s', cluster, errorMessage(error))
    this.discovery().reportError(cluster)
  }

  addParticipant(participant: SwitchParticipant): () => void {
    this.participants.add(participant)
    return () => this.participants.delete(participant)
  }

  // ---- driven by the client -------------------------------------------------------------

  /**
   * Makes `change.to` the active cluster, tells the listeners, and moves every participant, each
   * bounded by `timeoutMs`. Resolves with each participant's name and outcome.
   */
  async activate(change: ActiveChange, timeoutMs: number): Promise<Array<{ participant: string; result: PromiseSettledResult<void> }>> {
    this.active = change.to
    this.internal.emit('change', change)
    const participants = [...this.participants]
    const results = await Promise.allSettled(
      participants.map((p) => withTimeout(p.onSwitch(change), timeoutMs, `switch to '${change.to}'`, { cluster: change.to })),
    )
    return results.map((result, i) => ({ participant: participants[i]!.name, result }))
  }

  /** A cluster's health turned up. */
  clusterUp(cluster: string): void {
    this.internal.emit('up', cluster)
  }

  /** A cluster's health turned down. */
  clusterDown(cluster: string): void {
    this.internal.emit('down', cluster)
  }
}
