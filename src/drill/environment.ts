/**
 * Where the drill runs and who causes the fault: the local bed, where the drill kills, pauses
 * and restarts processes itself, or your clusters, where you do it when the drill asks and the
 * drill sees it happen. Both look the same to the scenario.
 */
import type { DrillCluster, FaultKind } from './options.js'
import type { DrillTimeline, ReplicationSample } from './timeline.js'

/** What an environment may use while it injects or ends a fault. */
export interface FaultContext {
  timeline: DrillTimeline
  /** Aborted by Ctrl-C. */
  signal: AbortSignal
  /** A line for the user (above the live view). */
  log: (line: string) => void
  /** The newest replication sample. */
  latestReplication: () => ReplicationSample | undefined
  /** A replication sample now (a fault that strikes after a delay takes one just before). */
  sampleReplication: () => Promise<ReplicationSample>
  /** The drill's settings of a fault (the number of flaps, how long replication stops first, ...). */
  settings: FaultSettings
  /** The service's topic and group (a fault that writes records aimed at them). */
  service: { topic: string; groupId: string }
  /**
   * The last moment `cluster` was seen working before `before`: the later of the last send
   * acknowledged while it was active and the last record consumed from it.
   */
  lastSignOfLife: (cluster: string, before: number) => number | undefined
}

/** Settings of the faults that take any. */
export interface FaultSettings {
  /** `flap`: how many times the cluster hangs and comes back. */
  flaps: number
  /** `lag-then-kill`: how long replication is stopped before the kill, in ms. */
  lagBeforeKillMs: number
}

/** When a fault happened, and how the drill knows. */
export interface FaultInjected {
  /** ms since epoch. */
  at: number
  /** What was done, in words. */
  action: string
  /** `injected`: the drill did it at `at`; `observed`: you did, and `at` is the last sign of life before the drill saw it. */
  timing: 'injected' | 'observed'
  /** Replication as sampled just before the fault struck, when the fault took it itself. */
  replicationAtFault?: ReplicationSample
}

/** When the fault was ended. */
export interface FaultEnded {
  /** When the drill started bringing things back (or asked you to), ms since epoch. */
  startedAt: number
  /** When the cluster answered again (or replication delivered again), ms since epoch. */
  at: number
  action: string
}

/** Where the drill runs. */
export interface DrillEnvironment {
  /** `local-bed` (the drill injects faults) or `your-clusters` (you do). */
  readonly kind: 'local-bed' | 'your-clusters'
  /** The clusters, most preferred first. */
  readonly clusters: DrillCluster[]
  /** Facts for the report (Kafka version, whether the drill started the bed, ...). */
  readonly facts: Record<string, unknown>
  /** Puts what the environment sees on its own into the timeline (the local bed's supervisor lines). */
  watch?(timeline: DrillTimeline): void
  /** Injects `fault` on `target` (or has you cause it); resolves once it happened. */
  injectFault(fault: FaultKind, target: string, context: FaultContext): Promise<FaultInjected>
  /**
   * Ends the fault (or has you end it); resolves once the cluster and replication are back. Adds
   * a `restore` event to the timeline as each comes back.
   */
  endFault(fault: FaultKind, target: string, context: FaultContext): Promise<FaultEnded>
  /**
   * At the end, or on Ctrl-C: ends a fault the drill injected that is still in effect, and stops
   * what the drill started. Never throws.
   */
  close(log: (line: string) => void): Promise<void>
}
