/**
 * The topics MirrorMaker 2 does not replicate with its default settings, in one place: the
 * checkpoint topic's validation, its creation and the checkpoint writer all ask here.
 *
 * MM2's source connector replicates a topic only when `topics` includes it, `topics.exclude`
 * does not, and its replication policy does not call it internal. The defaults of the last two
 * are mirrored here; a cluster that overrides `topics.exclude` is not known to the library.
 *
 * @module
 */

/**
 * The default of MM2's `topics.exclude` setting (Java regular expressions): topics whose whole
 * name matches one are not replicated.
 */
export const MM2_DEFAULT_TOPICS_EXCLUDE: readonly string[] = ['.*[\\-\\.]internal', '.*\\.replica', '__.*']

interface ExclusionRule {
  /** How the rule is named in messages. */
  readonly rule: string
  readonly pattern: RegExp
}

const RULES: readonly ExclusionRule[] = [
  // Java's Matcher.matches() needs the whole name to match, hence the anchors.
  ...MM2_DEFAULT_TOPICS_EXCLUDE.map((p) => ({ rule: `topics.exclude pattern \`${p}\``, pattern: new RegExp(`^(?:${p})$`) })),
  // ReplicationPolicy.isInternalTopic() also calls names starting with `.` internal; its other
  // cases (`__`, `.internal`, `-internal`) are already patterns of `topics.exclude`.
  { rule: 'ReplicationPolicy.isInternalTopic (a name starting with `.`)', pattern: /^\./ },
]

/**
 * The rule by which MirrorMaker 2, with its default settings, would refuse to replicate `topic`:
 * a pattern of the default `topics.exclude` (`.*[\-\.]internal`, `.*\.replica`, `__.*`) or the
 * default replication policy's internal-topic rule (names starting with `.`). `undefined` when
 * MM2 replicates the topic.
 *
 * @returns the rule's description, e.g. ``topics.exclude pattern `.*[\-\.]internal` ``
 * @example
 * ```ts
 * mm2DefaultExclusion('kafkajs-dr.checkpoints') // undefined
 * mm2DefaultExclusion('orders.replica')          // 'topics.exclude pattern `.*\\.replica`'
 * ```
 */
export function mm2DefaultExclusion(topic: string): string | undefined {
  return RULES.find((r) => r.pattern.test(topic))?.rule
}

/**
 * Whether MirrorMaker 2 with its default settings would refuse to replicate `topic` (see
 * `mm2DefaultExclusion`, which also names the rule).
 *
 * @example
 * ```ts
 * isExcludedByMm2Defaults('kafkajs-dr.checkpoints') // false
 * isExcludedByMm2Defaults('__consumer_timestamps')  // true
 * ```
 */
export function isExcludedByMm2Defaults(topic: string): boolean {
  return mm2DefaultExclusion(topic) !== undefined
}
