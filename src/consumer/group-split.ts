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
 * preferred one, where an instance that cannot reach the preferred cluster usually is: it is why
 * a group stays split for long. Only *anchors* count: instances whose discovery chose the cluster
 * they deliver on (a checkpoint names both). An instance that followed its group, or one on its
 * way to another cluster, only goes along; counting it would let followers hold one another on
 * the less preferred cluster for good, or call one another back and forth. An instance that
 * followed goes back to the cluster its discovery chose once no anchor is left where it went
 * (they left, or their discovery chose its cluster too), after {@link SplitWatchSetup.freshMs}
 * from the follow, or when that cluster goes down.
 *
 * Freshness compares the writer's clock (a checkpoint's `writtenAt`, when its position was
 * reached) with this instance's: the hosts' clocks must agree within a second or so (NTP), and an
 * instance whose partitions see no record for longer than `freshMs` looks gone until its next
 * record.
 *
 * This module decides; `Switching` moves. It is pure logic, driven by {@link SplitWatch.tick}.
 *
 * @module
 */
import type { CheckpointWriterId } from '../offsets/checkpoint-codec.js'

/**
 * A split of the group as one instance sees it (`status().split`).
 *
 * @group Consumer
 */
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
  /**
   * The split as seen from `split.cluster` ended: the others deliver on `cluster` (this instance's
   * cluster now) too, or this instance moved (a new split is reported from there if one remains),
   * or stopped (`cluster` undefined).
   */
  onSplitEnded: (split: GroupSplit, now: number, cluster: string | undefined) => void
}

/** A writer as the watch sees it: where it delivered, where its discovery wanted it, and when. */
type Seen = CheckpointWriterId & { writtenAt: number }

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
    const others = this.othersNow(o)
    this.othersOn = [...new Set(others.map((w) => w.deliveringOn))]
    // Anchors: instances where their own discovery wants them. A split lasts because of them;
    // instances that follow their group (or are on their way elsewhere) only go along.
    const anchoredOn = new Set(others.filter((w) => w.deliveringOn === w.chose).map((w) => w.deliveringOn))
    if (o.delivering === undefined) return this.leaveIfDone(o, anchoredOn)
    const elsewhere: Record<string, number> = {}
    for (const w of others) if (w.deliveringOn !== o.delivering) elsewhere[w.deliveringOn] = (elsewhere[w.deliveringOn] ?? 0) + 1
    // A split seen from another cluster is another split: the events come in pairs.
    if (this.split !== undefined && (this.split.cluster !== o.delivering || Object.keys(elsewhere).length === 0)) {
      setup.onSplitEnded(this.split, o.now, o.delivering)
      this.split = undefined
    }
    if (Object.keys(elsewhere).length === 0) return this.leaveIfDone(o, anchoredOn)
    const target = o.following === undefined && o.delivering === o.chosen ? this.yieldTarget(o.delivering, anchoredOn) : undefined
    const started = this.split === undefined
    const since = started ? o.now : this.split!.since
    this.split = {
      since,
      cluster: o.delivering,
      elsewhere,
      yieldsAt: target === undefined || setup.yieldAfterMs === undefined ? undefined : since + setup.yieldAfterMs,
    }
    if (started) setup.onSplit(this.split)
    if (target !== undefined && this.split.yieldsAt !== undefined && o.now >= this.split.yieldsAt) {
      this.followedAt = o.now
      this.lastFollowing = target
      return { follow: target }
    }
    return this.leaveIfDone(o, anchoredOn)
  }

  /** Forgets a follow: discovery chose anew. */
  forgetFollow(): void {
    this.followedAt = 0
    this.lastFollowing = undefined
  }

  /** The consumer stopped: a split still open ends (`onSplitEnded` with no cluster), and any follow is forgotten. */
  clear(now: number): void {
    if (this.split !== undefined) this.setup.onSplitEnded(this.split, now, undefined)
    this.split = undefined
    this.othersOn = []
    this.forgetFollow()
  }

  /** The other instances, each where its newest checkpoint written within `freshMs` says. */
  private othersNow(o: SplitObservation): Seen[] {
    // Newest per instance: one that moved a moment ago still has fresh checkpoints from the cluster it left.
    const newest = new Map<string, Seen>()
    for (const w of o.writers) {
      if (
        w.instance !== this.setup.instance &&
        w.writtenAt >= o.now - this.setup.freshMs &&
        (newest.get(w.instance)?.writtenAt ?? -1) < w.writtenAt
      )
        newest.set(w.instance, w)
    }
    return [...newest.values()]
  }

  /** The least preferred cluster that anchors deliver on, if it is less preferred than `own` and up. */
  private yieldTarget(own: string, anchoredOn: ReadonlySet<string>): string | undefined {
    const { rank, isUp } = this.setup
    const candidates = [...anchoredOn].filter((c) => rank(c) > rank(own) && isUp(c))
    return candidates.sort((a, b) => rank(b) - rank(a))[0]
  }

  /**
   * Whether an instance that follows its group should go back to the cluster discovery chose: no
   * instance is anchored where it went any more (they left, or their discovery chose this
   * instance's cluster too), after a freshness period from the follow; or that cluster is down.
   */
  private leaveIfDone(o: SplitObservation, anchoredOn: ReadonlySet<string>): SplitDecision {
    if (o.following === undefined) return undefined
    if (!this.setup.isUp(o.following)) return { unfollow: true }
    return !anchoredOn.has(o.following) && o.now >= this.followedAt + this.setup.freshMs ? { unfollow: true } : undefined
  }
}
