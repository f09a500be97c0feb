/**
 * The age of a MirrorMaker 2 flow, read from MM2's own heartbeats. Every second MM2 writes a
 * record to the topic `heartbeats` of each cluster it replicates into, and each flow replicates
 * its source's `heartbeats` like any topic, as `<source>.heartbeats` on the target. Replication
 * keeps a record's timestamp, so the newest timestamp in `<source>.heartbeats` on the target says
 * how long ago the flow last delivered something fresh.
 *
 * Read with ListOffsets by time: no consumer group, nothing written, a few small requests. kafkajs
 * cannot ask for the newest timestamp itself (ListOffsets' "max timestamp", KIP-734), so it is
 * found by a search over "is there a record at or after t?".
 *
 * @module
 */
import type { Admin } from 'kafkajs'

/** MM2's heartbeat topic (the name its replication policies give it). */
export const HEARTBEATS_TOPIC = 'heartbeats'

/** Where a flow's heartbeats arrive under MM2's default policy: `<source>.heartbeats`. */
export function replicatedHeartbeats(source: string): string {
  return `${source}.${HEARTBEATS_TOPIC}`
}

type Ends = Array<{ partition: number; high: string }>

/** Whether `topic` holds a record with a timestamp at or after `sinceMs` (`ends`: its high watermarks, read before). */
async function hasRecordSinceGiven(admin: Admin, topic: string, sinceMs: number, ends: Ends): Promise<boolean> {
  const found = await admin.fetchTopicOffsetsByTimestamp(topic, sinceMs)
  // Kafka answers -1 when no record is that new; kafkajs turns -1 into the high watermark.
  return found.some(({ partition, offset }) => {
    const end = ends.find((e) => e.partition === partition)
    return end !== undefined && Number(offset) < Number(end.high)
  })
}

/** Whether `topic` holds a record with a timestamp at or after `sinceMs`. */
export async function hasRecordSince(admin: Admin, topic: string, sinceMs: number): Promise<boolean> {
  // Ends first: a record appended between the two requests can only make the answer "not yet",
  // never a false "fresh".
  return hasRecordSinceGiven(admin, topic, sinceMs, await admin.fetchTopicOffsets(topic))
}

/** Options of {@link newestTimestamp}. */
export interface NewestTimestampOptions {
  /** The time to search back from, in ms since epoch. @default Date.now() */
  now?: number
  /** Precision of the answer, in ms. @default 100 */
  resolutionMs?: number
  /**
   * A timestamp known to be held by the topic (an earlier answer): the search starts there
   * instead of at the topic's start, which saves most requests on a flow that is checked often.
   */
  atLeast?: number
}

/**
 * Timestamp of the newest record of `topic` (to `resolutionMs`, rounded down), or undefined when
 * it holds none. Rejects when the topic does not exist (kafkajs' `UNKNOWN_TOPIC_OR_PARTITION`) or
 * the cluster does not answer. A recent newest record costs about six requests; one days old about
 * thirty.
 */
export async function newestTimestamp(admin: Admin, topic: string, options: NewestTimestampOptions = {}): Promise<number | undefined> {
  const now = options.now ?? Date.now()
  const resolutionMs = options.resolutionMs ?? 100
  const ends = await admin.fetchTopicOffsets(topic)
  const has = (since: number): Promise<boolean> => hasRecordSinceGiven(admin, topic, since, ends)
  let yes: number
  let no: number
  if (options.atLeast !== undefined && options.atLeast <= now && (await has(options.atLeast))) {
    yes = options.atLeast
    no = now + 1
  } else {
    if (!(await has(0))) return undefined
    // Widen the window back from now until it holds a record. Never a negative time: -1, -2 and
    // -3 are ListOffsets' "latest", "earliest" and "max timestamp".
    let step = 1000
    while (now - step > 0 && !(await has(now - step))) step *= 2
    yes = Math.max(0, now - step)
    no = step === 1000 ? now + 1 : now - step / 2
  }
  // Halve the gap between "has a record this new" and "has none".
  while (no - yes > resolutionMs) {
    const mid = Math.floor((yes + no) / 2)
    if (await has(mid)) yes = mid
    else no = mid
  }
  return yes
}
