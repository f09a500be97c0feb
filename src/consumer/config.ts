/**
 * What an application configures when it creates a consumer (`dr.consumer(config)`): the group,
 * checkpoints, translation, dual-read, dedupe, group-split and instance identity options.
 *
 * @module
 */
import type { ConsumerConfig, RetryOptions } from 'kafkajs'
import type { MissingCheckpointPolicy, TranslatorName } from '../offsets/translation-types.js'

/**
 * Checkpointing of a {@link FailoverConsumer}.
 *
 * @group Consumer
 */
export interface CheckpointOptions {
  /**
   * The compacted checkpoint topic (its name must not match MirrorMaker 2's default exclusions,
   * or MM2 would not replicate it).
   *
   * @default 'kafkajs-dr.checkpoints'
   */
  topic?: string
  /**
   * Checkpoints are written at most this often, in ms (latest position per partition).
   *
   * @default 1000
   */
  intervalMs?: number
  /**
   * Also write checkpoints straight to every other cluster that is up, not only to the active one
   * (whose checkpoints the replicator carries). Then a group's position reaches the survivor of a
   * failover without the replicator's lag (a second or more with MirrorMaker 2), which keeps the
   * duplicates of a group of several instances within one checkpoint interval: each instance
   * resumes partitions that other instances read before the failover from their checkpoints.
   * Costs one small write per interval to each other cluster.
   *
   * @default true
   */
  writeToAllClusters?: boolean
}

/**
 * Configuration of a {@link FailoverConsumer}: the kafkajs `ConsumerConfig` (used for the
 * consumer on whichever cluster is active) plus checkpointing and translation.
 *
 * @group Consumer
 */
export interface FailoverConsumerConfig extends Omit<ConsumerConfig, 'retry'> {
  /**
   * kafkajs retry of the consumer on each cluster (also how often a failing handler is retried
   * before kafkajs restarts the consumer). Cluster failure is detected by discovery, not by it.
   *
   * @default the cluster's kafkajs client setting
   */
  retry?: RetryOptions
  /** Checkpointing. */
  checkpoint?: CheckpointOptions
  /**
   * Translators used on a switch; the largest of their lower bounds wins.
   *
   * @default ['timestamp', 'mm2']
   */
  translators?: TranslatorName[]
  /**
   * For a partition without any checkpoint on a switch: `earliest`, `latest` or `error` (the
   * move fails with `MissingCheckpointError`). An empty partition is never an error: earliest
   * and latest coincide there.
   *
   * @default 'earliest'
   */
  onMissingCheckpoint?: MissingCheckpointPolicy
  /**
   * Rewind of timestamp translation, in ms; needed only for identity-named active-active topics.
   *
   * @default 0
   */
  timestampSafetyMarginMs?: number
  /**
   * How often the active cluster is checked for physical copies of the subscribed topics that
   * appeared after the consumer started there, in ms: a replicator creates `dc2.orders` on dc1
   * only once dc2 has `orders` data. The consumer then restarts on the same cluster with the new
   * copies included, reading them from their start (everything in them is newer than the
   * subscription) and resuming the others where they were; the restart costs one rebalance of
   * the group (about 4 s on the test bed). 0 turns the check off; copies are then picked up at
   * the next switch or restart.
   *
   * @default 5000
   */
  newCopyCheckIntervalMs?: number
  /**
   * Bound on tearing down the consumer of the cluster being left, in ms (a dead cluster's
   * disconnect can hang; the switch never waits longer than this).
   *
   * @default 3000
   */
  teardownTimeoutMs?: number
  /** What an instance does when its group is split across clusters (see {@link GroupSplitOptions}). */
  groupSplit?: GroupSplitOptions
  /**
   * Read only the records first written in these clusters (names of the client's clusters), or
   * `'all'`. A service that processes only its own datacenter's records sets `['dc1']`: it reads
   * `orders` on dc1 and, after a failover to dc2, `dc1.orders` there, from translated positions.
   *
   * With prefix naming (MirrorMaker 2's default) the copies read are chosen by name. With identity
   * naming (the same topic name on every cluster) the records are told apart by their provenance
   * header (`x-dr`, see the client's `provenance`): records of other origins are skipped (their
   * offsets still move on), and records without the header count as written in the cluster they
   * are read from.
   *
   * @default 'all'
   */
  origins?: 'all' | string[]
  /**
   * Where the records of other origins are read (see {@link DualReadMode}).
   *
   * @default 'replicas'
   */
  dualRead?: DualReadMode
  /**
   * Drop records whose provenance id was already delivered to this consumer (`true` for the
   * defaults, or the window's settings). See {@link DedupeOptions}. On by default under identity
   * naming (when the client stamps provenance): there a record can come back to the cluster it
   * was written in through a replica.
   *
   * @default false (true under identity naming)
   */
  dedupe?: boolean | DedupeOptions
  /**
   * A stable id of this instance of the group, the same across its restarts: a StatefulSet pod
   * name or a stable host name (letters, digits, `.`, `_`, `-`, `:`; at most 249). kafkajs has no
   * static membership (`group.instance.id`), so a process killed without leaving its group
   * (OOM-killed, kill -9) stays a member until its session times out (`sessionTimeout`, 30 s by
   * default), and the whole group stands still that long when its replacement joins. With an
   * `instanceId`, the replacement finds its predecessor's members in the group (their metadata
   * carries the id) and removes them before it joins, on every cluster where it joins
   * (`consumer:former-instance-removed`). Two live instances given the same id are reported
   * (`consumer:instance-conflict`), and neither removes the other more than once.
   *
   * Kafka returns member metadata only for a Stable group: a predecessor missed because the group
   * was rebalancing is looked for again, and removed, once the join is done. Needs the consumer's
   * own partition assigner: not with `partitionAssigners`.
   *
   * @default undefined (no identity: a killed instance's members time out)
   * @example
   * ```ts
   * const consumer = dr.consumer({ groupId: 'billing', instanceId: process.env.HOSTNAME })
   * ```
   */
  instanceId?: string
}

