/**
 * Whether this instance's consumer group is split across clusters, and what this instance does
 * about it (see `GroupSplitOptions` for the rule users read).
 *
 * The instances of a group learn where the others deliver from the checkpoints they write: each
 * checkpoint names its writer and the cluster the writer delivered on (see `CheckpointWriterId`),
 * and every instance follows every cluster's checkpoint topics anyway (the checkpoint views). An
 * instance that sees checkpoints written lately by others while they delivered on another cluster
 * knows the group is split.
 *
 * Which side gives way must not depend on who looks: both sides see the same split, and if both
 * gave way they would swap places. The rule is an order every instance shares (cluster
 * `priority`, then name): the instances on the more preferred cluster join the others on the less
 * preferred one. That is the side every instance can reach: an instance that cannot reach the
 * preferred cluster is why a group stays split for long. An instance that joined the others goes
 * back to the cluster its discovery chose as soon as others deliver there again (after
 * {@link SplitWatchSetup.freshMs}, so that the last checkpoints of instances that gave way a moment
 * after it do not call it back), when no other instance delivers where it went, or when that
 * cluster goes down.
 *
 * This module decides; `Switching` moves. It is pure logic, driven by {@link SplitWatch.tick}.
 *
 * @module
 */
import type { CheckpointWriterId } from '../offsets/checkpoint-codec.js'

/** A split of the group as one instance sees it (`status().split`). */
export interface GroupSplit {
  /** When this instance first saw the split (ms since epoch). */
  since: number
  /** The cluster this instance delivers on. */
  cluster: string
  /** The other clusters that other instances of the group delivered on lately, with how many instances each. */
  elsewhere: Record<string, number>
  /**
   * When this instance joins the others (ms since epoch), or undefined when it stays: it is on
   * the less preferred side, already joined them, or `groupSplit.yield` is off.
   */
  yieldsAt: number | undefined
}

/** What a {@link SplitWatch} decided at a tick. */
export type SplitDecision =
  /** Deliver on this cluster, with the rest of the group, instead of the one discovery chose. */
  | { follow: string }
  /** Go back to the cluster discovery chose. */
  | { unfollow: true }
  | undefined

/** What one tick looks at. */
export interface SplitObservation {
  /** Now (ms since epoch). */
  now: number
  /** The cluster this instance delivers on; undefined while it moves or does not run. */
  delivering: string | undefined
  /** The cluster discovery chose (the client's active cluster). */
  chosen: string | undefined
  /** The cluster this instance delivers on to be with its group, instead of `chosen`, if any. */
  following: string | undefined
  /** Writers of the group's checkpoints lately, this instance's included (it is skipped). */
  writers: ReadonlyArray<CheckpointWriterId & { writtenAt: number }>
}

/** What a {@link SplitWatch} works with. */
export interface SplitWatchSetup {
  /** This instance's writer id. */
  instance: string
  /** Join the others after a split has lasted this long, in ms (`undefined`: never). */
  yieldAfterMs: number | undefined
  /** A checkpoint written longer ago than this, in ms, no longer shows where its writer is. */
  freshMs: number
  /** Preference order shared by every instance: lower is more preferred. */
  rank: (cluster: string) => number
  /** Whether this instance sees `cluster` up. */
  isUp: (cluster: string) => boolean
  /** A split began. */
  onSplit: (split: GroupSplit) => void
  /** The split ended: this instance and the others deliver on one cluster again. */
  onSplitEnded: (split: GroupSplit, now: number, cluster: string) => void
}

/** See the module description. */
export class SplitWatch {
  private split: GroupSplit | undefined
  /** When this instance began to follow its group where it is now (by this watch's decision or a start's bridge). */
  private followedAt = 0
  private lastFollowing: string | undefined
  /** Where other instances delivered lately, as of the last tick. */
  private othersOn: string[] = []

  constructor(private readonly setup: SplitWatchSetup) {}

