/**
 * `kafkajs-dr status`: each cluster's health and id, the active cluster the configuration's
 * discovery policy chooses, the declaration in force on each cluster, the replication lag of
 * every flow and, with `--group`, each group's position and checkpoints per cluster.
 *
 * @module
 */
import { DEFAULT_CONTROL_TOPIC, type Declaration } from '../discovery/control-record.js'
import { readDeclaration } from '../discovery/declare.js'
import { DEFAULT_CHECKPOINT_TOPIC } from '../offsets/checkpoint-codec.js'
import type { ReplicationFlowStatus } from '../replication/lag-monitor.js'
import { errorMessage } from '../util/log.js'
import { delay, withTimeout } from '../util/timeout.js'
import type { GlobalOptions, StatusOptions } from './types.js'
import type { CliClusters } from './clusters.js'
import { CliCommandError } from './errors.js'
import { groupIsKnown, readGroupsOn, unreadable, type GroupOnCluster } from './group-report.js'
import { ago, cell, duration, short, table } from './output.js'

/** Longest wait for every replication flow's first check, in ms. */
const REPLICATION_WAIT_MS = 5000

/** One cluster in the report. */
export interface ClusterReport {
  name: string
  priority: number
  local: boolean
  health: string
  clusterId: string | null
  brokers: string[] | null
  /** The last probe's error while it failed. */
  lastError: string | null
  /** The newest declaration in this cluster's control topic. */
  declaration: Declaration | null
  /** Why the control topic could not be read. */
  declarationError: string | null
}

/** One replication flow in the report (undefined fields as null). */
export interface FlowReport {
  source: string
  target: string
  heartbeatsTopic: string
  lagMs: number | null
  newestHeartbeat: number | null
  checkedAt: number | null
  lagging: boolean
  lastError: string | null
}

/** What `status` prints (`--json` prints it as is). */
export interface StatusReport {
  command: 'status'
  /** When the report was made (ms since epoch). */
  at: number
  /** The configuration's discovery policy. */
  policy: string
  /** The active cluster that policy chooses now. */
  active: string | null
  /** The newest declaration across the clusters (declared policy), if any. */
  declared: Declaration | null
  controlTopic: string
  clusters: ClusterReport[]
  /** Empty when replication lag is not watched (`replicationLag: false`, identity naming). */
  replication: FlowReport[]
  groups: Array<{ group: string; clusters: GroupOnCluster[] }>
}

/** Runs `status`. */
export async function status(clusters: CliClusters, options: StatusOptions, global: GlobalOptions): Promise<StatusReport> {
  const { dr } = clusters
  const deadline = Date.now() + global.timeoutMs
  // connect() resolves once the policy chose an active cluster, and rejects only after the whole
  // timeout when none is up: stop waiting as soon as every cluster was probed and all are down.
  let connected = false
  void dr.connect().then(
    () => {
      connected = true
    },
    () => {},
  )
  for (;;) {
    const known = dr.status().clusters.filter((c) => c.health !== 'unknown')
    const allKnown = known.length === clusters.names.length
    if ((connected && allKnown) || (allKnown && known.every((c) => c.health === 'down')) || Date.now() >= deadline) break
    await delay(50)
  }
  const up = dr
    .status()
    .clusters.filter((c) => c.health === 'up')
    .map((c) => c.name)
  if (up.length === 0) {
    const why = dr
      .status()
      .clusters.map((c) => `${clusters.describe(c.name)}: ${short(c.lastError ?? c.health, 160)}`)
      .join('; ')
    throw new CliCommandError('ERR_UNREACHABLE', `no cluster can be reached: ${why}`)
  }

  const controlTopic = options.controlTopic ?? configuredControlTopic(clusters) ?? DEFAULT_CONTROL_TOPIC
  const checkpointTopic = options.checkpointTopic ?? DEFAULT_CHECKPOINT_TOPIC
  const [declarations, groups] = await Promise.all([
    Promise.all(clusters.names.map((name) => declarationOn(clusters, name, up.includes(name), controlTopic, global.timeoutMs))),
    readGroups(clusters, options.groups, up, checkpointTopic, global.timeoutMs),
    waitForReplication(clusters, Math.min(REPLICATION_WAIT_MS, Math.max(0, deadline - Date.now()))),
  ])
  const unknown = groups.find((g) => !groupIsKnown(g.clusters))
  if (unknown !== undefined) {
    const unread = unknown.clusters.filter((c) => c.error !== null).map((c) => c.cluster)
    throw new CliCommandError(
      'ERR_UNKNOWN_GROUP',
      `unknown group '${unknown.group}': no cluster has members, committed offsets or checkpoints of it${unread.length > 0 ? ` (${unread.join(', ')} could not be read)` : ''}`,
    )
  }

  const snapshot = dr.status()
  const declared = declarations.reduce<Declaration | null>(
    (newest, d) => (d.declaration !== null && (newest === null || d.declaration.epoch > newest.epoch) ? d.declaration : newest),
    null,
  )
  return {
    command: 'status',
    at: Date.now(),
    policy: snapshot.policy,
    active: snapshot.active ?? null,
    declared,
    controlTopic,
    clusters: snapshot.clusters.map((c) => {
      const d = declarations.find((x) => x.cluster === c.name)!
      return {
        name: c.name,
        priority: c.priority,
        local: c.local,
        health: c.health,
        clusterId: c.clusterId ?? null,
        brokers: clusters.brokers(c.name) ?? null,
        lastError: c.health === 'up' ? null : (c.lastError ?? null),
        declaration: d.declaration,
        declarationError: d.error,
      }
    }),
    replication: snapshot.replication.map(flowReport),
    groups,
  }
}

