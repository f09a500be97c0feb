/**
 * The values flags take, each checked with a message that names the flag and the fix: durations,
 * clusters (`NAME=HOST:PORT`), cluster and topic names, whole numbers. Shared by the `kafkajs-dr`
 * commands (the drill's included) and the repository's own tools.
 */
import { CLUSTER_NAME, isLegalTopicName } from '../util/names.js'
import { UsageError } from './errors.js'

/** A cluster given with `--cluster NAME=HOST:PORT[,HOST:PORT...]`. */
export interface ClusterAddress {
  name: string
  brokers: string[]
}

// A host has no blank, no ':' (IPv6 literals are not supported), and no ',' or '=' (the separators).
const BROKER = /^[^\s:,=]+:\d{1,5}$/

/** A duration: `30` (seconds), `30s`, `500ms`, `2m`; at least `minMs`. In ms. */
export function parseDuration(flag: string, value: string, minMs = 0): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim())
  if (!match) throw new UsageError(`${flag}: expected a duration such as 30, 30s, 500ms or 2m, got '${value}'`)
  const unit = match[2] ?? 's'
  const ms = Math.round(Number(match[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000))
  if (ms < minMs) throw new UsageError(`${flag}: expected at least ${minMs} ms, got '${value}'`)
  return ms
}

/**
 * `NAME=HOST:PORT[,HOST:PORT...]`: the name as the library's `clusters` option takes it (1 to 64
 * letters, digits, `_`, `-`), and one bootstrap broker or more.
 */
export function parseCluster(value: string, flag = '--cluster'): ClusterAddress {
  const at = value.indexOf('=')
  const name = at > 0 ? value.slice(0, at) : ''
  const brokers =
    at > 0
      ? value
          .slice(at + 1)
          .split(',')
          .map((b) => b.trim())
          .filter((b) => b !== '')
      : []
  if (!CLUSTER_NAME.test(name) || brokers.length === 0) {
    throw new UsageError(`${flag}: expected NAME=HOST:PORT[,HOST:PORT...] (for example dc1=kafka-a:9092), got '${value}'`)
  }
  const bad = brokers.find((b) => !BROKER.test(b) || Number(b.slice(b.lastIndexOf(':') + 1)) > 65535)
  if (bad !== undefined) throw new UsageError(`${flag} ${name}: '${bad}' is not HOST:PORT`)
  return { name, brokers }
}

/** A cluster's name given to `flag` (`--from dc1`). */
export function clusterName(flag: string, value: string): string {
  if (!CLUSTER_NAME.test(value)) throw new UsageError(`${flag}: '${value}' is not a cluster name (letters, digits, '_', '-')`)
  return value
}

/** A Kafka topic name given to `flag`, at most `maxLength` characters. */
export function topicName(flag: string, value: string, maxLength?: number): string {
  if (!isLegalTopicName(value, maxLength))
    throw new UsageError(`${flag}: '${value}' is not a Kafka topic name (letters, digits, '.', '_', '-')`)
  return value
}

/** A whole number from `min` to `max`; `what` it counts, for the message. */
export function wholeNumber(flag: string, value: string, min: number, max: number, what: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag}: expected ${what}, a whole number from ${min} to ${max}, got '${value}'`)
  }
  return n
}
