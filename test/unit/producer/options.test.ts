import kafkajs from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { FAILOVER_RETRY } from '../../../src/cluster/index.js'
import { InvalidOptionError } from '../../../src/errors/index.js'
import { validateProducerConfig } from '../../../src/producer/options.js'

/** The InvalidOptionError validateProducerConfig throws for `config`. */
function rejection(config: unknown): InvalidOptionError {
  try {
    validateProducerConfig(config)
  } catch (error) {
    if (error instanceof InvalidOptionError) return error
    throw error
  }
  throw new Error('validateProducerConfig accepted the config')
}

describe('validateProducerConfig: defaults', () => {
  it('fills in every default; kafkajs gets only the short failover retry', () => {
    expect(validateProducerConfig({})).toEqual({
      kafkajs: { retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 } },
      deliveryTimeoutMs: 30_000,
      attemptTimeoutMs: 10_000,
      maxAttempts: 20,
      teardownTimeoutMs: 3000,
    })
    expect(validateProducerConfig({}).kafkajs.retry).toEqual(FAILOVER_RETRY)
  })
})

describe('validateProducerConfig: values given', () => {
  it('keeps every value, kafkajs options in `kafkajs` and kafkajs-dr options outside it', () => {
    const createPartitioner = kafkajs.Partitioners.DefaultPartitioner
    const config = {
      createPartitioner,
      retry: { retries: 1, initialRetryTime: 10, maxRetryTime: 100, factor: 1, multiplier: 1 },
      metadataMaxAge: 0,
      allowAutoTopicCreation: false,
      idempotent: true,
      transactionTimeout: 60_000,
      maxInFlightRequests: 1,
      deliveryTimeoutMs: 1,
      attemptTimeoutMs: 2_147_483_647,
      maxAttempts: 1,
      teardownTimeoutMs: 1500,
    }
    const { deliveryTimeoutMs, attemptTimeoutMs, maxAttempts, teardownTimeoutMs, ...kafkajsConfig } = config
    expect(validateProducerConfig(config)).toEqual({
      kafkajs: kafkajsConfig,
      deliveryTimeoutMs,
      attemptTimeoutMs,
      maxAttempts,
      teardownTimeoutMs,
    })
  })

  it('passes a retry given as it is, instead of the failover retry', () => {
    expect(validateProducerConfig({ retry: { retries: 7 } }).kafkajs.retry).toEqual({ retries: 7 })
  })

  it("accepts an idempotent producer with kafkajs' default retries or the failover retry", () => {
    expect(validateProducerConfig({ idempotent: true, retry: { maxRetryTime: 100 } }).kafkajs.idempotent).toBe(true)
    expect(validateProducerConfig({ idempotent: true }).kafkajs.retry.retries).toBe(2)
  })

  it('treats maxInFlightRequests null as kafkajs does (no limit) and leaves it out', () => {
    expect(validateProducerConfig({ maxInFlightRequests: null }).kafkajs).toEqual({ retry: FAILOVER_RETRY })
  })
})

describe('validateProducerConfig: unknown options', () => {
  it.each([
    ['an own option', { deliveryTimeout: 1000 }, 'producer.deliveryTimeout', 'deliveryTimeoutMs'],
    ['a kafkajs option', { idempotant: true }, 'producer.idempotant', 'idempotent'],
    ['a kafkajs option in another case', { maxInflightRequests: 1 }, 'producer.maxInflightRequests', 'maxInFlightRequests'],
    ['a retry option', { retry: { maxRetryTimeMs: 100 } }, 'producer.retry.maxRetryTimeMs', 'maxRetryTime'],
  ])('suggests the nearest name for %s', (_what, config, path, suggestion) => {
    const error = rejection(config)
    expect(error.path).toBe(path)
    expect(error.message).toBe(`Unknown option \`${path}\`; did you mean \`${suggestion}\`?`)
  })

  it('lists every known option when none is close', () => {
    expect(rejection({ acks: -1 }).message).toBe(
      'Unknown option `producer.acks`; known options of `producer` are: createPartitioner, retry, ' +
        'metadataMaxAge, allowAutoTopicCreation, idempotent, transactionalId, transactionTimeout, maxInFlightRequests, deliveryTimeoutMs, attemptTimeoutMs, maxAttempts, teardownTimeoutMs',
    )
  })
})

