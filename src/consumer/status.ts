/**
 * What `FailoverConsumer.status()` tells: where the consumer delivers, per lane, and whether its
 * group is split across clusters.
 *
 * @module
 */
import type { DedupeStatus } from './delivery/delivery-filter.js'
import type { GroupSplit } from './group-split.js'

/**
 * A snapshot of a {@link FailoverConsumer}, from {@link FailoverConsumer.status}.
 *
 * @group Consumer
 */
export interface FailoverConsumerStatus {
  /** Consumer group. */
  group: string
  /** This instance's id, as its checkpoints name their writer. */
  instance: string
  /** The consumer's `instanceId`, if set. */
  instanceId: string | undefined
  /** `new` before `connect()`, `connected`, `running` after `run()`, `closed` after `disconnect()`. */
  state: 'new' | 'connected' | 'running' | 'closed'
  /** The cluster the consumer delivers from now (see {@link FailoverConsumer.cluster}). */
  cluster: string | undefined
  /**
   * The cluster this instance delivers on (or is moving to) to be with the rest of its group,
   * instead of the active cluster: after a split (see `GroupSplitOptions`), or at a start whose
   * group join is held (see `consumer:moved` with `reason: 'group'`); undefined otherwise.
   * With `dualRead: 'direct'`, of the records of the active cluster's origin (see `reading`).
   */
  followingGroupTo: string | undefined
  /** The group's split across clusters as this instance sees it, if any (as `followingGroupTo`). */
  split: GroupSplit | undefined
  /**
   * Where the records of each origin are read: one entry for every origin read on the active
   * cluster (`dualRead: 'replicas'`), or one per origin (`dualRead: 'direct'`).
   */
  reading: Array<{
    /** The origins whose records are read here. */
    origins: string[]
    /** The cluster they are delivered from now; undefined while moving or not running. */
    cluster: string | undefined
    /** The cluster they are delivered on (or moving to) to be with the rest of the group, if any. */
    followingGroupTo: string | undefined
    /** The group's split across clusters for these origins as this instance sees it, if any. */
    split: GroupSplit | undefined
  }>
  /** De-duplication counters; undefined when `dedupe` is off. */
  dedupe: DedupeStatus | undefined
}

/**
 * What one lane delivers, and from where: one entry of `status().reading`. Not exported from the
 * package ("lane" is the consumer's own word for a set of sessions).
 */
export type LaneStatus = FailoverConsumerStatus['reading'][number]