/**
 * Where a consumer reads the records of each origin (the cluster they were first written in):
 *
 * - `'replicas'`: on the active cluster, every copy of the logical topic there (`orders` and the
 *   replica `dc2.orders`). Records of another origin arrive after the replicator's lag.
 * - `'direct'`: each origin on its own cluster while that cluster is up (dc2's records from dc2's
 *   `orders`, without waiting for replication), all through the one handler. The consumer runs
 *   one set of sessions per origin, in the same group on every cluster; each set is checkpointed
 *   and moves on its own: when a cluster fails, its origin's records are read from their replica
 *   on the active cluster, from translated positions, and reading moves back when it returns. A
 *   replica of an origin read directly is not read as well. Needs prefix naming (origins told by
 *   topic name), and the consumer's own partition assigner (do not set `partitionAssigners`).
 *
 * Records of one partition of one origin keep their order in both modes. Records of two origins
 * (or two partitions) are not ordered with respect to each other; with `'direct'` two of them may
 * be handled concurrently (one session per origin).
 *
 * @group Consumer
 */
export type DualReadMode = 'replicas' | 'direct'

/**
 * De-duplication by provenance id (`x-dr`: producer instance and sequence number). Drops the
 * copies that reach this consumer through two paths around a switch (a record read directly and
 * then again from its replica) and the records a failing-over producer re-sent to another
 * cluster. A record is marked once its handler returned (a handler that throws gets the record
 * again); records without the header pass through. Per consumer instance: with a group of several
 * instances, a copy that another instance reads is not seen here.
 *
 * Memory: per producer, one bit per sequence number within the window, allocated where ids were
 * seen; at most `maxProducers × windowSize / 8` bytes (128 MiB at the defaults, far less in
 * practice). An id below its producer's window cannot be told and passes (a possible duplicate,
 * never a loss); `status().dedupe` counts them.
 *
 * @group Consumer
 */
export interface DedupeOptions {
  /**
   * Sequence numbers remembered per producer instance, back from the newest one seen.
   *
   * @default 1048576
   */
  windowSize?: number
  /**
   * Producer instances remembered; the least recently seen is forgotten beyond it.
   *
   * @default 1000
   */
  maxProducers?: number
}

/**
 * A group is *split* while its instances deliver on different clusters: their discovery
 * disagrees for a while (one saw dc1 come back before the others, a link that flaps, an instance
 * that cannot reach a cluster the others can). Each side then reads records the other side reads
 * too: duplicates. Every instance learns where the others deliver from the checkpoints they write
 * (each names its writer, the cluster it delivered on and the one its discovery chose), reports a
 * split (`consumer:split`, `consumer:split-ended`, `status().split`) and bounds it: after
 * `yieldAfterMs` the instances on the more preferred cluster (lower `priority`, then name: the
 * same order on every instance) join the instances *anchored* on a less preferred one (there
 * because their own discovery chose it), and go back once no anchor is left there. A split is
 * seen only while records flow (an idle group writes no checkpoints, and costs no duplicates
 * either), and freshness compares the writers' clocks: keep the hosts' clocks in sync (NTP).
 *
 * @group Consumer
 */
export interface GroupSplitOptions {
  /**
   * Whether this instance joins the others after `yieldAfterMs` (when it is on the more
   * preferred side). Off, a split is only reported.
   *
   * @default true
   */
  yield?: boolean
  /**
   * How long a split may last before the instances on the more preferred cluster join the
   * others, in ms. Keep it above the time your instances' discovery takes to agree after a
   * cluster returns (probe interval × `successThreshold` plus a probe round), or a failback
   * that some instances see a moment later would be undone.
   *
   * @default 20000
   */
  yieldAfterMs?: number
}
