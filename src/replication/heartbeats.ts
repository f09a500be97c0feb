/**
 * The age of a MirrorMaker 2 flow, read from MM2's own heartbeats. Every second MM2 writes a
 * record to the topic `heartbeats` of each cluster it replicates into, and each flow replicates
 * its source's `heartbeats` like any topic, as `<source>.heartbeats` on the target. Replication
 * keeps a record's timestamp, so the newest timestamp in `<source>.heartbeats` on the target says
 * how long ago the flow last delivered something fresh. Read with ListOffsets by time (no consumer
 * group, nothing written), so a check costs two small requests.
 */
import type { Admin } from 'kafkajs'

/** MM2's heartbeat topic (its default name). */
export const HEARTBEATS_TOPIC = 'heartbeats'

/** Where a flow's heartbeats arrive: `<source>.heartbeats` (the default replication policy's name). */
export function replicatedHeartbeats(source: string): string {
  return `${source}.${HEARTBEATS_TOPIC}`
}

/** Whether `topic` holds a record with a timestamp at or after `sinceMs`. */
export async function hasRecordSince(admin: Admin, topic: string, sinceMs: number): Promise<boolean> {
  // Ends first: a record appended between the two requests can only make the answer "not yet",
  // never a false "fresh".
  const ends = await admin.fetchTopicOffsets(topic)
  const found = await admin.fetchTopicOffsetsByTimestamp(topic, sinceMs)
  // Kafka answers -1 when no record is that new; kafkajs turns -1 into the high watermark.
  return found.some(({ partition, offset }) => {
    const end = ends.find((e) => e.partition === partition)
    return end !== undefined && Number(offset) < Number(end.high)
  })
}

/**
 * Timestamp of the newest record of `topic` (to `resolutionMs`), or undefined when it holds none
 * or does not exist. A search over ListOffsets by time: a few requests when the newest record is
 * recent, about 30 when it is days old. For diagnosis, not for every check.
 */
export async function newestTimestamp(admin: Admin, topic: string, now = Date.now(), resolutionMs = 100): Promise<number | undefined> {
  const has = async (since: number): Promise<boolean> => {
    try {
      return await hasRecordSince(admin, topic, since)
    } catch {
      return false
    }
  }
  if (!(await has(0))) return undefined
  // Widen the window until it holds a record, then halve the gap between "has" and "has not".
  let step = 1000
  // Never a negative time: -1, -2 and -3 are ListOffsets' "latest", "earliest" and "max timestamp".
  while (now - step > 0 && !(await has(now - step))) step *= 2
  let yes = Math.max(0, now - step)
  let no = now - step / 2
  if (step === 1000) {
    if (await has(now)) return now
    no = now
  }
  while (no - yes > resolutionMs) {
    const mid = Math.floor((yes + no) / 2)
    if (await has(mid)) yes = mid
    else no = mid
  }
  return yes
}
