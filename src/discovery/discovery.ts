/**
 * The probe loop: probes every cluster each `intervalMs` (and at once when a producer or
 * consumer reports an error), keeps each cluster's health with hysteresis, and asks the policy
 * which cluster should be active. It only decides; the client carries out the switch.
 */
import type { ClusterConnection, ProbeResult } from '../cluster/index.js'
import { ClusterIdChangedError, DiscoveryPolicyError } from '../errors/index.js'
import { withTimeout } from '../util/timeout.js'
import { errorMessage, logger } from '../util/log.js'
import { HealthTracker } from './health-tracker.js'
import type { ClusterView, DiscoveryPolicy, DiscoveryView, HealthState } from './types.js'
import { byPreference } from './policies.js'

const log = logger('discovery')

/** Settled health options (every field present). */
export interface ResolvedHealthOptions {
  intervalMs: number
  timeoutMs: number
  failureThreshold: number
  successThreshold: number
}

/** What discovery tells its owner. */
export interface DiscoveryHooks {
  /**
   * A cluster's health changed; or, with state `'down'` again, a cluster already down answered
   * as another cluster (`detail.error` is the ClusterIdChangedError).
   */
  onHealthChange(cluster: string, state: HealthState, detail: { error?: Error; clusterId?: string }): void
  /**
   * The policy wants `cluster` active. Called when it differs from `active()`; and with the active
   * cluster itself when an earlier decision has not been carried out yet (the owner was busy with
   * another switch) and is no longer wanted: the owner must then drop it and stay.
   */
  onDecision(cluster: string): void
  /** The active cluster now. */
  active(): string | undefined
  /** A probe of `cluster` finished (of the current epoch only), before its health is updated. */
  onProbe?(cluster: string, result: ProbeResult): void
  /** The policy's `decide()` threw or did not settle within the decision's bound. */
  onPolicyError?(error: DiscoveryPolicyError): void
}

/** Bounds on the policy's calls. */
export interface PolicyBounds {
  /** How long one `decide()` may take, in ms. */
  decideTimeoutMs: number
}

/** Fewest ms between two probes of one cluster triggered by errors. */
const MIN_TRIGGERED_PROBE_GAP_MS = 100

/** Policy runs in one decision whose choice went down while it ran, before the decision waits for the next round. */
const MAX_STALE_DECISIONS = 3

export class Discovery {
  private readonly trackers = new Map<string, HealthTracker>()
  private readonly inFlight = new Map<string, { run: Promise<void>; epoch: number }>()
  private readonly lastProbeAt = new Map<string, number>()
  private readonly lastError = new Map<string, Error>()
  /** Per cluster, the cluster id of the other cluster last reported answering at its address. */
  private readonly impostors = new Map<string, string>()
  private timer: NodeJS.Timeout | undefined
  private running = false
  private deciding = false
  /**
   * The cluster last passed to onDecision that is not active yet (the owner is still busy with an
   * earlier switch), and whether it was up then.
   */
  private requested: { cluster: string; wasUp: boolean } | undefined
  /** Bumped by start() and stop(): work begun under an older epoch must not act. */
  private epoch = 0

  private readonly clusters: readonly ClusterConnection[]

  constructor(
    clusters: readonly ClusterConnection[],
    private readonly localCluster: string | undefined,
    private readonly policy: DiscoveryPolicy,
    private readonly health: ResolvedHealthOptions,
    private readonly hooks: DiscoveryHooks,
    private readonly bounds: PolicyBounds = { decideTimeoutMs: 30_000 },
  ) {
    // Sorted once: the view lists clusters most preferred first, and policies rely on it.
    this.clusters = [...clusters].sort(byPreference(localCluster))
    for (const c of clusters) this.trackers.set(c.name, new HealthTracker(health))
  }

