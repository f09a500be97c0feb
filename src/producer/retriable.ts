/**
 * Which errors are worth another attempt, possibly on another cluster. A cluster that is down,
 * hung or moving leadership is; a record the broker rejects (too large, not authorised, invalid)
 * is not: another cluster would reject it too.
 */
import { KafkaDRError } from '../errors/index.js'
import { causeChain } from '../errors/cause-chain.js'

/** kafkajs errors that mean "this cluster could not take the request now". */
const CLUSTER_FAILURES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSLockTimeout',
  'KafkaJSStaleTopicMetadataAssignment',
])

/**
 * Whether `error` says the cluster (not the record) failed: worth probing the cluster now. kafkajs
 * wraps the real cause when its own retries give up (`KafkaJSNonRetriableError` with `cause`,
 * `KafkaJSNumberOfRetriesExceeded` with `originalError`), so the chain is searched.
 */
export function isClusterFailure(error: unknown): boolean {
  return causeChain(error).some((current) => {
    if (current instanceof KafkaDRError) return current.code === 'ERR_TIMEOUT'
    const name = (current as { name?: unknown }).name
    return typeof name === 'string' && CLUSTER_FAILURES.has(name)
  })
}

/**
 * Whether another attempt (on the same or another cluster) may succeed. A kafkajs wrapper counts
 * by what it wraps: when a metadata refresh inside a send gives up on a leadership election,
 * kafkajs reports a `KafkaJSNonRetriableError` whose cause is the retriable `LEADER_NOT_AVAILABLE`.
 */
export function isRetriable(error: unknown): boolean {
  if (error instanceof KafkaDRError) return error.retriable
  if (isClusterFailure(error)) return true
  return causeChain(error).some(
    (current) => !(current instanceof KafkaDRError) && (current as { retriable?: unknown } | null)?.retriable === true,
  )
}
