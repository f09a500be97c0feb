/**
 * Defaults and validation of {@link FailoverProducerConfig}: every option is checked when the
 * producer is created, and unknown keys are rejected with the nearest known name.
 *
 * @module
 */
import type { ICustomPartitioner, ProducerConfig, RetryOptions } from 'kafkajs'
import { FAILOVER_RETRY } from '../cluster/index.js'
import { definedOnly, expectMaxInFlightRequests, expectRetryOptions } from '../util/kafkajs-options.js'
import { expectBoolean, expectFunction, expectInt, expectObject, ifGiven, invalid, MAX_TIMER_MS } from '../util/validate.js'
import type { FailoverProducerConfig } from './types.js'

/**
 * kafkajs' `ProducerConfig` keys: passed to the producer created on each cluster.
 * `transactionalId` is recognized only to be refused with the reason (see {@link validateProducerConfig}).
 */
const KAFKAJS_KEYS = [
  'createPartitioner',
  'retry',
  'metadataMaxAge',
  'allowAutoTopicCreation',
  'idempotent',
  'transactionalId',
  'transactionTimeout',
  'maxInFlightRequests',
] as const satisfies ReadonlyArray<keyof ProducerConfig>

/** kafkajs-dr's own keys. */
const OWN_KEYS = ['deliveryTimeoutMs', 'attemptTimeoutMs', 'maxAttempts', 'teardownTimeoutMs'] as const satisfies ReadonlyArray<
  keyof FailoverProducerConfig
>

const KEYS: readonly string[] = [...KAFKAJS_KEYS, ...OWN_KEYS]

// The build fails when an option is added to the config type but not to the lists above (it
// would otherwise be rejected as unknown at run time): the default must satisfy `never`.
type Unlisted = Exclude<keyof FailoverProducerConfig, (typeof KAFKAJS_KEYS)[number] | (typeof OWN_KEYS)[number]>
type _EveryOptionListed<Missing extends never = Unlisted> = Missing // underscored: only the compiler reads it

/** A {@link FailoverProducerConfig} after defaults and validation. */
export interface ValidProducerOptions {
  /**
   * What to pass to kafkajs' `kafka.producer()` on each cluster: only kafkajs' keys, only those
   * given (kafkajs applies its own defaults to the rest), except `retry`, which defaults to
   * kafkajs-dr's short in-cluster retry so that a dead cluster is noticed fast.
   */
  kafkajs: ProducerConfig & { retry: RetryOptions }
  /**
   * A send rejects when no cluster acknowledged it within this time, in ms.
   *
   * @default 30000
   */
  deliveryTimeoutMs: number
  /**
   * One attempt on one cluster is abandoned after this long, in ms.
   *
   * @default 10000
   */
  attemptTimeoutMs: number
  /**
   * Most attempts per send, across clusters. An attempt that fails on a cluster the health probes
   * hold down is not counted: while no cluster can take the send, it keeps trying (about once a
   * second) until `deliveryTimeoutMs`, so that a cluster that returns in time still takes it.
   *
   * @default 20
   */
  maxAttempts: number
  /**
   * Bound on `disconnect()`, in ms: sends still in flight then reject, and each cluster's producer
   * is left to disconnect in the background.
   *
   * @default 3000
   */
  teardownTimeoutMs: number
}

/**
 * Validates a failover producer's config and fills in the defaults. Every option is checked:
 * types and ranges; an idempotent producer must keep kafkajs' retries (kafkajs refuses
 * `retries: 0` then); `transactionalId` is refused, because a transaction cannot span clusters.
 * Unknown keys are rejected with the nearest known name. Paths in messages start with
 * `producer.`.
 *
 * `transactionTimeout` is accepted and passed on, as kafkajs does, though it has no effect
 * without a `transactionalId`.
 *
 * @param config - the producer's config, as given to `MultiClusterKafka.producer()`
 * @returns the options with defaults applied; `kafkajs` is ready for `kafka.producer()`
 * @throws `InvalidOptionError` naming the option's path and the fix
 * @example
 * ```ts
 * const options = validateProducerConfig({ idempotent: true, deliveryTimeoutMs: 60_000 })
 * options.kafkajs.retry // { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 }
 * ```
 */
export function validateProducerConfig(config: unknown): ValidProducerOptions {
  const c = expectObject(config, 'producer', KEYS)
  if (c.transactionalId !== undefined) {
    invalid(
      'producer.transactionalId',
      'absent',
      c.transactionalId,
      "a transaction cannot span clusters, so FailoverProducer does not support transactions; use the cluster's own kafkajs producer for transactional work",
    )
  }
  const retry = expectRetryOptions(c.retry, 'producer.retry') ?? FAILOVER_RETRY
  const idempotent = ifGiven(c.idempotent, (v) => expectBoolean(v, 'producer.idempotent', false))
  // kafkajs throws this itself, but as a plain kafkajs error from deep inside kafka.producer().
  if (idempotent === true && retry.retries !== undefined && retry.retries < 1) {
    invalid(
      'producer.retry.retries',
      'at least 1 for an idempotent producer',
      retry.retries,
      'kafkajs refuses an idempotent producer without retries',
    )
  }
  const given: Partial<ProducerConfig> = {
    createPartitioner: expectFunction<ICustomPartitioner>(c.createPartitioner, 'producer.createPartitioner'),
    metadataMaxAge: ifGiven(c.metadataMaxAge, (v) => expectInt(v, 'producer.metadataMaxAge', 0, { min: 0 })),
    allowAutoTopicCreation: ifGiven(c.allowAutoTopicCreation, (v) => expectBoolean(v, 'producer.allowAutoTopicCreation', true)),
    idempotent,
    transactionTimeout: ifGiven(c.transactionTimeout, (v) => expectInt(v, 'producer.transactionTimeout', 0, { min: 1 })),
    maxInFlightRequests: expectMaxInFlightRequests(c.maxInFlightRequests, 'producer.maxInFlightRequests'),
  }
  return {
    kafkajs: { ...definedOnly(given), retry },
    deliveryTimeoutMs: expectInt(c.deliveryTimeoutMs, 'producer.deliveryTimeoutMs', 30_000, { min: 1, max: MAX_TIMER_MS }),
    attemptTimeoutMs: expectInt(c.attemptTimeoutMs, 'producer.attemptTimeoutMs', 10_000, { min: 1, max: MAX_TIMER_MS }),
    maxAttempts: expectInt(c.maxAttempts, 'producer.maxAttempts', 20, { min: 1 }),
    teardownTimeoutMs: expectInt(c.teardownTimeoutMs, 'producer.teardownTimeoutMs', 3000, { min: 1, max: MAX_TIMER_MS }),
  }
}
