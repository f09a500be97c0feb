/**
 * A consumer's checkpoints: the positions it processed on each cluster, the writer that
 * checkpoints them (throttled) to the cluster the consumer delivers on (the active one, unless it
 * follows its group elsewhere; during a move, both ends) and, with `writeToAllClusters`, every
 * cluster that is up, through one producer per cluster, and the warm view of every cluster's
 * checkpoint topics that a switch reads from memory.
 *
 * @module
 */
import type { FailoverContext } from '../cluster/index.js'
import type { CheckpointWriterId } from '../offsets/checkpoint-codec.js'
import { ensureCheckpointTopic } from '../offsets/checkpoint-topic.js'
import { CheckpointView } from '../offsets/checkpoint-view.js'
import { CheckpointWriter } from '../offsets/checkpoint-writer.js'
import type {
  CheckpointPosition,
  CheckpointTarget,
  CheckpointWriteFailedInfo,
  CheckpointWrittenInfo,
} from '../offsets/checkpoint-writer-types.js'
import { withTimeout } from '../util/timeout.js'
import { CheckpointProducers } from './checkpoint-producers.js'
import { CLUSTER_CALL_TIMEOUT_MS } from './copies.js'
import type { FinalCheckpoint } from './events.js'
import type { ValidConsumerOptions } from './options.js'
import { ProcessedPositions } from './positions.js'

/** Time kept, at a close, for the producers and views after the last checkpoint write, in ms. */
const CLOSE_MARGIN_MS = 100

/** What {@link Checkpointing} works with. */
export interface CheckpointingSetup {
  ctx: FailoverContext
  options: ValidConsumerOptions
  /** The `checkpoint:written` event. */
  onWritten: (info: CheckpointWrittenInfo) => void
  /** The `checkpoint:failed` event. */
  onFailed: (info: CheckpointWriteFailedInfo) => void
  /** Who writes a position: this instance (and lane), and where it delivers (none while it does not deliver). */
  writer: (position: CheckpointPosition) => CheckpointWriterId | undefined
  /**
   * Where the consumer delivers: the cluster it is moving to (the active one, unless it follows
   * its group elsewhere) and the one whose session still delivers until the move is done.
   */
  deliveringTo: () => ReadonlyArray<string | undefined>
}

/** See the module description. */
export class Checkpointing {
  /** The checkpoint topic's logical name. */
  readonly topic: string
  private readonly ctx: FailoverContext
  private readonly writeToAllClusters: boolean
  private readonly deliveringTo: () => ReadonlyArray<string | undefined>
  private readonly producers: CheckpointProducers
  private readonly writer: CheckpointWriter
  /** The checkpoint view of each cluster, from `connect()` on. */
  private readonly views = new Map<string, CheckpointView>()
  /** This instance's last processed record per cluster, topic and partition: fresher than any replica. */
  private readonly positions = new Map<string, ProcessedPositions>()

  constructor(setup: CheckpointingSetup) {
    const { ctx, options } = setup
    this.ctx = ctx
    this.topic = options.checkpoint.topic
    this.writeToAllClusters = options.checkpoint.writeToAllClusters
    this.deliveringTo = setup.deliveringTo
    this.producers = new CheckpointProducers(ctx)
    this.writer = new CheckpointWriter({
      group: options.groupId,
      topic: this.topic,
      intervalMs: options.checkpoint.intervalMs,
      targets: () => this.targets(),
      collect: () => [...this.positions.values()].flatMap((p) => p.drain()),
      onWritten: setup.onWritten,
      onError: setup.onFailed,
      writer: setup.writer,
    })
  }

  /** The warm checkpoint view of `cluster` (created, and following its topics, on first use). */
  viewOf(cluster: string): CheckpointView {
    let view = this.views.get(cluster)
    if (!view) {
      const connection = this.ctx.connection(cluster)
      view = new CheckpointView({
        cluster,
        kafka: connection.kafka,
        admin: () => connection.admin(CLUSTER_CALL_TIMEOUT_MS),
        clusters: this.ctx.clusters.map((c) => c.name),
        policy: this.ctx.replicationPolicy,
        checkpointTopic: this.topic,
      })
      this.views.set(cluster, view)
    }
    return view
  }

  /** Where the records processed on `cluster` are noted. */
  positionsOn(cluster: string): ProcessedPositions {
    let positions = this.positions.get(cluster)
    if (!positions) {
      positions = new ProcessedPositions(cluster)
      this.positions.set(cluster, positions)
    }
    return positions
  }

  /** This instance's processed positions, per cluster. */
  ownPositions(): Iterable<ProcessedPositions> {
    return this.positions.values()
  }

  /** The checkpoint topic exists on `cluster` and its checkpoint producer is connected. */
  async prepareCluster(cluster: string): Promise<void> {
    const admin = await this.ctx.connection(cluster).admin()
    await withTimeout(ensureCheckpointTopic(admin, this.topic), 15_000, `creating ${this.topic} on '${cluster}'`, { cluster })
    await this.producers.ready(cluster, CLUSTER_CALL_TIMEOUT_MS)
  }

  /**
   * Writes the last positions and closes the producers and views, all within `timeoutMs`: the
   * views close at once, the producers once the write is done or given up. Resolves with what the
   * last write did.
   */
  async close(timeoutMs: number): Promise<FinalCheckpoint> {
    const deadline = Date.now() + timeoutMs
    const views = [...this.views.values()].map((v) => v.close(timeoutMs))
    // Each target of the last write is bounded by what is left, less a moment to close after it.
    const flushed = await this.writer.close(Math.max(1, timeoutMs - CLOSE_MARGIN_MS))
    await Promise.all([this.producers.close(deadline - Date.now()), ...views])
    return {
      complete: flushed.failed.length === 0 && flushed.pending === 0,
      writtenTo: flushed.writtenTo,
      failedClusters: flushed.failed.map((f) => f.cluster).filter((c) => c !== ''),
      pending: flushed.pending,
    }
  }

  private targets(): CheckpointTarget[] {
    const delivering = this.deliveringTo()
    // Other clusters only while they are up: a hung one would hold every write for its timeout.
    const names = this.ctx.clusters
      .map((c) => c.name)
      .filter((c) => delivering.includes(c) || (this.writeToAllClusters && this.ctx.healthOf(c) === 'up'))
    const targets: CheckpointTarget[] = []
    for (const cluster of names) {
      const producer = this.producers.connected(cluster)
      if (producer) targets.push({ cluster, producer })
    }
    return targets
  }
}
