import { createRequire } from 'node:module'
import kafkajs from 'kafkajs'
import { describe, expect, it } from 'vitest'
import {
  FailoverError,
  InvalidOptionError,
  KafkaDRError,
  NoActiveClusterError,
  SendFailedError,
  TimeoutError,
} from '../../../src/errors/index.js'
import { isClusterFailure, isRetriable } from '../../../src/producer/retriable.js'

// kafkajs' own retrier, to wrap errors exactly the way kafkajs does when its retries give up.
type Retrier = (options: { retries: number; initialRetryTime: number }) => (fn: () => Promise<unknown>) => Promise<unknown>
const kafkajsRetry = createRequire(import.meta.url)('kafkajs/src/retry') as Retrier

/** What a kafkajs call that throws `error` finally rejects with, after kafkajs' retries. */
async function wrappedByKafkajs(error: Error): Promise<Error> {
  return kafkajsRetry({ retries: 0, initialRetryTime: 1 })(async () => {
    throw error
  }).then(
    () => {
      throw new Error('expected a rejection')
    },
    (e: unknown) => e as Error,
  )
}

// The kafkajs type definitions leave out arguments that the constructors take (the message of
// the argument-less ones, the `cause` option).
type ErrorClass = new (e: Error | string, options?: object) => Error
const construct = (cls: unknown, ...args: [Error | string, object?]): Error => new (cls as ErrorClass)(...args)
const NonRetriable = kafkajs.KafkaJSNonRetriableError as unknown as new (e: Error | string, options?: { cause?: unknown }) => Error
const messageTooLarge = (): Error =>
  new kafkajs.KafkaJSProtocolError({
    message: 'The request included a message larger than the max message size the server will accept',
    type: 'MESSAGE_TOO_LARGE',
    code: 10,
    retriable: false,
  } as unknown as Error)

