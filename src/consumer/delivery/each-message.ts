/**
 * Where a record is delivered with `eachMessage`: the application's handler, called record by
 * record over kafkajs' `eachBatch`.
 *
 * @module
 */
import type { EachBatchPayload } from 'kafkajs'
import { markDelivered, markProcessed } from '../positions.js'
import type { FailoverRunConfig } from '../run-config.js'
import { skipLeadingRecords } from './copy-catch-up.js'
import type { DeliveringSession, KafkajsEachBatch } from './types.js'

/**
 * How often, at most, the record loop asks kafkajs for a heartbeat or an interval commit, in ms.
 * kafkajs sends either only when its own interval (3 s and more by default) is due, so asking
 * every 50 ms instead of after every record delays them by no more than that.
 */
const HOUSEKEEPING_MS = 50

/**
 * The user's `eachMessage`, run over kafkajs' `eachBatch` with the steps kafkajs' own
 * `eachMessage` loop takes per record: stop at a stop, a seek or a pause of the partition; on
 * success resolve the offset, heartbeat and commit when due; on a throw, kafkajs commits what
 * was resolved and retries from there. Why not wrap kafkajs' `eachMessage`: that costs a second
 * payload object, a second promise and a map lookup per record, which measured at about a
 * fifth of a raw kafkajs consumer's per-record time.
 */
export function eachMessageOverBatches(
  session: DeliveringSession,
  handler: NonNullable<FailoverRunConfig['eachMessage']>,
  autoCommit: boolean,
  commitByCount: boolean,
): KafkajsEachBatch {
  return async (payload: EachBatchPayload) => {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- kafkajs' payload functions are closures, not methods
    const { batch, heartbeat, resolveOffset, isRunning, isStale, commitOffsetsIfNecessary } = payload
    const { topic, originCluster } = session.source(batch.topic)
    const { partition, topic: physicalTopic } = batch
    const { cluster } = session
    const slot = session.positions.slot(physicalTopic, partition)
    let pausesSeen = session.pauses
    const pause = (): (() => void) => {
      session.pause([{ topic: physicalTopic, partitions: [partition] }])
      return () => session.resume([{ topic: physicalTopic, partitions: [partition] }])
    }
    const { filter } = session
    // A rebalance that an earlier batch's heartbeat met is still pending: kafkajs hands this
    // handler the rest of its fetch anyway, batch by batch. Asking first (a request only when one
    // is due or failed) ends each such batch before its first record, as kafkajs' own loop does.
    await heartbeat()
    let housekeepingAt = Date.now() + HOUSEKEEPING_MS
    let duplicates = 0
    let messages = batch.messages
    if (session.catchUp.skipping && session.isActive) {
      const skipped = skipLeadingRecords(session.catchUp, batch, slot, resolveOffset, autoCommit)
      if (skipped > 0) messages = messages.slice(skipped)
    }
    for (const message of messages) {
      // A deactivated or stopped session ends the batch quietly: its partitions are paused (or
      // the consumer is leaving), so nothing is fetched again; an error would restart kafkajs.
      if (!isRunning() || isStale() || !session.isActive) break
      // Manual commits: noted before the handler, which may commit this very record's next offset.
      if (!autoCommit) markDelivered(slot, message, Date.now())
      const record = filter?.read(message.headers, originCluster)
      const skip = record === undefined ? undefined : filter!.skips(record)
      if (skip === 'duplicate') duplicates++
      // A skipped record counts as processed: its offset is resolved and checkpointed.
      if (skip === undefined) {
        try {
          await handler({
            topic,
            partition,
            message,
            heartbeat,
            pause,
            physicalTopic,
            cluster,
            originCluster: record?.origin ?? originCluster,
          })
        } catch (error) {
          if (record !== undefined) filter!.released(record)
          throw error
        }
        if (record !== undefined) filter!.delivered(record)
      }
      const now = Date.now()
      if (autoCommit) markProcessed(slot, message, now)
      resolveOffset(message.offset)
      if (now >= housekeepingAt) {
        housekeepingAt = now + HOUSEKEEPING_MS
        await heartbeat()
        if (autoCommit && !commitByCount) await commitOffsetsIfNecessary()
      }
      // A commit threshold counts records: check it after every one, as kafkajs does.
      if (autoCommit && commitByCount) await commitOffsetsIfNecessary()
      if (session.pauses !== pausesSeen) {
        if (session.isPaused(physicalTopic, partition)) break
        pausesSeen = session.pauses // another partition's pause: look again only after the next one
      }
    }
    if (duplicates > 0) filter!.deduplicated(cluster, physicalTopic, partition, duplicates)
  }
}