function configuredControlTopic(clusters: CliClusters): string | undefined {
  const discovery = clusters.config.options.discovery as { controlTopic?: unknown } | undefined
  return typeof discovery?.controlTopic === 'string' ? discovery.controlTopic : undefined
}

async function declarationOn(
  clusters: CliClusters,
  name: string,
  up: boolean,
  topic: string,
  timeoutMs: number,
): Promise<{ cluster: string; declaration: Declaration | null; error: string | null }> {
  if (!up) return { cluster: name, declaration: null, error: 'cluster down' }
  try {
    const admin = await clusters.admin(name)
    const declaration = await withTimeout(
      readDeclaration(clusters.kafka(name), topic, timeoutMs, admin),
      timeoutMs + 1000,
      `reading ${topic} on '${name}'`,
    )
    return { cluster: name, declaration: declaration ?? null, error: null }
  } catch (error) {
    return { cluster: name, declaration: null, error: short(errorMessage(error), 200) }
  }
}

async function readGroups(
  clusters: CliClusters,
  groups: readonly string[],
  up: readonly string[],
  checkpointTopic: string,
  timeoutMs: number,
): Promise<StatusReport['groups']> {
  if (groups.length === 0) return []
  const perCluster = await Promise.all(
    clusters.names.map(async (name): Promise<GroupOnCluster[]> => {
      if (!up.includes(name)) return groups.map(() => unreadable(name, false, 'cluster down'))
      try {
        const admin = await clusters.admin(name)
        return await withTimeout(
          readGroupsOn(
            {
              cluster: name,
              clusters: clusters.names,
              kafka: clusters.kafka(name),
              admin,
              policy: clusters.dr.replicationPolicy,
              checkpointTopic,
              timeoutMs,
            },
            groups,
          ),
          timeoutMs + 1000,
          `reading the groups on '${name}'`,
        )
      } catch (error) {
        return groups.map(() => unreadable(name, !(error instanceof CliCommandError), short(errorMessage(error), 200)))
      }
    }),
  )
  return groups.map((group, i) => ({ group, clusters: perCluster.map((views) => views[i]!) }))
}

/** Waits until every flow whose target is up has had its first check, for at most `ms`. */
async function waitForReplication(clusters: CliClusters, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  const pending = (): boolean => {
    const s = clusters.dr.status()
    const up = new Set(s.clusters.filter((c) => c.health === 'up').map((c) => c.name))
    return s.replication.some((f) => up.has(f.target) && f.checkedAt === undefined && f.lastError === undefined)
  }
  while (pending() && Date.now() < deadline) await delay(50)
}

function flowReport(f: ReplicationFlowStatus): FlowReport {
  return {
    source: f.source,
    target: f.target,
    heartbeatsTopic: f.heartbeatsTopic,
    lagMs: f.lagMs ?? null,
    newestHeartbeat: f.newestHeartbeat ?? null,
    checkedAt: f.checkedAt ?? null,
    lagging: f.lagging,
    lastError: f.lastError ?? null,
  }
}