describe('isClusterFailure', () => {
  it.each([
    ['KafkaJSConnectionError', () => new kafkajs.KafkaJSConnectionError('Connection error: ECONNREFUSED')],
    [
      'KafkaJSConnectionClosedError',
      () =>
        construct((kafkajs as unknown as Record<string, unknown>).KafkaJSConnectionClosedError, 'Closed connection', {
          host: 'h',
          port: 1,
        }),
    ],
    ['KafkaJSRequestTimeoutError', () => new kafkajs.KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out')],
    ['KafkaJSNumberOfRetriesExceeded', () => new kafkajs.KafkaJSNumberOfRetriesExceeded(new Error('x'), { retryCount: 2, retryTime: 400 })],
    ['KafkaJSBrokerNotFound', () => construct(kafkajs.KafkaJSBrokerNotFound, 'Broker 1 not found in the cached metadata')],
    ['KafkaJSMetadataNotLoaded', () => construct(kafkajs.KafkaJSMetadataNotLoaded, 'Cluster metadata not loaded')],
    ['KafkaJSTopicMetadataNotLoaded', () => new kafkajs.KafkaJSTopicMetadataNotLoaded('x')],
    ['KafkaJSLockTimeout', () => construct(kafkajs.KafkaJSLockTimeout, 'Timeout while acquiring lock')],
    ['KafkaJSStaleTopicMetadataAssignment', () => new kafkajs.KafkaJSStaleTopicMetadataAssignment('x')],
  ])('is true for %s', (name, make) => {
    const error = make()
    expect(error.name).toBe(name)
    expect(isClusterFailure(error)).toBe(true)
  })

  it('is true for a KafkaJSNonRetriableError whose cause is a connection error', () => {
    const cause = new kafkajs.KafkaJSConnectionError('Connection error: ECONNREFUSED')
    expect(isClusterFailure(new NonRetriable(cause, { cause }))).toBe(true)
  })

  it("is true for a connection error after kafkajs' retries gave up", async () => {
    const error = await wrappedByKafkajs(new kafkajs.KafkaJSConnectionError('Connection error: ECONNREFUSED'))
    expect(error.name).toBe('KafkaJSNumberOfRetriesExceeded')
    expect(isClusterFailure(error)).toBe(true)
  })

  it('finds a cluster failure behind several wrappers, by `cause` or `originalError`', () => {
    const root = new kafkajs.KafkaJSRequestTimeoutError('timed out')
    const middle = Object.assign(new Error('middle'), { originalError: root })
    const outer = new Error('outer', { cause: middle })
    expect(isClusterFailure(outer)).toBe(true)
  })

  it('is true for our TimeoutError, also when kafkajs wrapped it', () => {
    const timeout = new TimeoutError("send to 'dc1' did not finish within 10 ms", { cluster: 'dc1' })
    expect(isClusterFailure(timeout)).toBe(true)
    expect(isClusterFailure(new NonRetriable(timeout, { cause: timeout }))).toBe(true)
  })

  it('looks through our own errors at their cause', () => {
    const cause = new kafkajs.KafkaJSConnectionError('Connection error')
    expect(isClusterFailure(new FailoverError('switch failed', { cause }))).toBe(true)
    expect(isClusterFailure(new FailoverError('switch failed'))).toBe(false)
  })

  it('is false for a protocol error about the record (message too large)', () => {
    expect(isClusterFailure(messageTooLarge())).toBe(false)
  })

  it('is false for a message-too-large error after kafkajs wrapped it as non-retriable', async () => {
    const error = await wrappedByKafkajs(messageTooLarge())
    expect(error.name).toBe('KafkaJSNonRetriableError')
    expect(isClusterFailure(error)).toBe(false)
  })

  it('is false for plain errors, our non-timeout errors and non-errors', () => {
    expect(isClusterFailure(new TypeError('x is not a function'))).toBe(false)
    expect(isClusterFailure(new Error('Connection error'))).toBe(false)
    expect(isClusterFailure(new InvalidOptionError('a', 'bad'))).toBe(false)
    expect(isClusterFailure(undefined)).toBe(false)
    expect(isClusterFailure(null)).toBe(false)
    expect(isClusterFailure('KafkaJSConnectionError')).toBe(false)
  })

  it('stops on a cause cycle', () => {
    const a: Error & { cause?: unknown } = new Error('a')
    const b = new Error('b', { cause: a })
    a.cause = b
    expect(isClusterFailure(a)).toBe(false)
    const self: Error & { cause?: unknown } = new Error('self')
    self.cause = self
    expect(isClusterFailure(self)).toBe(false)
  })

  it('searches at most five levels deep', () => {
    let error: Error = new kafkajs.KafkaJSConnectionError('deep')
    for (let i = 0; i < 4; i++) error = new Error(`wrapper ${i}`, { cause: error })
    expect(isClusterFailure(error)).toBe(true) // the failure is the fifth in the chain
    expect(isClusterFailure(new Error('one more', { cause: error }))).toBe(false)
  })
})

describe('isRetriable', () => {
  it('is true for connection errors, also when kafkajs wrapped them as non-retriable', () => {
    const cause = new kafkajs.KafkaJSConnectionError('x')
    expect(isRetriable(cause)).toBe(true)
    expect(isRetriable(new NonRetriable(cause, { cause }))).toBe(true)
  })

  it("is true for a connection error after kafkajs' retries gave up", async () => {
    expect(isRetriable(await wrappedByKafkajs(new kafkajs.KafkaJSConnectionError('x')))).toBe(true)
  })

  it('is false for a non-retriable protocol error such as message too large', async () => {
    expect(isRetriable(messageTooLarge())).toBe(false)
    expect(isRetriable(await wrappedByKafkajs(messageTooLarge()))).toBe(false)
  })

  it('is true for a retriable protocol error (e.g. leader not available)', () => {
    const error = new kafkajs.KafkaJSProtocolError({
      message: 'There is no leader for this topic-partition',
      type: 'LEADER_NOT_AVAILABLE',
      code: 5,
      retriable: true,
    } as unknown as Error)
    expect(isRetriable(error)).toBe(true)
  })

  it("is true for a leadership election that outlasted kafkajs' metadata retries inside a send", async () => {
    // A send's retrier refreshes metadata after a retriable error; the refresh's own retrier gives
    // up (NumberOfRetriesExceeded), and the send's retrier wraps that as non-retriable.
    const election = new kafkajs.KafkaJSProtocolError({
      message: 'There is no leader for this topic-partition as we are in the middle of a leadership election',
      type: 'LEADER_NOT_AVAILABLE',
      code: 5,
      retriable: true,
    } as unknown as Error)
    const refresh = await wrappedByKafkajs(election)
    const error = await wrappedByKafkajs(refresh)
    expect(error.name).toBe('KafkaJSNonRetriableError')
    expect(isClusterFailure(error)).toBe(false)
    expect(isRetriable(error)).toBe(true)
  })

  it('is true for our TimeoutError and other retriable errors of ours', () => {
    expect(isRetriable(new TimeoutError('x'))).toBe(true)
    expect(isRetriable(new NoActiveClusterError('x'))).toBe(true)
    expect(isRetriable(new FailoverError('x'))).toBe(true)
  })

  it("follows our errors' own flag, even over a retriable cause", () => {
    expect(isRetriable(new InvalidOptionError('a', 'bad'))).toBe(false)
    const cause = new kafkajs.KafkaJSConnectionError('x')
    expect(isRetriable(new SendFailedError('gave up', [cause], { retriable: false }))).toBe(false)
    expect(isRetriable(new KafkaDRError('ERR_CODEC', 'bad bytes', { cause }))).toBe(false)
  })

  it('is false for a plain TypeError, also after kafkajs wrapped it', async () => {
    expect(isRetriable(new TypeError('x is not a function'))).toBe(false)
    expect(isRetriable(await wrappedByKafkajs(new TypeError('x is not a function')))).toBe(false)
  })

  it('honours a `retriable: true` flag on other errors', () => {
    expect(isRetriable(Object.assign(new Error('x'), { retriable: true }))).toBe(true)
    expect(isRetriable(Object.assign(new Error('x'), { retriable: 'yes' }))).toBe(false)
  })

  it('is false for non-errors', () => {
    expect(isRetriable(undefined)).toBe(false)
    expect(isRetriable(null)).toBe(false)
    expect(isRetriable('timeout')).toBe(false)
  })
})
