/**
 * `kafkajs-dr translate`: where a consumer group should resume on another cluster, per partition,
 * with `translateOffsets()`; `--apply` commits the result with `commitTranslatedOffsets()`, which
 * Kafka accepts only while the group has no members on the target.
 *
 * Without `--topics` the group's topics are the ones it has committed offsets for on `--from`
 * (named there, turned into logical names by the replication policy). When `--from` cannot be
 * reached (the usual case in a disaster) or has none, they are the topics of the group's
 * checkpoints visible on `--to`: kafkajs-dr's (written by failover consumers and replicated) and
 * MirrorMaker 2's.
 *
 * @module
 */
import { readTopicsOnce } from '../cluster/index.js'
import { asKafkaDRError, GroupNotEmptyError, KafkaDRError } from '../errors/index.js'
import { DEFAULT_CHECKPOINT_TOPIC } from '../offsets/checkpoint-codec.js'
import { CheckpointCollector } from '../offsets/checkpoint-reader.js'
import { checkpointTopicsOn, mm2SeparatorOf } from '../offsets/checkpoint-topic.js'
import { commitTranslatedOffsets } from '../offsets/commit-offsets.js'
import { translateOffsets } from '../offsets/translate.js'
import type { TranslationCandidates, TranslationMethod, TranslationResult } from '../offsets/translation-types.js'
import { errorMessage } from '../util/log.js'
import { withTimeout } from '../util/timeout.js'
import type { GlobalOptions, TranslateOptions } from './types.js'
import type { CliClusters } from './clusters.js'
import { CliCommandError } from './errors.js'
import { toPosition, type CheckpointPosition } from './group-report.js'
import { ago, cell, short, table } from './output.js'

/** Where the topics translated came from. */
export type TopicsSource = 'option' | 'committed-offsets' | 'checkpoints'

/** One partition of the translation. */
export interface TranslatedRow {
  /** Physical topic on the target. */
  topic: string
  partition: number
  /** The offset for the group on the target. */
  offset: string
  /** Which translator gave it (`native`, `timestamp`, `mm2`, `identity`), or the missing-checkpoint policy (`earliest`, `latest`). */
  method: TranslationMethod
  /** The source position: the checkpoint translated (null when there was none). */
  source: CheckpointPosition | null
  /** Every translator's lower bound. */
  candidates: TranslationCandidates
}

/** What `translate` prints (`--json` prints it as is). */
export interface TranslateReport {
  command: 'translate'
  at: number
  group: string
  from: string
  to: string
  /** Logical topics translated. */
  topics: string[]
  topicsFrom: TopicsSource
  /** Their physical topics on the target. */
  targetTopics: string[]
  partitions: TranslatedRow[]
  /** Translators that declined a partition (e.g. `timestamp` on a LogAppendTime topic). */
  refused: Array<{ topic: string; partition: number; translator: string; reason: string }>
  /** Target topics that do not exist. */
  missingTopics: string[]
  /** Checkpoints of the group with no partition on the target. */
  unmapped: Array<{ cluster: string; topic: string; partition: number; offset: string; reason: string; targetTopic: string | null }>
  checkpointsRead: number
  undecodableCheckpoints: number
  /** Members of the group on the target. */
  membersOnTarget: number
  /** Whether `--apply` was given. */
  apply: boolean
  /** Whether the offsets were committed. */
  applied: boolean
  /** What was committed. */
  commit: { topics: string[]; partitions: number; durationMs: number } | null
  durationMs: number
}

/** Runs `translate`. */
export async function translate(clusters: CliClusters, options: TranslateOptions, global: GlobalOptions): Promise<TranslateReport> {
  clusters.expectCluster('--from', options.from)
  clusters.expectCluster('--to', options.to)
  try {
    return await translateGroup(clusters, options, global)
  } catch (error) {
    // A kafkajs error (a refused ACL, a coordinator not found) says which cluster and group.
    if (error instanceof CliCommandError || error instanceof KafkaDRError) throw error
    throw asKafkaDRError(error, `translating group '${options.group}' onto '${options.to}' failed`, {
      cluster: options.to,
      group: options.group,
    })
  }
}

