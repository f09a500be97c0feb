import type { Batch, KafkaMessage } from 'kafkajs'
import type { DeliveryFilter, RecordProvenance } from './delivery-filter.js'

/** A batch without the records the filter skips, and how its records count as delivered. */
export interface FilteredBatch {
  batch: Batch
  /** The handler resolved up to `offset`: the records handed over up to there are delivered. */
  resolvedUpTo: (offset: string) => void
  /** The handler is done: those it did not resolve are released (kafkajs fetches them again). */
  releaseUnresolved: () => void
}

/**
 * The batch as an `eachBatch` handler sees it when provenance is read: without the records the
 * filter skips (an object over kafkajs' batch, so that `lastOffset()` still covers the skipped
 * ones). Undefined when nothing is filtered.
 */
export function filterBatch(
  batch: Batch,
  topicOrigin: string,
  cluster: string,
  filter: DeliveryFilter | undefined,
): FilteredBatch | undefined {
  if (filter === undefined || !filter.filters) return undefined
  const messages: KafkaMessage[] = []
  const records: RecordProvenance[] = []
  let duplicates = 0
  for (const message of batch.messages) {
    const record = filter.read(message.headers, topicOrigin)
    const skip = filter.skips(record)
    if (skip === 'duplicate') duplicates++
    if (skip !== undefined) continue
    messages.push(message)
    records.push(record)
  }
  if (duplicates > 0) filter.deduplicated(cluster, batch.topic, batch.partition, duplicates)
  const filtered = messages.length === batch.messages.length ? batch : withMessages(batch, messages)
  let delivered = 0
  return {
    batch: filtered,
    resolvedUpTo: (offset) => {
      const upTo = BigInt(offset)
      while (delivered < records.length && BigInt(messages[delivered]!.offset) <= upTo) filter.delivered(records[delivered++]!)
    },
    releaseUnresolved: () => {
      for (let i = delivered; i < records.length; i++) filter.released(records[i]!)
    },
  }
}

/**
 * `batch` with only `messages`: an object over kafkajs' batch, so that `lastOffset()` and the
 * watermarks still cover the records left out.
 */
export function withMessages(batch: Batch, messages: KafkaMessage[]): Batch {
  const narrowed = Object.create(batch) as Batch
  Object.defineProperty(narrowed, 'messages', { value: messages })
  return narrowed
}
