import type { ReplicationPolicy } from '../topology/replication-policy.js'
import type { ClusterConnection } from './cluster-connection.js'

/**
 * Something that must act when the active cluster changes (a consumer moving its group). The
 * client awaits every participant, each bounded by the switch timeout, before it reports the
 * switch complete.
 */
export interface SwitchParticipant {
  /** Names it in a switch's outcome, e.g. `consumer 'billing'`. */
  readonly name: string
  /** Moves to `to`. `from` is undefined on the first activation. */
  onSwitch(change: ActiveChange): Promise<void>
}

/** A change of the active cluster. */
export interface ActiveChange {
  /** The previous active cluster (undefined on the first activation). */
  readonly from: string | undefined
  /** The new active cluster. */
  readonly to: string
}

/**
 * What producers and consumers need from the multi-cluster client. Defined down here so that
 * the components below the client depend on this contract, never on the client itself.
 */
export interface FailoverContext {
  /** Every configured cluster, most preferred first. */
  readonly clusters: readonly ClusterConnection[]
  /** How the replicator names topics on each cluster. */
  readonly replicationPolicy: ReplicationPolicy
  /** Name of the provenance header the client's producers stamp; undefined when provenance is off. */
  readonly provenanceHeader: string | undefined
  /** The connection of one cluster (throws for an unknown name). */
  connection(cluster: string): ClusterConnection
  /** The active cluster, if one is known. */
  readonly activeCluster: string | undefined
  /** How long a caller waits for an active cluster to be chosen (the client's `connectTimeoutMs`), in ms. */
  readonly connectTimeoutMs: number
  /** Resolves with the active cluster, waiting up to `timeoutMs` for one to be chosen. */
  waitForActive(timeoutMs: number, signal?: AbortSignal): Promise<string>
  /** Calls `listener` after every change of the active cluster; returns the unsubscribe function. */
  onActiveChange(listener: (change: ActiveChange) => void): () => void
  /** Calls `listener` when a cluster's health turns up; returns the unsubscribe function. */
  onClusterUp(listener: (cluster: string) => void): () => void
  /** Calls `listener` when a cluster's health turns down; returns the unsubscribe function. */
  onClusterDown(listener: (cluster: string) => void): () => void
  /** What discovery knows of a cluster's health now. */
  healthOf(cluster: string): 'unknown' | 'up' | 'down'
  /** An error seen on `cluster`: discovery probes it at once. */
  reportError(cluster: string, error: unknown): void
  /** Registers a participant in every switch; returns the unregister function. */
  addParticipant(participant: SwitchParticipant): () => void
}
