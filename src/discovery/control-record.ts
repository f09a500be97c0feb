/**
 * The control topic of the `declared` policy: its records, which of two declarations wins, and
 * its creation.
 *
 * Control record (topic `kafkajs-dr.control`, compacted, one partition): key `active` (UTF-8),
 * value UTF-8 JSON `{ "version": 1, "cluster": "dc2", "epoch": 7, "declaredAt": 1764072000000,
 * "reason": "drill", "by": "ops-host" }`. JSON because it is rare, small and read by people.
 */
import type { Admin } from 'kafkajs'

/** Key of every declaration in the control topic. */
export const CONTROL_KEY = 'active'
/** Format version of a declaration's JSON value. */
export const CONTROL_VERSION = 1

/**
 * The default control topic. Its name avoids MirrorMaker 2's default exclusions.
 *
 * @group Discovery
 */
export const DEFAULT_CONTROL_TOPIC = 'kafkajs-dr.control'

/**
 * An operator's declaration of the active cluster.
 *
 * @group Discovery
 */
export interface Declaration {
  /** The cluster to make active. */
  cluster: string
  /** Higher wins. */
  epoch: number
  /** When it was declared (ms since epoch). */
  declaredAt: number
  /** Why. */
  reason: string
  /** Who or which host declared it. */
  by: string
}

/** Newest first: highest epoch, then latest declaration, then cluster name for a stable order. */
export function newer(a: Declaration, b: Declaration | undefined): boolean {
  if (!b) return true
  return a.epoch !== b.epoch ? a.epoch > b.epoch : a.declaredAt !== b.declaredAt ? a.declaredAt > b.declaredAt : a.cluster > b.cluster
}

/** A control record's declaration, or why it holds none (`null` value: a deletion, not an error). */
export function readRecord(value: Buffer | null): { declaration: Declaration } | { ignored: string | undefined } {
  if (!value) return { ignored: undefined }
  let d: Partial<Declaration> & { version?: unknown }
  try {
    d = JSON.parse(value.toString('utf8')) as typeof d
  } catch {
    return { ignored: `not JSON (${value.length} bytes)` }
  }
  if (typeof d !== 'object' || d === null) return { ignored: 'not a JSON object' }
  if (d.version !== CONTROL_VERSION)
    return { ignored: `format version ${JSON.stringify(d.version)} (this release reads ${CONTROL_VERSION})` }
  if (typeof d.cluster !== 'string' || typeof d.epoch !== 'number') return { ignored: 'no cluster or epoch' }
  return { declaration: { cluster: d.cluster, epoch: d.epoch, declaredAt: d.declaredAt ?? 0, reason: d.reason ?? '', by: d.by ?? '' } }
}

/** Creates the control topic (compacted, one partition) unless it exists. */
export async function ensureControlTopic(admin: Admin, topic: string): Promise<void> {
  // Checked first: creating a topic that exists makes kafkajs log the broker's refusal at ERROR
  // level on every connect, which reads as a fault to whoever watches the logs.
  if ((await admin.listTopics()).includes(topic)) return
  await admin.createTopics({
    topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
    waitForLeaders: true,
  })
}