async function translateGroup(clusters: CliClusters, options: TranslateOptions, global: GlobalOptions): Promise<TranslateReport> {
  const started = Date.now()
  const { group, from, to } = options
  const policy = clusters.dr.replicationPolicy
  const names = clusters.names
  const checkpointTopic = options.checkpointTopic ?? DEFAULT_CHECKPOINT_TOPIC
  const admin = await clusters.admin(to)
  const kafka = clusters.kafka(to)

  let sourceError: string | undefined
  const committedOnSource = async (): Promise<string[]> => {
    try {
      const sourceAdmin = await clusters.admin(from)
      const offsets = await withTimeout(
        sourceAdmin.fetchOffsets({ groupId: group }),
        global.timeoutMs,
        `reading the offsets of '${group}' on '${from}'`,
      )
      return offsets.filter((t) => t.partitions.some((p) => BigInt(p.offset) >= 0n)).map((t) => t.topic)
    } catch (error) {
      sourceError = error instanceof CliCommandError ? error.message : short(errorMessage(error), 200)
      return []
    }
  }

  let topics = options.topics
  let topicsFrom: TopicsSource = 'option'
  if (topics === undefined) {
    topics = unique((await committedOnSource()).map((t) => policy.parse(t, from).logicalTopic))
    topicsFrom = 'committed-offsets'
    if (topics.length === 0) {
      topics = await topicsOfCheckpoints(clusters, options, checkpointTopic, global.timeoutMs)
      topicsFrom = 'checkpoints'
    }
  }
  const targetTopics = unique(topics.flatMap((t) => policy.physicalTopicsFor(t, to, names)))

  const result = await translateOffsets({
    group,
    targetCluster: to,
    admin,
    kafka,
    clusters: names,
    policy,
    topics: targetTopics,
    checkpointTopic,
    onMissingCheckpoint: options.onMissing,
    timeoutMs: global.timeoutMs,
  })
  const description = (await withTimeout(admin.describeGroups([group]), global.timeoutMs, `describing '${group}' on '${to}'`)).groups[0]
  const membersOnTarget = description?.members.length ?? 0

  if (result.checkpointsRead === 0 && membersOnTarget === 0) {
    // Nothing on the target knows the group: does the source?
    const committedOnTarget = (await admin.fetchOffsets({ groupId: group })).some((t) => t.partitions.some((p) => BigInt(p.offset) >= 0n))
    const known =
      committedOnTarget ||
      (topicsFrom === 'committed-offsets' && topics.length > 0) ||
      (topicsFrom !== 'committed-offsets' && (await committedOnSource()).length > 0)
    if (!known) {
      throw new CliCommandError(
        'ERR_UNKNOWN_GROUP',
        `unknown group '${group}': no checkpoints of it on ${to} and no committed offsets on ${sourceError === undefined ? `${from} or ${to}` : `${to} (${from}: ${sourceError})`}`,
      )
    }
  }

  const report = toReport(result, { group, from, to, topics, topicsFrom, targetTopics, membersOnTarget, apply: options.apply, started })
  if (!options.apply) return report
  const refuse = (cause?: unknown): CliCommandError =>
    new CliCommandError(
      'ERR_GROUP_NOT_EMPTY',
      `group '${group}' has ${membersOnTarget > 0 ? `${membersOnTarget} member${membersOnTarget === 1 ? '' : 's'}` : 'members'} on ${to}: Kafka accepts these commits only for an empty group; stop its consumers there (or wait for their sessions to time out) and run again. Nothing was committed`,
      { cause, result: report, text: formatTranslate(report) },
    )
  if (membersOnTarget > 0) throw refuse()
  try {
    const commit = await commitTranslatedOffsets(admin, result, { kafka, timeoutMs: global.timeoutMs })
    return { ...report, applied: true, commit, durationMs: Date.now() - started }
  } catch (error) {
    if (error instanceof GroupNotEmptyError) throw refuse(error)
    throw error
  }
}

/** The logical topics named by the group's checkpoints visible on the target (kafkajs-dr's of any cluster, MM2's from `--from`). */
async function topicsOfCheckpoints(
  clusters: CliClusters,
  options: TranslateOptions,
  checkpointTopic: string,
  timeoutMs: number,
): Promise<string[]> {
  const { to, from, group } = options
  const policy = clusters.dr.replicationPolicy
  const collector = new CheckpointCollector(
    checkpointTopicsOn(to, clusters.names, policy, checkpointTopic),
    [from],
    mm2SeparatorOf(policy),
    group,
  )
  await readTopicsOnce(clusters.kafka(to), collector.topics, (topic, partition, message) => collector.add(topic, partition, message), {
    timeoutMs,
    admin: await clusters.admin(to),
    what: 'checkpoints',
  })
  const { checkpoints, mm2 } = collector.sources(group)
  const logical: string[] = []
  for (const c of checkpoints) {
    try {
      logical.push(policy.parse(c.topic, c.cluster).logicalTopic)
    } catch {
      // A checkpoint of a cluster the configuration no longer has.
    }
  }
  for (const m of mm2) logical.push(policy.parse(m.topic, to).logicalTopic)
  return unique(logical).sort()
}