  /**
   * Probes every cluster once, starts the policy and the loop. Rejects with a
   * {@link DiscoveryPolicyError} when the policy's `start()` rejects or takes over `timeoutMs`.
   */
  async start(timeoutMs = Infinity): Promise<void> {
    const epoch = ++this.epoch
    this.running = true
    if (this.policy.start !== undefined) {
      const started = Promise.resolve().then(() => this.policy.start!())
      await (Number.isFinite(timeoutMs) ? withTimeout(started, timeoutMs, `starting the ${this.policy.name} policy`) : started).catch(
        (error: unknown) => {
          throw new DiscoveryPolicyError(this.policy.name, 'start', error)
        },
      )
    }
    await this.round(epoch)
    this.schedule(epoch)
  }

  /** Stops the loop and the policy; no decision is reported after this resolves. */
  async stop(): Promise<void> {
    this.running = false
    this.epoch++
    clearTimeout(this.timer)
    // Probes in flight are not waited for (one on a hung cluster runs to its timeout): their
    // results are dropped, since they belong to an older epoch.
    await this.policy.stop?.()
  }

  /** Health of one cluster. */
  healthOf(cluster: string): HealthState {
    return this.trackers.get(cluster)?.state ?? 'unknown'
  }

  /** The last probe error of a cluster, if its last probe failed. */
  lastErrorOf(cluster: string): Error | undefined {
    return this.lastError.get(cluster)
  }

  /**
   * An error seen by a producer or consumer on `cluster`: probe it now rather than at the next
   * tick, so a dead cluster is noticed within a few hundred ms of the first failed request.
   */
  reportError(cluster: string): void {
    if (!this.running) return
    const last = this.lastProbeAt.get(cluster) ?? 0
    if (this.inFlight.get(cluster)?.epoch === this.epoch || Date.now() - last < MIN_TRIGGERED_PROBE_GAP_MS) return
    log('error reported on %s: probing now', cluster)
    void this.probe(cluster).then(() => this.decide())
  }

  /** The view a policy decides from. */
  view(): DiscoveryView {
    const clusters: ClusterView[] = this.clusters.map((c) => {
      const tracker = this.trackers.get(c.name)!
      return { name: c.name, priority: c.priority, local: c.name === this.localCluster, health: tracker.state, since: tracker.since }
    })
    return { now: Date.now(), active: this.hooks.active(), clusters }
  }

  /**
   * Runs the policy now and reports a decision that differs from the active cluster, or that
   * replaces one not carried out yet.
   */
  async decide(): Promise<void> {
    if (!this.running || this.deciding) return
    const epoch = this.epoch
    this.deciding = true
    try {
      let choice: string | undefined
      // A policy that takes its time (a custom function asking a service, the declared policy
      // reading its topic) may choose a cluster that went down meanwhile: that choice is stale,
      // and the policy decides again from a fresh view. A cluster down in the view it was given
      // is its own choice (an operator's declaration), carried out as such.
      for (let attempt = 1; ; attempt++) {
        const view = this.view()
        // Bounded: a decision that never settles would keep `deciding` set, and discovery frozen, for good.
        choice = await withTimeout(
          Promise.resolve().then(() => this.policy.decide(view)),
          this.bounds.decideTimeoutMs,
          `the ${this.policy.name} policy's decision`,
        )
        if (epoch !== this.epoch) return
        const chosen = view.clusters.find((c) => c.name === choice)
        if (chosen?.health !== 'up' || this.healthOf(chosen.name) !== 'down') break
        log(
          'policy %s chose %s, which went down while it decided: %s',
          this.policy.name,
          chosen.name,
          attempt < MAX_STALE_DECISIONS ? 'deciding again' : 'ignored',
        )
        if (attempt === MAX_STALE_DECISIONS) return
      }
      if (choice !== undefined && !this.trackers.has(choice)) {
        log('policy %s chose unknown cluster %s: ignored', this.policy.name, choice)
        return
      }
      const active = this.hooks.active()
      if (this.requested?.cluster === active) this.requested = undefined
      // An owner busy with a switch carries out the newest decision after it: one still waiting
      // is replaced, by the active cluster when the policy now wants to stay.
      if (choice === undefined || (choice === active && this.requested === undefined)) return
      this.requested = choice === active ? undefined : { cluster: choice, wasUp: this.healthOf(choice) === 'up' }
      this.hooks.onDecision(choice)
    } catch (error) {
      log('policy %s failed: %s', this.policy.name, errorMessage(error))
      if (epoch === this.epoch) this.hooks.onPolicyError?.(new DiscoveryPolicyError(this.policy.name, 'decide', error))
    } finally {
      this.deciding = false
    }
  }

