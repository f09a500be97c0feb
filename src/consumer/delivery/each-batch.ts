/**
 * Where a batch is delivered with `eachBatch`: the application's handler, given kafkajs' payload
 * with the batch's source, the filtered batch, and the resolved offsets noted for checkpoints.
 *
 * @module
 */
import type { KafkaMessage, Offsets } from 'kafkajs'
import { SessionFencedError } from '../../errors/index.js'
import { markDelivered, markProcessed } from '../positions.js'
import type { FailoverRunConfig } from '../run-config.js'
import { filterBatch, withMessages } from './batch-filter.js'
import { skipLeadingRecords } from './copy-catch-up.js'
import { commitIfNecessary } from './manual-commits.js'
import type { DeliveringSession, KafkajsEachBatch } from './types.js'

/** The user's `eachBatch`, with the source added and what it resolves (or commits) noted as positions. */
export function wrapEachBatch(
  session: DeliveringSession,
  handler: NonNullable<FailoverRunConfig['eachBatch']>,
  autoResolve: boolean,
  commitsWhenDue: boolean,
): KafkajsEachBatch {
  return async (payload) => {
    if (!session.isActive) return
    const { cluster } = session
    const { topic, originCluster } = session.source(payload.batch.topic)
    const slot = session.positions.slot(payload.batch.topic, payload.batch.partition)
    const manual = session.manualCommits
    let { batch } = payload
    if (session.catchUp.skipping) {
      const skipped = skipLeadingRecords(
        session.catchUp,
        batch,
        slot,
        (offset) => {
          payload.resolveOffset(offset)
        },
        !manual,
      )
      if (skipped === batch.messages.length && skipped > 0) return
      if (skipped > 0) batch = withMessages(batch, batch.messages.slice(skipped))
    }
    if (manual) {
      // Manual commits are dated by the records delivered: the handler may commit any of these.
      const now = Date.now()
      for (const message of batch.messages) markDelivered(slot, message, now)
    }
    // Handlers resolve offsets in increasing order: search from the last one found onwards, so
    // resolving every record of a batch stays linear in the batch size. (Compacted topics have
    // gaps in their offsets: search, do not index.)
    let cursor = 0
    const record = (offset: string): void => {
      const index = indexOfOffset(batch.messages, offset, cursor)
      if (index < 0) return
      cursor = index
      markProcessed(slot, batch.messages[index]!, Date.now())
    }
    const handedOver = filterBatch(batch, originCluster, cluster, session.filter)
    // eslint-disable-next-line @typescript-eslint/unbound-method -- a closure of kafkajs, not a method
    const kafkajsCommitIfNecessary = payload.commitOffsetsIfNecessary
    try {
      await handler({
        ...payload,
        batch: handedOver?.batch ?? batch,
        // A handler still in its batch when the session stops delivering learns it here (and from
        // isRunning): what it resolves from then on is neither committed nor checkpointed.
        isRunning: () => payload.isRunning() && session.isActive,
        resolveOffset: (offset: string) => {
          // Thrown into kafkajs by a fenced session, so that it neither processes nor commits further records.
          if (!session.isActive) throw new SessionFencedError(cluster)
          payload.resolveOffset(offset)
          if (!manual) record(offset)
          handedOver?.resolvedUpTo(offset)
        },
        commitOffsetsIfNecessary: manual
          ? (offsets?: Offsets) => commitIfNecessary(session.positions, payload, offsets, commitsWhenDue)
          : kafkajsCommitIfNecessary,
        logicalTopic: topic,
        physicalTopic: batch.topic,
        cluster,
        originCluster,
      })
      const last = batch.messages.at(-1)
      if (autoResolve && last && session.isActive && !manual) markProcessed(slot, last, Date.now())
      if (autoResolve && last && session.isActive) handedOver?.resolvedUpTo(last.offset)
    } finally {
      handedOver?.releaseUnresolved()
    }
  }
}

/** Index of the message with `offset`, searched from `from` onwards first, then from the start; -1 if absent. */
function indexOfOffset(messages: readonly KafkaMessage[], offset: string, from: number): number {
  for (let i = from; i < messages.length; i++) if (messages[i]!.offset === offset) return i
  for (let i = 0; i < from && i < messages.length; i++) if (messages[i]!.offset === offset) return i
  return -1
}
