/**
 * The parts of one consumer, wired together: the delivery filter (provenance, origins, dedupe),
 * checkpointing (positions, writer, views), the positioner, the finder of former incarnations
 * (`instanceId`) and the lanes, each with its sessions. The façade (`failover-consumer.ts`)
 * holds what this returns.
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import type { FailoverContext } from '../cluster/index.js'
import type { SafeEmitter } from '../util/safe-emitter.js'
import { laneOf } from './call-routing.js'
import { Checkpointing } from './checkpointing.js'
import { DeliveryFilter } from './delivery/delivery-filter.js'
import type { FailoverConsumerEvents } from './events.js'
import { Lane } from './lane.js'
import type { ValidConsumerOptions } from './options.js'
import { Positioner } from './positioning.js'
import type { InstrumentationListener } from './session/types.js'
import { FormerInstances } from './switching/former-instances.js'

/** What the parts need of the façade. */
export interface ConsumerAssembly {
  ctx: FailoverContext
  options: ValidConsumerOptions
  emitter: SafeEmitter<FailoverConsumerEvents>
  /** This instance's id in its checkpoints. */
  instance: string
  /** The application's kafkajs instrumentation listeners, attached to every session. */
  listeners: readonly InstrumentationListener[]
  /** The subscribed logical topics. */
  logicalTopics: () => readonly string[]
  /** Whether the consumer runs. */
  isRunning: () => boolean
}

/** The wired parts; see the module description. */
export interface ConsumerParts {
  /** Undefined with the client's provenance off. */
  filter: DeliveryFilter | undefined
  checkpoints: Checkpointing
  /** One per origin read directly (`dualRead: 'direct'`), or one for all. */
  lanes: Lane[]
}

/** Builds and wires a consumer's parts; see the module description. */
export function assembleConsumer(assembly: ConsumerAssembly): ConsumerParts {
  const { ctx, options, emitter } = assembly
  const { groupId: group, origins, dualRead, dedupe } = options
  const clusters = ctx.clusters.map((c) => c.name)
  let filter: DeliveryFilter | undefined
  if (ctx.provenanceHeader !== undefined) {
    // Identity naming cannot tell origins by topic: the header tells them.
    const byHeader = ctx.replicationPolicy.name === 'identity' && origins.length < clusters.length
    filter = new DeliveryFilter({
      header: ctx.provenanceHeader,
      ...(byHeader ? { origins } : {}),
      ...(dedupe ? { dedupe } : {}),
      onDeduplicated: (cluster, topic, partition, count) =>
        emitter.emit('consumer:deduplicated', { timestamp: Date.now(), group, cluster, topic, partition, count }),
    })
  }
  let lanes: Lane[] = []
  const checkpoints = new Checkpointing({
    ctx,
    options,
    onWritten: (info) => emitter.emit('checkpoint:written', info),
    onFailed: (info) => emitter.emit('checkpoint:failed', info),
    writer: (position) => laneOf(lanes, ctx.replicationPolicy, position).writerId(),
    deliveringTo: () => lanes.flatMap((l) => [l.switching.target, l.switching.delivering?.cluster]),
  })
  const positioner = new Positioner({
    ctx,
    groupId: group,
    checkpointTopic: checkpoints.topic,
    options,
    view: (cluster) => checkpoints.viewOf(cluster),
    ownPositions: () => checkpoints.ownPositions(),
    onTranslated: (result) => {
      emitter.emit('offsets:translated', result)
      if (result.undecodableCheckpoints > 0) {
        emitter.emit('checkpoints:undecodable', {
          timestamp: Date.now(),
          group,
          cluster: result.targetCluster,
          count: result.undecodableCheckpoints,
        })
      }
    },
  })
  // One incarnation per consumer object: a restarted process differs from the one it replaces.
  const { instanceId } = options
  const instances =
    instanceId === undefined
      ? undefined
      : new FormerInstances(
          ctx,
          group,
          { instanceId, incarnation: randomUUID() },
          {
            removed: (event) => emitter.emit('consumer:former-instance-removed', event),
            conflict: (event) => emitter.emit('consumer:instance-conflict', event),
          },
        )
  const homes = dualRead === 'direct' ? origins : [undefined]
  lanes = homes.map(
    (home) =>
      new Lane({
        ctx,
        options,
        home,
        instance: assembly.instance,
        checkpoints,
        positioner,
        filter,
        logicalTopics: assembly.logicalTopics,
        listeners: assembly.listeners,
        isRunning: assembly.isRunning,
        emitter,
        instances,
      }),
  )
  return { filter, checkpoints, lanes }
}