  /**
   * `cluster` went down. A switch to it that the owner has not begun (it is busy with another) was
   * decided while it was up: withdrawn at once, before the owner gets to it; the owner stays, and
   * the decision that follows this probe chooses again.
   */
  private withdraw(cluster: string): void {
    const waiting = this.requested
    const active = this.hooks.active()
    if (waiting?.cluster !== cluster || !waiting.wasUp || active === undefined || active === cluster) return
    this.requested = undefined
    log('%s went down before the switch to it began: staying on %s', cluster, active)
    this.hooks.onDecision(active)
  }

  private schedule(epoch: number): void {
    if (!this.running || epoch !== this.epoch) return
    this.timer = setTimeout(() => {
      void this.round(epoch).finally(() => this.schedule(epoch))
    }, this.health.intervalMs)
    this.timer.unref()
  }

  private async round(epoch: number): Promise<void> {
    if (epoch !== this.epoch) return
    await Promise.all(this.clusters.map((c) => this.probe(c.name)))
    await this.decide()
  }

  private probe(name: string): Promise<void> {
    const existing = this.inFlight.get(name)
    // A probe of an older epoch (before a stop and a new start) would be dropped: probe afresh.
    if (existing && existing.epoch === this.epoch) return existing.run
    const cluster = this.clusters.find((c) => c.name === name)!
    this.lastProbeAt.set(name, Date.now())
    const epoch = this.epoch
    const run = cluster
      .probe(this.health.timeoutMs)
      .then((result) => {
        if (epoch !== this.epoch) return
        this.hooks.onProbe?.(name, result)
        if (result.ok) this.lastError.delete(name)
        else this.lastError.set(name, result.error)
        const tracker = this.trackers.get(name)!
        const changed = tracker.record(result.ok)
        const error = result.ok ? undefined : result.error
        const impostor = error instanceof ClusterIdChangedError ? error.actual : undefined
        if (changed === 'up') this.impostors.delete(name)
        if (changed) {
          log('%s is %s', name, changed)
          if (changed === 'down' && impostor !== undefined) this.impostors.set(name, impostor)
          this.hooks.onHealthChange(name, changed, result.ok ? { clusterId: result.clusterId } : { error: result.error })
          if (changed === 'down') this.withdraw(name)
        } else if (impostor !== undefined && tracker.state === 'down' && this.impostors.get(name) !== impostor) {
          // Down already (it died first), and now another cluster answers at its address: reported
          // once per cluster id, so that why it stays down is not only in status().
          log('%s answers as another cluster: %s', name, errorMessage(error))
          this.impostors.set(name, impostor)
          this.hooks.onHealthChange(name, 'down', { error })
        } else if (!result.ok && tracker.state === 'up') {
          // A suspect cluster is confirmed (or cleared) at once rather than at the next tick: the
          // thresholds still guard against flapping, but a dead cluster is declared down in
          // failureThreshold quick probes instead of failureThreshold intervals.
          const confirm = setTimeout(() => this.reportError(name), MIN_TRIGGERED_PROBE_GAP_MS)
          confirm.unref()
        }
      })
      .finally(() => {
        if (this.inFlight.get(name)?.run === run) this.inFlight.delete(name)
      })
    this.inFlight.set(name, { run, epoch })
    return run
  }
}