/** The report for people. */
export function formatStatus(report: StatusReport): string {
  const now = report.at
  const out: string[] = []
  out.push(`clusters (discovery policy: ${report.policy})`)
  out.push(
    table(
      ['CLUSTER', 'HEALTH', 'PRIORITY', 'CLUSTER ID', 'BROKERS', 'DECLARED HERE'],
      report.clusters.map((c) => [
        `${c.name}${c.local ? ' (local)' : ''}`,
        c.health,
        String(c.priority),
        cell(c.clusterId),
        cell(c.brokers?.join(',')),
        c.declaration !== null
          ? `${c.declaration.cluster} (epoch ${c.declaration.epoch})`
          : c.declarationError !== null && c.health === 'up'
            ? `unreadable: ${short(c.declarationError, 60)}`
            : '-',
      ]),
    ),
  )
  for (const c of report.clusters) if (c.lastError !== null) out.push(`  ${c.name}: ${short(c.lastError, 160)}`)
  out.push('')
  out.push(`active cluster (chosen by ${report.policy}): ${report.active ?? 'none'}`)
  const d = report.declared
  out.push(
    `declared active cluster: ${d === null ? `none (no declaration in ${report.controlTopic})` : `${d.cluster}, declared ${ago(d.declaredAt, now)}${d.by === '' ? '' : ` by ${d.by}`}${d.reason === '' ? '' : ` (${short(d.reason, 60)})`}, epoch ${d.epoch}`}`,
  )
  out.push('')
  if (report.replication.length === 0) {
    out.push('replication: not watched (replicationLag: false, or topic names that do not tell flows apart)')
  } else {
    out.push('replication (age of the newest MirrorMaker 2 heartbeat of the source on the target)')
    out.push(
      table(
        ['FLOW', 'LAG', 'CHECKED', 'STATE'],
        report.replication.map((f) => [
          `${f.source} -> ${f.target}`,
          f.lagMs === null ? '-' : duration(f.lagMs),
          f.checkedAt === null ? '-' : ago(f.checkedAt, now),
          f.lastError !== null
            ? `error: ${short(f.lastError, 80)}`
            : f.checkedAt === null
              ? 'not checked (target down)'
              : f.lagging
                ? 'LAGGING'
                : 'ok',
        ]),
      ),
    )
  }
  for (const g of report.groups) {
    out.push('')
    out.push(`group ${g.group}`)
    out.push(
      table(
        ['CLUSTER', 'STATE', 'MEMBERS', 'COMMITTED', 'LAG', 'NEWEST CHECKPOINT', 'CHECKPOINTS', 'MM2 CHECKPOINTS'],
        g.clusters.map((c) =>
          c.error !== null
            ? [c.cluster, c.reachable ? 'unreadable' : 'down', '-', '-', '-', '-', '-', '-']
            : [
                c.cluster,
                cell(c.state),
                String(c.members),
                c.committed.length === 0 ? '-' : `${c.committed.length} partitions`,
                cell(c.lag),
                c.checkpoints.newest === null ? '-' : `${duration(c.checkpoints.newest.ageMs)} ago (of ${c.checkpoints.newest.cluster})`,
                String(c.checkpoints.count),
                String(c.mm2Checkpoints),
              ],
        ),
      ),
    )
    for (const c of g.clusters) if (c.error !== null && c.reachable) out.push(`  ${c.cluster}: ${short(c.error, 160)}`)
    const topics = g.clusters.flatMap((c) =>
      [...new Set(c.committed.map((p) => p.topic))].map((topic) => {
        const parts = c.committed.filter((p) => p.topic === topic)
        const lags = parts.map((p) => p.lag).filter((l): l is number => l !== null)
        return [c.cluster, topic, String(parts.length), lags.length === 0 ? '-' : String(lags.reduce((a, b) => a + b, 0))]
      }),
    )
    if (topics.length > 0) out.push(table(['CLUSTER', 'TOPIC', 'PARTITIONS COMMITTED', 'LAG'], topics))
  }
  return `${out.join('\n')}\n`
}
