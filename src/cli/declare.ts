/**
 * `kafkajs-dr declare --active CLUSTER`: writes a declaration of the active cluster (the
 * `declared` discovery policy) to the control topic of every reachable cluster with
 * `declareActiveCluster()`, and reports which clusters took it. The newest declaration found on
 * the clusters is read first and its epoch passed as `minEpoch`, so that a host whose clock is
 * behind still declares above it.
 *
 * @module
 */
import { DEFAULT_CONTROL_TOPIC, type Declaration } from '../discovery/control-record.js'
import { declareActiveCluster, readDeclaration } from '../discovery/declare.js'
import { FailoverError } from '../errors/index.js'
import { errorMessage } from '../util/log.js'
import { withTimeout } from '../util/timeout.js'
import type { DeclareOptions, GlobalOptions } from './types.js'
import type { CliClusters } from './clusters.js'
import { CliCommandError } from './errors.js'
import { ago, short, table } from './output.js'

/** What `declare` prints (`--json` prints it as is). */
export interface DeclareReport {
  command: 'declare'
  at: number
  controlTopic: string
  /** The declaration written. */
  declaration: Declaration
  /** The newest declaration found before, if any. */
  previous: Declaration | null
  /** Per cluster, in preference order: whether it took the declaration, and why not. */
  clusters: Array<{ cluster: string; written: boolean; error: string | null }>
}

/** Runs `declare`. */
export async function declare(clusters: CliClusters, options: DeclareOptions, global: GlobalOptions): Promise<DeclareReport> {
  clusters.expectCluster('--active', options.active)
  const discovery = clusters.config.options.discovery as { controlTopic?: unknown } | undefined
  const topic = options.controlTopic ?? (typeof discovery?.controlTopic === 'string' ? discovery.controlTopic : DEFAULT_CONTROL_TOPIC)
  const kafkas = Object.fromEntries(clusters.names.map((name) => [name, clusters.kafka(name)]))

  const found = await Promise.all(
    clusters.names.map((name) =>
      withTimeout(readDeclaration(kafkas[name]!, topic, global.timeoutMs), global.timeoutMs + 1000, `reading ${topic} on '${name}'`).catch(
        () => undefined,
      ),
    ),
  )
  const previous = found.reduce<Declaration | null>(
    (newest, d) => (d !== undefined && (newest === null || d.epoch > newest.epoch) ? d : newest),
    null,
  )

  try {
    const result = await declareActiveCluster(kafkas, {
      cluster: options.active,
      ...(options.reason === undefined ? {} : { reason: options.reason }),
      topic,
      timeoutMs: global.timeoutMs,
      minEpoch: previous?.epoch ?? 0,
    })
    return {
      command: 'declare',
      at: Date.now(),
      controlTopic: topic,
      declaration: result.declaration,
      previous,
      clusters: clusters.names.map((name) => {
        const failed = result.failed.find((f) => f.cluster === name)
        return { cluster: name, written: result.written.includes(name), error: failed === undefined ? null : short(failed.error, 200) }
      }),
    }
  } catch (error) {
    if (error instanceof FailoverError)
      throw new CliCommandError(
        'ERR_NOT_DECLARED',
        `the declaration of '${options.active}' reached no cluster: ${short(error.message.replace(/^Declaration of '[^']*' reached no cluster: /, ''), 400)}`,
        { cause: error },
      )
    throw new CliCommandError('ERR_NOT_DECLARED', `the declaration of '${options.active}' failed: ${short(errorMessage(error), 300)}`, {
      cause: error,
    })
  }
}

/** The result for people. */
export function formatDeclare(report: DeclareReport): string {
  const d = report.declaration
  const took = report.clusters.filter((c) => c.written).map((c) => c.cluster)
  const out: string[] = []
  out.push(
    `declared ${d.cluster} active (epoch ${d.epoch}${d.reason === '' ? '' : `, reason: ${short(d.reason, 80)}`}) in ${report.controlTopic} on ${took.join(', ')}`,
  )
  out.push(
    table(
      ['CLUSTER', 'TOOK IT'],
      report.clusters.map((c) => [c.cluster, c.written ? 'yes' : `no: ${short(c.error ?? 'unknown error', 120)}`]),
    ),
  )
  const p = report.previous
  out.push(
    `previous declaration: ${p === null ? 'none' : `${p.cluster}, declared ${ago(p.declaredAt, report.at)}${p.by === '' ? '' : ` by ${p.by}`}, epoch ${p.epoch}`}`,
  )
  const missed = report.clusters.filter((c) => !c.written).map((c) => c.cluster)
  if (missed.length > 0)
    out.push(
      `${missed.join(', ')} did not take it: run the same command again once ${missed.length === 1 ? 'it is' : 'they are'} back (instances reading only ${missed.length === 1 ? 'that cluster' : 'those clusters'} do not see it)`,
    )
  return `${out.join('\n')}\n`
}
