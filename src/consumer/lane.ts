/**
 * A lane: one set of a consumer's sessions (the group's member on each cluster), the moves
 * between them, and the watch on where the rest of the group delivers them.
 *
 * A consumer has one lane, which delivers on the active cluster every copy of the origins it
 * reads (`dualRead: 'replicas'`), or one lane per origin (`dualRead: 'direct'`), which delivers
 * that origin's records from the origin's own cluster while it is up and from its replica on the
 * active cluster while it is not. Each lane moves on its own; its checkpoints name it (the
 * writer's instance id carries the origin), so that the split watch of one lane compares it only
 * with the same lane of the group's other instances.
 *
 * @module
 */
import type { FailoverContext } from '../cluster/index.js'
import type { CheckpointWriterId } from '../offsets/checkpoint-codec.js'
import type { SafeEmitter } from '../util/safe-emitter.js'
import type { Checkpointing } from './checkpointing.js'
import { CopyFinder } from './copies.js'
import type { FailoverConsumerEvents } from './events.js'
import { SplitWatch } from './group-split.js'
import type { ValidConsumerOptions } from './options.js'
import type { Positioner } from './positioning.js'
import type { DeliveryFilter } from './delivery/delivery-filter.js'
import type { InstrumentationListener } from './session/types.js'
import type { LaneStatus } from './status.js'
import type { FormerInstances } from './switching/former-instances.js'
import { Switching, type RunSpec } from './switching/switching.js'

/** What a {@link Lane} works with. */
export interface LaneSetup {
  ctx: FailoverContext
  options: ValidConsumerOptions
  /** The origin read directly (`dualRead: 'direct'`); undefined: the lane follows the active cluster. */
  home: string | undefined
  /** This instance's id. */
  instance: string
  checkpoints: Checkpointing
  positioner: Positioner
  filter: DeliveryFilter | undefined
  /** The subscribed logical topics. */
  logicalTopics: () => readonly string[]
  listeners: readonly InstrumentationListener[]
  isRunning: () => boolean
  emitter: SafeEmitter<FailoverConsumerEvents>
  /** With `instanceId`: the consumer's identity and the members of its former incarnations (shared by every lane). */
  instances: FormerInstances | undefined
}

/** See the module description. */
export class Lane {
  /** The origin read directly; undefined when the lane follows the active cluster. */
  readonly home: string | undefined
  /** The writer id this lane's checkpoints carry: the instance's, with `/<origin>` for a home lane. */
  readonly writerInstance: string
  /** The origins read. */
  readonly origins: string[]
  readonly switching: Switching
  private readonly splitWatch: SplitWatch

