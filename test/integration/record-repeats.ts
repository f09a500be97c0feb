/**
 * What a group of instances handled more than once, from their `record` events (see
 * apps/group-instance.ts), in three kinds that have three causes. Used by the group drill and the
 * group bench.
 */
import type { AppEvent } from './apps/app-process.js'

/** The repeats among the records a group handled. */
export interface RecordRepeats {
  /** Records handled on dc1 and again on dc2: what the failover made the group handle again. */
  failoverDuplicates: number
  /** Handlings of an offset already handled (kafkajs revokes at a rebalance what it has not committed yet). */
  redeliveries: number
  /** Records at a second offset of one cluster: a replicator (MirrorMaker 2) wrote them twice. */
  copies: number
}

/** Counts the {@link RecordRepeats} of `records` (`record` events only). */
export function recordRepeats(records: readonly AppEvent[]): RecordRepeats {
  const offsets = new Set<string>()
  const offsetsOf = new Map<string, Set<string>>()
  let redeliveries = 0
  for (const e of records) {
    const at = `${e.cluster}/${e.topic}[${e.partition}]@${e.offset}`
    if (offsets.has(at)) redeliveries++
    offsets.add(at)
    const key = `${e.cluster}/${e.id}`
    offsetsOf.set(key, (offsetsOf.get(key) ?? new Set()).add(at))
  }
  const onDc1 = new Set(records.filter((e) => e.cluster === 'dc1').map((e) => e.id))
  const failoverDuplicates = [...new Set(records.filter((e) => e.cluster === 'dc2').map((e) => e.id))].filter((id) => onDc1.has(id)).length
  const copies = [...offsetsOf.values()].reduce((sum, at) => sum + at.size - 1, 0)
  return { failoverDuplicates, redeliveries, copies }
}