  /** The split as of the last tick, if any. */
  get current(): GroupSplit | undefined {
    return this.split
  }

  /** The clusters other instances of the group delivered on lately, as of the last tick. */
  get othersDeliverOn(): readonly string[] {
    return this.othersOn
  }

  /** Looks at where the group delivers; reports a split's start and end; decides a move, if any. */
  tick(o: SplitObservation): SplitDecision {
    const { setup } = this
    if (o.following !== this.lastFollowing) {
      this.lastFollowing = o.following
      if (o.following !== undefined) this.followedAt = o.now
    }
    // Each other instance is where its newest checkpoint says: one that moved a moment ago still
    // has fresh checkpoints from the cluster it left.
    const newest = new Map<string, CheckpointWriterId & { writtenAt: number }>()
    for (const w of o.writers) {
      if (w.instance !== setup.instance && w.writtenAt >= o.now - setup.freshMs && (newest.get(w.instance)?.writtenAt ?? -1) < w.writtenAt) newest.set(w.instance, w)
    }
    const instancesOn = new Map<string, Set<string>>()
    for (const w of newest.values()) {
      const on = instancesOn.get(w.deliveringOn) ?? new Set<string>()
      instancesOn.set(w.deliveringOn, on.add(w.instance))
    }
    this.othersOn = [...instancesOn.keys()]
    if (o.delivering === undefined) return this.leaveIfDone(o, instancesOn)
    const elsewhere = Object.fromEntries([...instancesOn].filter(([c]) => c !== o.delivering).map(([c, on]) => [c, on.size]))
    if (Object.keys(elsewhere).length === 0) {
      if (this.split) setup.onSplitEnded(this.split, o.now, o.delivering)
      this.split = undefined
      return this.leaveIfDone(o, instancesOn)
    }
    const target = o.following === undefined && o.delivering === o.chosen ? this.yieldTarget(o.delivering, elsewhere) : undefined
    // A split seen from another cluster is another split: the events come in pairs.
    if (this.split !== undefined && this.split.cluster !== o.delivering) {
      setup.onSplitEnded(this.split, o.now, o.delivering)
      this.split = undefined
    }
    const started = this.split === undefined
    const since = started ? o.now : this.split!.since
    this.split = { since, cluster: o.delivering, elsewhere, yieldsAt: target === undefined || setup.yieldAfterMs === undefined ? undefined : since + setup.yieldAfterMs }
    if (started) setup.onSplit(this.split)
    if (target !== undefined && this.split.yieldsAt !== undefined && o.now >= this.split.yieldsAt) {
      this.followedAt = o.now
      this.lastFollowing = target
      return { follow: target }
    }
    return this.leaveIfDone(o, instancesOn)
  }

  /** Forgets a follow: discovery chose anew. */
  reset(): void {
    this.followedAt = 0
    this.lastFollowing = undefined
  }

  /** The least preferred cluster that others deliver on, if it is less preferred than `own` and up. */
  private yieldTarget(own: string, elsewhere: Record<string, number>): string | undefined {
    const { rank, isUp } = this.setup
    const candidates = Object.keys(elsewhere).filter((c) => rank(c) > rank(own) && isUp(c))
    return candidates.sort((a, b) => rank(b) - rank(a))[0]
  }

  /** Whether an instance that joined the others should go back to the cluster discovery chose. */
  private leaveIfDone(o: SplitObservation, instancesOn: Map<string, Set<string>>): SplitDecision {
    if (o.following === undefined) return undefined
    const cameBack = o.chosen !== undefined && o.writers.some((w) => w.instance !== this.setup.instance && w.deliveringOn === o.chosen && w.writtenAt >= this.followedAt + this.setup.freshMs)
    const nobodyThere = !instancesOn.has(o.following) && o.now >= this.followedAt + this.setup.freshMs
    return cameBack || nobodyThere || !this.setup.isUp(o.following) ? { unfollow: true } : undefined
  }
}