describe('validateProducerConfig: rejected values', () => {
  it.each([
    ['a config that is not an object', null, 'producer', 'Expected `producer` to be an object, got null'],
    [
      'a transactionalId',
      { transactionalId: 'tx-1' },
      'producer.transactionalId',
      "Expected `producer.transactionalId` to be absent, got 'tx-1'; a transaction cannot span clusters, so FailoverProducer does not support transactions; " +
        "use the cluster's own kafkajs producer for transactional work",
    ],
    [
      'an idempotent producer without retries',
      { idempotent: true, retry: { retries: 0 } },
      'producer.retry.retries',
      'Expected `producer.retry.retries` to be at least 1 for an idempotent producer, got 0; kafkajs refuses an idempotent producer without retries',
    ],
    ['a non-boolean idempotent', { idempotent: 'yes' }, 'producer.idempotent', "Expected `producer.idempotent` to be a boolean, got 'yes'"],
    [
      'a partitioner that is not a function',
      { createPartitioner: 'default' },
      'producer.createPartitioner',
      "Expected `producer.createPartitioner` to be a function, got 'default'",
    ],
    [
      'a negative metadataMaxAge',
      { metadataMaxAge: -1 },
      'producer.metadataMaxAge',
      'Expected `producer.metadataMaxAge` to be an integer ≥ 0, got -1',
    ],
    [
      'a non-boolean allowAutoTopicCreation',
      { allowAutoTopicCreation: 'false' },
      'producer.allowAutoTopicCreation',
      "Expected `producer.allowAutoTopicCreation` to be a boolean, got 'false'",
    ],
    [
      'a transactionTimeout of 0',
      { transactionTimeout: 0 },
      'producer.transactionTimeout',
      'Expected `producer.transactionTimeout` to be an integer ≥ 1, got 0',
    ],
    [
      'a maxInFlightRequests of 0',
      { maxInFlightRequests: 0 },
      'producer.maxInFlightRequests',
      'Expected `producer.maxInFlightRequests` to be an integer ≥ 1, or null for no limit, got 0; with 0 kafkajs would never send a request',
    ],
    [
      'a fractional maxInFlightRequests',
      { maxInFlightRequests: 1.5 },
      'producer.maxInFlightRequests',
      'Expected `producer.maxInFlightRequests` to be an integer ≥ 1, or null for no limit, got 1.5',
    ],
    ['a retry of the wrong type', { retry: [] }, 'producer.retry', 'Expected `producer.retry` to be an object, got an array'],
    [
      'a negative retry factor',
      { retry: { factor: -0.1 } },
      'producer.retry.factor',
      'Expected `producer.retry.factor` to be a number ≥ 0, got -0.1',
    ],
    [
      'a deliveryTimeoutMs of 0',
      { deliveryTimeoutMs: 0 },
      'producer.deliveryTimeoutMs',
      'Expected `producer.deliveryTimeoutMs` to be an integer ≥ 1, got 0',
    ],
    [
      'a deliveryTimeoutMs given as a string',
      { deliveryTimeoutMs: '30s' },
      'producer.deliveryTimeoutMs',
      "Expected `producer.deliveryTimeoutMs` to be an integer, got '30s'",
    ],
    [
      'an attemptTimeoutMs Node would turn into 1 ms',
      { attemptTimeoutMs: 2 ** 31 },
      'producer.attemptTimeoutMs',
      'Expected `producer.attemptTimeoutMs` to be an integer ≤ 2147483647, got 2147483648',
    ],
    ['a maxAttempts of 0', { maxAttempts: 0 }, 'producer.maxAttempts', 'Expected `producer.maxAttempts` to be an integer ≥ 1, got 0'],
  ])('rejects %s', (_what, config, path, message) => {
    const error = rejection(config)
    expect(error.path).toBe(path)
    expect(error.message).toBe(message)
  })
})
