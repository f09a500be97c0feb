/** The values that flags take: cluster addresses, names, topics, durations; each checked, with the fix. */
import { CliUsageError } from './errors.js'
import type { ClusterAddress } from './types.js'

const CLUSTER_NAME = /^[A-Za-z0-9_-]{1,64}$/
const BROKER = /^[^\s:,=]+:\d{1,5}$/
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/

/** Each element once, in the order first given. */
export function unique<T>(list: T[]): T[] {
  return [...new Set(list)]
}

/** A `--group` value: any non-blank consumer group id. */
export function groupId(value: string): string {
  if (value.trim() === '') throw new CliUsageError('--group needs a consumer group id')
  return value
}

/** A cluster's name, as `--cluster`, `--from`, `--to` and `--active` take it. */
export function clusterName(flag: string, value: string): string {
  if (!CLUSTER_NAME.test(value)) throw new CliUsageError(`${flag}: '${value}' is not a cluster name (letters, digits, '_', '-')`)
  return value
}

/** A topic name given to `flag`, when given. */
export function optionalTopic(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  if (!TOPIC.test(value)) throw new CliUsageError(`${flag}: '${value}' is not a Kafka topic name (letters, digits, '.', '_', '-')`)
  return value
}

/** `--topics a,b --topics c`: the logical topics, each once, in order. */
export function topicList(values: readonly string[]): string[] {
  const topics = values.flatMap((v) => v.split(',')).map((t) => t.trim()).filter((t) => t !== '')
  if (topics.length === 0) throw new CliUsageError('--topics needs at least one topic name (comma-separated)')
  const bad = topics.find((t) => !TOPIC.test(t))
  if (bad !== undefined) throw new CliUsageError(`--topics: '${bad}' is not a Kafka topic name (letters, digits, '.', '_', '-')`)
  return unique(topics)
}

/** Reads `NAME=HOST:PORT[,HOST:PORT...]`. */
export function parseCluster(value: string): ClusterAddress {
  const at = value.indexOf('=')
  const name = at > 0 ? value.slice(0, at) : ''
  const brokers = at > 0 ? value.slice(at + 1).split(',').map((b) => b.trim()).filter((b) => b !== '') : []
  if (!CLUSTER_NAME.test(name) || brokers.length === 0) {
    throw new CliUsageError(`--cluster: expected NAME=HOST:PORT[,HOST:PORT...] (for example dc1=kafka-a:9092), got '${value}'`)
  }
  const bad = brokers.find((b) => !BROKER.test(b) || Number(b.slice(b.lastIndexOf(':') + 1)) > 65535)
  if (bad !== undefined) throw new CliUsageError(`--cluster ${name}: '${bad}' is not HOST:PORT`)
  return { name, brokers }
}

/** Reads a duration: `30` (seconds), `30s`, `500ms`, `2m`. */
export function parseDuration(flag: string, value: string, minMs = 0): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim())
  if (!match) throw new CliUsageError(`${flag}: expected a duration such as 30, 30s, 500ms or 2m, got '${value}'`)
  const unit = match[2] ?? 's'
  const ms = Math.round(Number(match[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000))
  if (ms < minMs) throw new CliUsageError(`${flag}: expected at least ${minMs} ms, got '${value}'`)
  return ms
}