  constructor(private readonly setup: LaneSetup) {
    const { ctx, options, home, emitter } = setup
    const group = options.groupId
    this.home = home
    this.writerInstance = home === undefined ? setup.instance : `${setup.instance}/${home}`
    this.origins = home === undefined ? options.origins : [home]
    // With identity naming every copy holds every origin: the filter tells them by header instead.
    const byName = ctx.replicationPolicy.name !== 'identity' && this.origins.length < ctx.clusters.length
    const tag = <T extends object>(event: T): T => (home === undefined ? event : { ...event, origin: home })
    this.switching = new Switching({
      ctx,
      options,
      home,
      copies: new CopyFinder(ctx, group, setup.logicalTopics, byName ? this.origins : undefined),
      positioner: setup.positioner,
      positionsOn: (cluster) => setup.checkpoints.positionsOn(cluster),
      listeners: setup.listeners,
      isRunning: setup.isRunning,
      groupDeliversOn: () => this.splitWatch.othersDeliverOn,
      filter: setup.filter,
      ...(setup.instances ? { instances: setup.instances } : {}),
      events: {
        moved: (event) => emitter.emit('consumer:moved', tag(event)),
        moveFailed: (event) => emitter.emit('consumer:move-failed', tag(event)),
        sessionCrashed: (event) => emitter.emit('consumer:session-crashed', tag(event)),
      },
    })
    const { groupSplit, checkpoint } = options
    // Cluster priority, then name: the same order on every instance (`local` differs between them).
    const order = [...ctx.clusters].sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name)).map((c) => c.name)
    this.splitWatch = new SplitWatch({
      instance: this.writerInstance,
      yieldAfterMs: groupSplit.yield ? groupSplit.yieldAfterMs : undefined,
      // A writer with steady traffic writes every checkpoint interval; a few missed ones are not a departure.
      freshMs: Math.max(5000, 5 * checkpoint.intervalMs),
      rank: (cluster) => order.indexOf(cluster),
      isUp: (cluster) => ctx.healthOf(cluster) === 'up',
      onSplit: (split) => emitter.emit('consumer:split', tag({ timestamp: split.since, group, ...split })),
      onSplitEnded: (split, now, cluster) =>
        emitter.emit('consumer:split-ended', tag({ timestamp: now, group, since: split.since, durationMs: now - split.since, cluster })),
    })
  }

  /** The cluster the lane delivers from now: undefined while it does not run, or while its move is failing (and retried). */
  get cluster(): string | undefined {
    const session = this.switching.delivering
    return session?.isActive && !session.isFailing ? session.cluster : undefined
  }

  /** Who writes this lane's checkpoints, and where it delivers (none while it does not deliver). */
  writerId(): CheckpointWriterId | undefined {
    const deliveringOn = this.cluster
    const chose = this.switching.chosen
    return deliveringOn === undefined || chose === undefined ? undefined : { instance: this.writerInstance, deliveringOn, chose }
  }

  /** See {@link LaneStatus}. */
  status(): LaneStatus {
    return { origins: this.origins, cluster: this.cluster, followingGroupTo: this.switching.followed, split: this.splitWatch.current }
  }

  /** What the lane's sessions of the coming run are started with; set before anything can start one. */
  prepare(spec: RunSpec): void {
    this.switching.prepare(spec)
  }

  /** Starts delivering where the lane belongs (the active cluster `active`, or the home cluster while it is up). */
  start(active: string): Promise<void> {
    return this.switching.start(this.switching.chosen ?? active)
  }

  /** The active cluster changed: delivery goes where it belongs now. */
  onActiveChange(): Promise<void> {
    this.splitWatch.forgetFollow()
    return this.switching.retarget()
  }

  /** A cluster's health turned up: a standby there and, for the lane of that origin, delivery back home (make before break). */
  onClusterUp(cluster: string): void {
    const standby = this.switching.ensureStandby(cluster)
    if (cluster === this.home) void standby.then(() => this.switching.retarget()).catch(() => {})
  }

  /** A cluster's health turned down: its standby stops; the lane of that origin moves to the active cluster. */
  onClusterDown(cluster: string): void {
    this.switching.onClusterDown(cluster)
    if (cluster === this.home) void this.switching.retarget().catch(() => {})
  }

  /**
   * Looks for a split of this lane across the group (see `group-split.ts`) and follows the group
   * or comes back when the watch says so.
   */
  checkSplit(now: number): void {
    const since = now - 60_000
    const writers = this.setup.ctx.clusters
      .flatMap((c) => this.setup.checkpoints.viewOf(c.name).writersSince(this.setup.options.groupId, since))
      .filter((w) => this.isSameLane(w.instance))
    // A session that has not joined its group delivers nothing yet: it is not a side of a split.
    const session = this.switching.delivering
    const delivering = session?.hasJoined ? this.cluster : undefined
    const decision = this.splitWatch.tick({ now, delivering, chosen: this.switching.chosen, following: this.switching.followed, writers })
    if (decision === undefined) return
    // A failed move is reported by consumer:move-failed and retried by the move itself.
    if ('follow' in decision) void this.switching.follow(decision.follow).catch(() => {})
    else void this.switching.unfollow().catch(() => {})
  }

  /** The lane stopped: an open split ends. */
  clearSplit(now: number): void {
    this.splitWatch.clear(now)
  }

  /** Whether a checkpoint writer id is this lane's, on some instance of the group. */
  private isSameLane(instance: string): boolean {
    const slash = instance.indexOf('/')
    return this.home === undefined ? slash < 0 : slash >= 0 && instance.slice(slash + 1) === this.home
  }
}
