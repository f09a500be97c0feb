/**
 * The kafkajs part of a consumer's options, checked when the consumer is created: kafkajs checks
 * some of them only in `kafka.consumer()`, which the failover consumer calls on every switch.
 *
 * @module
 */
import type { ConsumerConfig, PartitionAssigner } from 'kafkajs'
import { definedOnly, expectMaxInFlightRequests, expectRetryOptions } from '../util/kafkajs-options.js'
import { expectBoolean, expectInt, expectList, expectString, ifGiven, invalid } from '../util/validate.js'

/** kafkajs' `ConsumerConfig` keys: passed to the consumer created on each cluster. */
export const KAFKAJS_KEYS = [
  'groupId',
  'partitionAssigners',
  'metadataMaxAge',
  'sessionTimeout',
  'rebalanceTimeout',
  'heartbeatInterval',
  'maxBytesPerPartition',
  'minBytes',
  'maxBytes',
  'maxWaitTimeInMs',
  'retry',
  'allowAutoTopicCreation',
  'maxInFlightRequests',
  'readUncommitted',
  'rackId',
] as const satisfies ReadonlyArray<keyof ConsumerConfig>

// kafkajs' own defaults, needed to check heartbeatInterval < sessionTimeout when only one is given.
export const KAFKAJS_SESSION_TIMEOUT_MS = 30_000
const KAFKAJS_HEARTBEAT_INTERVAL = 3_000

/** The kafkajs part of the config, checked; only the options given, plus `allowAutoTopicCreation`. */
export function kafkajsConfig(c: Record<string, unknown>, groupId: string): ConsumerConfig {
  const int =
    (key: string, min: number) =>
    (v: unknown): number =>
      expectInt(v, `consumer.${key}`, 0, { min })
  const given: Partial<ConsumerConfig> = {
    partitionAssigners: ifGiven(c.partitionAssigners, expectAssigners),
    metadataMaxAge: ifGiven(c.metadataMaxAge, int('metadataMaxAge', 0)),
    sessionTimeout: ifGiven(c.sessionTimeout, int('sessionTimeout', 1)),
    rebalanceTimeout: ifGiven(c.rebalanceTimeout, int('rebalanceTimeout', 1)),
    heartbeatInterval: ifGiven(c.heartbeatInterval, int('heartbeatInterval', 1)),
    maxBytesPerPartition: ifGiven(c.maxBytesPerPartition, int('maxBytesPerPartition', 1)),
    minBytes: ifGiven(c.minBytes, int('minBytes', 0)),
    maxBytes: ifGiven(c.maxBytes, int('maxBytes', 1)),
    maxWaitTimeInMs: ifGiven(c.maxWaitTimeInMs, int('maxWaitTimeInMs', 0)),
    retry: expectRetryOptions(c.retry, 'consumer.retry'),
    maxInFlightRequests: expectMaxInFlightRequests(c.maxInFlightRequests, 'consumer.maxInFlightRequests'),
    readUncommitted: ifGiven(c.readUncommitted, (v) => expectBoolean(v, 'consumer.readUncommitted', false)),
    rackId: ifGiven(c.rackId, (v) => expectString(v, 'consumer.rackId')),
  }
  expectHeartbeatBelowSession(given.heartbeatInterval, given.sessionTimeout)
  return {
    groupId,
    allowAutoTopicCreation: expectBoolean(c.allowAutoTopicCreation, 'consumer.allowAutoTopicCreation', false),
    ...definedOnly(given),
  }
}

function expectAssigners(value: unknown): PartitionAssigner[] {
  const path = 'consumer.partitionAssigners'
  const list = expectList(value, path, 'kafkajs partition assigners', { nonEmpty: true })
  list.forEach((a, i) => {
    if (typeof a !== 'function')
      invalid(`${path}[${i}]`, 'a kafkajs PartitionAssigner (a function)', a, 'e.g. PartitionAssigners.roundRobin')
  })
  return list as PartitionAssigner[]
}

/**
 * kafkajs throws when `heartbeatInterval` ≥ `sessionTimeout`, but only in `kafka.consumer()`:
 * the failover consumer calls that on every switch, so the check is made here, with kafkajs'
 * defaults for the one not given.
 */
function expectHeartbeatBelowSession(heartbeatInterval: number | undefined, sessionTimeout: number | undefined): void {
  const heartbeat = heartbeatInterval ?? KAFKAJS_HEARTBEAT_INTERVAL
  const session = sessionTimeout ?? KAFKAJS_SESSION_TIMEOUT_MS
  if (heartbeat < session) return
  const fix = 'about a third of sessionTimeout is usual'
  if (heartbeatInterval !== undefined) {
    invalid(
      'consumer.heartbeatInterval',
      `lower than \`consumer.sessionTimeout\` (${session}${sessionTimeout === undefined ? ", kafkajs' default" : ''})`,
      heartbeatInterval,
      fix,
    )
  }
  invalid('consumer.sessionTimeout', `higher than \`consumer.heartbeatInterval\` (${heartbeat}, kafkajs' default)`, sessionTimeout, fix)
}