function toReport(
  result: TranslationResult,
  context: {
    group: string
    from: string
    to: string
    topics: string[]
    topicsFrom: TopicsSource
    targetTopics: string[]
    membersOnTarget: number
    apply: boolean
    started: number
  },
): TranslateReport {
  return {
    command: 'translate',
    at: Date.now(),
    group: context.group,
    from: context.from,
    to: context.to,
    topics: context.topics,
    topicsFrom: context.topicsFrom,
    targetTopics: context.targetTopics,
    partitions: result.partitions.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      offset: p.offset,
      method: p.method,
      source: p.checkpoint === undefined ? null : toPosition(p.checkpoint),
      candidates: p.candidates,
    })),
    refused: result.refused.map((r) => ({ topic: r.topic, partition: r.partition, translator: r.translator, reason: r.error.message })),
    missingTopics: result.missingTopics,
    unmapped: result.unmapped.map((u) => ({
      cluster: u.checkpoint.cluster,
      topic: u.checkpoint.topic,
      partition: u.checkpoint.partition,
      offset: u.checkpoint.offset,
      reason: u.reason,
      targetTopic: u.targetTopic ?? null,
    })),
    checkpointsRead: result.checkpointsRead,
    undecodableCheckpoints: result.undecodableCheckpoints,
    membersOnTarget: context.membersOnTarget,
    apply: context.apply,
    applied: false,
    commit: null,
    durationMs: Date.now() - context.started,
  }
}

function unique<T>(list: readonly T[]): T[] {
  return [...new Set(list)]
}

const TOPICS_FROM: Readonly<Record<TopicsSource, string>> = {
  option: '--topics',
  'committed-offsets': 'its committed offsets on the source',
  checkpoints: 'its checkpoints on the target',
}

/** The translation for people. */
export function formatTranslate(report: TranslateReport): string {
  const out: string[] = []
  out.push(
    `group ${report.group}: ${report.from} -> ${report.to}; topics ${report.topics.length === 0 ? 'none' : report.topics.join(', ')} (from ${TOPICS_FROM[report.topicsFrom]}); ${report.checkpointsRead} checkpoints read`,
  )
  if (report.partitions.length > 0) {
    out.push(
      table(
        ['TOPIC ON ' + report.to.toUpperCase(), 'PARTITION', 'SOURCE POSITION', 'CHECKPOINT WRITTEN', 'TARGET OFFSET', 'BY'],
        report.partitions.map((p) => [
          p.topic,
          String(p.partition),
          p.source === null ? '-' : `${p.source.cluster} ${p.source.topic}[${p.source.partition}] @ ${p.source.offset}`,
          p.source === null ? '-' : ago(p.source.writtenAt, report.at),
          p.offset,
          p.method,
        ]),
      ),
    )
  } else {
    out.push('  no partition to translate')
  }
  if (report.missingTopics.length > 0) out.push(`  not on ${report.to}: ${report.missingTopics.join(', ')}`)
  for (const r of report.refused) out.push(`  ${r.translator} declined ${r.topic}[${r.partition}]: ${short(r.reason, 120)}`)
  for (const u of report.unmapped)
    out.push(
      `  checkpoint ${u.cluster} ${u.topic}[${u.partition}] @ ${u.offset} has no place on ${report.to} (${u.reason}${u.targetTopic === null ? '' : `: ${u.targetTopic}`})`,
    )
  if (report.undecodableCheckpoints > 0)
    out.push(`  ${report.undecodableCheckpoints} checkpoint records could not be decoded (written by a newer release?)`)
  if (report.commit !== null) {
    out.push(
      `committed ${report.commit.partitions} partitions of group ${report.group} on ${report.to} (${cell(report.commit.topics.join(', '))}) in ${report.commit.durationMs} ms`,
    )
  } else if (report.apply) {
    out.push(`nothing committed to group ${report.group} on ${report.to}`)
  } else {
    out.push(
      `dry run: nothing committed; add --apply to commit these offsets to group ${report.group} on ${report.to}${report.membersOnTarget > 0 ? ` (it has ${report.membersOnTarget} member${report.membersOnTarget === 1 ? '' : 's'} there now: --apply would be refused)` : ''}`,
    )
  }
  return `${out.join('\n')}\n`
}
