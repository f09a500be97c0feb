/**
 * The drill's timeline: every event as it happened (the fault, the client's and the consumers'
 * events, the bed supervisor's lines), the phases, which cluster was active when, the replication
 * samples, and per-interval counts of records sent, acknowledged and consumed. The live view reads
 * it while the drill runs; the report and the chart are made from it afterwards.
 */

/** Kinds of timeline events. The client's and consumers' events keep kafkajs-dr's own names. */
export type TimelineEventType =
  | 'phase'
  | 'fault'
  | 'restore'
  | 'cluster:down'
  | 'cluster:up'
  | 'failover:start'
  | 'failover:complete'
  | 'failover:failed'
  | 'failback'
  | 'consumer:moved'
  | 'consumer:move-failed'
  | 'consumer:session-crashed'
  | 'consumer:split'
  | 'consumer:split-ended'
  | 'checkpoints:undecodable'
  | 'replication:lagging'
  | 'replication:recovered'
  | 'send:rejected'
  | 'supervisor'
  | 'note'

/** One event. */
export interface TimelineEvent {
  /** When (ms since epoch). */
  at: number
  type: TimelineEventType
  /** The cluster it concerns, if one. */
  cluster?: string
  /** For switches and moves: from where, and to where. */
  from?: string
  to?: string
  /** The consumer instance (0-based) for consumer events. */
  instance?: number
  /** In words, for the live view and the report. */
  detail: string
  /** `failover:complete`: the data at risk the library reported for the switch, in ms. */
  replicationLagMs?: number | undefined
}

/** One replication flow as sampled. */
export interface FlowSample {
  /** `source->target`. */
  flow: string
  source: string
  target: string
  /** Records of the drill topic on the source not yet in its replica on the target (undefined: a side did not answer). */
  recordsBehind: number | undefined
  /** Age of the newest MirrorMaker 2 heartbeat the flow delivered to the target, in ms (undefined: unknown). */
  heartbeatAgeMs: number | undefined
}

/** Every flow at one moment. */
export interface ReplicationSample {
  at: number
  flows: FlowSample[]
}

/** Records counted per interval. */
export interface Bucket {
  sent: number
  acknowledged: number
  consumed: number
}

/** A stretch of time during which one cluster was active (or a consumer read on one cluster). */
export interface Segment {
  cluster: string | undefined
  from: number
  to: number | undefined
}

/** A named phase of the scenario. */
export interface Phase {
  name: string
  from: number
  to: number | undefined
}

/** Length of a counting interval, in ms: short enough to see a pause of a second on the chart. */
export const BUCKET_MS = 500

/** What the drill saw, in time order. */
export class DrillTimeline {
  readonly events: TimelineEvent[] = []
  readonly phases: Phase[] = []
  readonly replication: ReplicationSample[] = []
  readonly buckets: Bucket[] = []
  /** Active cluster of the client (instance 0's, which also holds the producer). */
  readonly active: Segment[] = []
  /** Where each consumer instance delivered records from. */
  readonly consumerClusters: Segment[][] = []
  /** Duplicate deliveries per phase: tells a failover's duplicates from a failback's. */
  readonly duplicatesByPhase: Record<string, number> = {}
  private readonly listeners: Array<(event: TimelineEvent) => void> = []

  constructor(readonly startedAt: number = Date.now()) {}

  /** Records an event and tells the listeners (the live view). */
  add(event: Omit<TimelineEvent, 'at'> & { at?: number }): TimelineEvent {
    const full: TimelineEvent = { ...event, at: event.at ?? Date.now() }
    this.events.push(full)
    for (const listener of this.listeners) listener(full)
    return full
  }

  /** Calls `listener` for every event from now on. */
  onEvent(listener: (event: TimelineEvent) => void): void {
    this.listeners.push(listener)
  }

  /** The first event of `type` at or after `after` that matches `where`. */
  first(type: TimelineEventType, after = 0, where: (event: TimelineEvent) => boolean = () => true): TimelineEvent | undefined {
    return this.events.find((e) => e.type === type && e.at >= after && where(e))
  }

  /** Starts a phase (and ends the one before). */
  phase(name: string, at = Date.now()): void {
    const last = this.phases[this.phases.length - 1]
    if (last !== undefined && last.to === undefined) last.to = at
    this.phases.push({ name, from: at, to: undefined })
    this.add({ at, type: 'phase', detail: name })
  }

  /** The phase under way. */
  get currentPhase(): Phase | undefined {
    return this.phases[this.phases.length - 1]
  }

  /** Ends the phase under way. */
  endPhases(at = Date.now()): void {
    const last = this.phases[this.phases.length - 1]
    if (last !== undefined && last.to === undefined) last.to = at
  }

  /** Counts `n` records of `kind` at `at`. */
  count(kind: keyof Bucket, n: number, at = Date.now()): void {
    const index = Math.max(0, Math.floor((at - this.startedAt) / BUCKET_MS))
    while (this.buckets.length <= index) this.buckets.push({ sent: 0, acknowledged: 0, consumed: 0 })
    this.buckets[index]![kind] += n
  }

  /** Counts a duplicate delivery in the phase under way. */
  countDuplicate(): void {
    const phase = this.currentPhase?.name ?? 'start'
    this.duplicatesByPhase[phase] = (this.duplicatesByPhase[phase] ?? 0) + 1
  }

  /** Records of `kind` over the last complete second (for the live view). */
  ratePerSecond(kind: keyof Bucket, now = Date.now()): number {
    const current = Math.floor((now - this.startedAt) / BUCKET_MS)
    const perSecond = Math.round(1000 / BUCKET_MS)
    let sum = 0
    for (let i = current - perSecond; i < current; i++) sum += i >= 0 ? (this.buckets[i]?.[kind] ?? 0) : 0
    return sum
  }

  /** The client's active cluster changed (or was first seen). */
  setActive(cluster: string | undefined, at = Date.now()): void {
    changeSegment(this.active, cluster, at)
  }

  /** A consumer instance delivered from `cluster` (only a change opens a new segment). */
  setConsumerCluster(instance: number, cluster: string | undefined, at = Date.now()): void {
    while (this.consumerClusters.length <= instance) this.consumerClusters.push([])
    changeSegment(this.consumerClusters[instance]!, cluster, at)
  }

  /** Adds a replication sample. */
  addReplication(sample: ReplicationSample): void {
    this.replication.push(sample)
  }

  /** The newest replication sample. */
  get latestReplication(): ReplicationSample | undefined {
    return this.replication[this.replication.length - 1]
  }

  /** Closes the open segments at the end of the drill. */
  close(at = Date.now()): void {
    this.endPhases(at)
    for (const segments of [this.active, ...this.consumerClusters]) {
      const last = segments[segments.length - 1]
      if (last !== undefined && last.to === undefined) last.to = at
    }
  }
}

function changeSegment(segments: Segment[], cluster: string | undefined, at: number): void {
  const last = segments[segments.length - 1]
  if (last !== undefined && last.cluster === cluster) return
  if (last !== undefined) last.to = at
  segments.push({ cluster, from: at, to: undefined })
}
