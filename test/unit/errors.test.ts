import kafkajs from 'kafkajs'
import { describe, expect, it, vi } from 'vitest'
import * as errors from '../../src/errors/index.js'
import {
  ActiveClusterMovedError,
  asAuthenticationError,
  asKafkaDRError,
  AuthenticationError,
  ClusterIdChangedError,
  KafkaClientError,
  SessionFencedError,
  UnsupportedOperationError,
  CodecError,
  FailoverError,
  GroupNotEmptyError,
  InvalidOptionError,
  KafkaDRError,
  MissingCheckpointError,
  NoActiveClusterError,
  NotConnectedError,
  SendFailedError,
  TimeoutError,
  TranslationRefusedError,
  UnknownClusterError,
} from '../../src/errors/index.js'

type ErrorsModule = typeof errors

/**
 * A second copy of the module, as when two versions of kafkajs-dr sit in one node_modules tree.
 * The errors live in several files: resetting the module registry makes vitest evaluate all of
 * them again (checked below), where a query string would copy the index alone.
 */
async function secondCopy(): Promise<ErrorsModule> {
  vi.resetModules()
  return await import('../../src/errors/index.js')
}

/** One instance of every error class, built by the given copy of the module. */
function oneOfEach(m: ErrorsModule): Record<string, errors.KafkaDRError> {
  return {
    KafkaDRError: new m.KafkaDRError('ERR_CODEC', 'root'),
    InvalidOptionError: new m.InvalidOptionError('a.b', 'bad a.b'),
    UnknownClusterError: new m.UnknownClusterError('dc9', ['dc1', 'dc2']),
    NoActiveClusterError: new m.NoActiveClusterError('none'),
    ClusterIdChangedError: new m.ClusterIdChangedError('dc1', 'id-a', 'id-b'),
    NotConnectedError: new m.NotConnectedError('FailoverProducer'),
    SendFailedError: new m.SendFailedError('failed', [new Error('one')]),
    FailoverError: new m.FailoverError('switch failed'),
    MissingCheckpointError: new m.MissingCheckpointError('none'),
    TranslationRefusedError: new m.TranslationRefusedError('LogAppendTime'),
    GroupNotEmptyError: new m.GroupNotEmptyError('members'),
    CodecError: new m.CodecError('truncated'),
    TimeoutError: new m.TimeoutError('slow'),
    DrainTimeoutError: new m.DrainTimeoutError('behind', 4000),
    KafkaClientError: new m.KafkaClientError('kafkajs failed'),
    ActiveClusterMovedError: new m.ActiveClusterMovedError('dc1', 'dc2'),
    SessionFencedError: new m.SessionFencedError('dc1'),
    UnsupportedOperationError: new m.UnsupportedOperationError('no transactions'),
    AuthenticationError: new m.AuthenticationError('dc1', 'sasl', 'refused'),
    DiscoveryPolicyError: new m.DiscoveryPolicyError('custom', 'decide', new Error('lookup failed')),
  }
}

const CODES: Record<string, errors.KafkaDRErrorCode> = {
  KafkaDRError: 'ERR_CODEC',
  InvalidOptionError: 'ERR_INVALID_OPTION',
  UnknownClusterError: 'ERR_UNKNOWN_CLUSTER',
  NoActiveClusterError: 'ERR_NO_ACTIVE_CLUSTER',
  ClusterIdChangedError: 'ERR_CLUSTER_ID_CHANGED',
  NotConnectedError: 'ERR_NOT_CONNECTED',
  SendFailedError: 'ERR_SEND_FAILED',
  FailoverError: 'ERR_FAILOVER_FAILED',
  MissingCheckpointError: 'ERR_MISSING_CHECKPOINT',
  TranslationRefusedError: 'ERR_TRANSLATION_REFUSED',
  GroupNotEmptyError: 'ERR_GROUP_NOT_EMPTY',
  CodecError: 'ERR_CODEC',
  TimeoutError: 'ERR_TIMEOUT',
  DrainTimeoutError: 'ERR_DRAIN_TIMEOUT',
  KafkaClientError: 'ERR_KAFKAJS',
  ActiveClusterMovedError: 'ERR_ACTIVE_CLUSTER_MOVED',
  SessionFencedError: 'ERR_SESSION_FENCED',
  UnsupportedOperationError: 'ERR_UNSUPPORTED',
  AuthenticationError: 'ERR_AUTHENTICATION_FAILED',
  DiscoveryPolicyError: 'ERR_DISCOVERY_POLICY',
}

const RETRIABLE_BY_DEFAULT = new Set([
  'NoActiveClusterError',
  'FailoverError',
  'GroupNotEmptyError',
  'TimeoutError',
  'ActiveClusterMovedError',
  'DrainTimeoutError',
  'DiscoveryPolicyError',
])

describe('error classes', () => {
  const all = oneOfEach(errors)

  it.each(Object.keys(all))('%s has its own name, its code and the default retriable flag', (name) => {
    const error = all[name]!
    expect(error.name).toBe(name)
    expect(error.code).toBe(CODES[name])
    expect(error.retriable).toBe(RETRIABLE_BY_DEFAULT.has(name))
    expect(error).toBeInstanceOf(Error)
    expect(error).toBeInstanceOf(KafkaDRError)
    expect(String(error)).toBe(`${name}: ${error.message}`)
    expect(error.stack).toMatch(new RegExp(`^${name}: `))
  })

  it('each subclass matches itself and no other subclass', () => {
    const classes = Object.fromEntries(
      Object.keys(all)
        .filter((n) => n !== 'KafkaDRError')
        .map((n) => [n, (errors as unknown as Record<string, Function>)[n]!]),
    )
    for (const [name, error] of Object.entries(all)) {
      for (const [className, cls] of Object.entries(classes)) {
        expect(error instanceof cls, `${name} instanceof ${className}`).toBe(name === className)
      }
    }
  })

  it('keeps cause and context', () => {
    const cause = new Error('broker down')
    const error = new KafkaDRError('ERR_SEND_FAILED', 'failed', {
      cause,
      retriable: true,
      cluster: 'dc1',
      topic: 'orders',
      partition: 0,
      group: 'g',
    })
    expect(error.cause).toBe(cause)
    expect(error.retriable).toBe(true)
    expect(error).toMatchObject({ cluster: 'dc1', topic: 'orders', partition: 0, group: 'g' })
  })

  it('has no cause and no context when none was given', () => {
    const error = new KafkaDRError('ERR_CODEC', 'bad')
    expect('cause' in error).toBe(false)
    expect([error.cluster, error.topic, error.partition, error.group]).toEqual([undefined, undefined, undefined, undefined])
  })

  it('leaves out context that was not given (no own undefined properties)', () => {
    const error = new KafkaDRError('ERR_CODEC', 'bad')
    for (const key of ['cluster', 'topic', 'partition', 'group']) expect(Object.hasOwn(error, key), key).toBe(false)
  })

  it('every error class a caller can meet is exported from the package entry point; the internal ones are not', async () => {
    // Signals between the library's own parts, or errors it catches itself: a caller that meets
    // one (among SendFailedError.errors, thrown into an eachBatch handler) tells it by its code.
    const internal = ['ActiveClusterMovedError', 'SessionFencedError', 'CodecError']
    const api = (await import('../../src/index.js')) as Record<string, unknown>
    for (const name of Object.keys(oneOfEach(errors))) {
      expect(api[name], name).toBe(internal.includes(name) ? undefined : (errors as Record<string, unknown>)[name])
    }
  })

  it("lets options override a class's default retriable flag", () => {
    expect(new TimeoutError('x', { retriable: false }).retriable).toBe(false)
    expect(new CodecError('x', { retriable: true }).retriable).toBe(true)
  })

  it('InvalidOptionError carries the path', () => {
    const error = new InvalidOptionError('clusters.dc2.priority', "Expected `clusters.dc2.priority` to be an integer, got 'high'")
    expect(error.path).toBe('clusters.dc2.priority')
    expect(error.message).toBe("Expected `clusters.dc2.priority` to be an integer, got 'high'")
  })

  it('UnknownClusterError names the cluster and the configured ones', () => {
    const error = new UnknownClusterError('dc9', ['dc1', 'dc2'])
    expect(error.cluster).toBe('dc9')
    expect(error.message).toBe("Unknown cluster 'dc9'; configured clusters: dc1, dc2")
  })

  it('ClusterIdChangedError carries both ids and the cluster', () => {
    const error = new ClusterIdChangedError('dc1', 'id-a', 'id-b')
    expect(error).toMatchObject({ cluster: 'dc1', expected: 'id-a', actual: 'id-b' })
    expect(error.message).toContain("'id-b'")
    expect(error.message).toContain("'id-a'")
  })

  it("SendFailedError keeps every attempt's error and takes the last as cause", () => {
    const attempts = [new Error('first'), new Error('second')]
    const error = new SendFailedError('gave up', attempts, { topic: 'orders' })
    expect(error.errors).toEqual(attempts)
    expect(error.cause).toBe(attempts[1])
    expect(error.topic).toBe('orders')
    const explicit = new Error('explicit')
    expect(new SendFailedError('gave up', attempts, { cause: explicit }).cause).toBe(explicit)
    expect(new SendFailedError('gave up', []).cause).toBeUndefined()
  })

  it('GroupNotEmptyError keeps the topics already committed (none by default)', () => {
    expect(new GroupNotEmptyError('busy', { group: 'g', committedTopics: ['a'] })).toMatchObject({ group: 'g', committedTopics: ['a'] })
    expect(new GroupNotEmptyError('busy').committedTopics).toEqual([])
  })

  it('NoActiveClusterError and FailoverError keep a cause', () => {
    const cause = new Error('x')
    expect(new NoActiveClusterError('none', { cause }).cause).toBe(cause)
    expect(new FailoverError('failed', { cause, cluster: 'dc2' })).toMatchObject({ cause, cluster: 'dc2' })
  })

  it('NotConnectedError tells what to do', () => {
    expect(new NotConnectedError('FailoverProducer').message).toBe('FailoverProducer is not connected; call connect() first')
  })

  it('a user subclass matches its own class and its ancestors', () => {
    class MyTimeout extends TimeoutError {}
    const error = new MyTimeout('x')
    expect(error).toBeInstanceOf(MyTimeout)
    expect(error).toBeInstanceOf(TimeoutError)
    expect(error).toBeInstanceOf(KafkaDRError)
    expect(error).not.toBeInstanceOf(CodecError)
    expect(new TimeoutError('x')).not.toBeInstanceOf(MyTimeout)
  })

  it('does not match errors that are not ours, nor primitives', () => {
    for (const value of [
      new Error('x'),
      Object.assign(new Error('x'), { name: 'TimeoutError', code: 'ERR_TIMEOUT' }),
      { code: 'ERR_TIMEOUT' },
      null,
      undefined,
      'TimeoutError',
      42,
    ]) {
      expect(value instanceof KafkaDRError).toBe(false)
      expect(value instanceof TimeoutError).toBe(false)
    }
  })
})

describe('instanceof across two copies of the package', () => {
  it('the second copy is a separate module instance', async () => {
    const other = await secondCopy()
    expect(other.KafkaDRError).not.toBe(KafkaDRError)
    expect(other.TimeoutError).not.toBe(TimeoutError)
    expect(Object.getPrototypeOf(new other.TimeoutError('x'))).not.toBe(TimeoutError.prototype)
  })

  it("an error of the other copy is an instance of this copy's root class and of its own class only", async () => {
    const other = await secondCopy()
    const theirs = oneOfEach(other)
    const classes: Record<string, Function> = {
      InvalidOptionError,
      UnknownClusterError,
      NoActiveClusterError,
      ClusterIdChangedError,
      NotConnectedError,
      SendFailedError,
      FailoverError,
      MissingCheckpointError,
      TranslationRefusedError,
      GroupNotEmptyError,
      CodecError,
      TimeoutError,
      KafkaClientError,
      ActiveClusterMovedError,
      SessionFencedError,
      UnsupportedOperationError,
      AuthenticationError,
    }
    for (const [name, error] of Object.entries(theirs)) {
      expect(error instanceof KafkaDRError, `${name} instanceof KafkaDRError`).toBe(true)
      for (const [className, cls] of Object.entries(classes)) {
        expect(error instanceof cls, `${name} instanceof ${className}`).toBe(name === className)
      }
    }
  })

  it('works the other way round too', async () => {
    const other = await secondCopy()
    const ours = new SendFailedError('failed', [])
    expect(ours).toBeInstanceOf(other.KafkaDRError)
    expect(ours).toBeInstanceOf(other.SendFailedError)
    expect(ours).not.toBeInstanceOf(other.TimeoutError)
  })

  it('keeps name, code, retriable, cause and context', async () => {
    const other = await secondCopy()
    const cause = new Error('slow broker')
    const error = new other.TimeoutError('send timed out', { cause, cluster: 'dc1', topic: 'orders', partition: 3 })
    expect(error).toBeInstanceOf(TimeoutError)
    expect(error).toMatchObject({
      name: 'TimeoutError',
      code: 'ERR_TIMEOUT',
      retriable: true,
      cause,
      cluster: 'dc1',
      topic: 'orders',
      partition: 3,
    })
  })

  it('does not depend on constructor names, which minifiers rename', async () => {
    const other = await secondCopy()
    // As a minifier would: every class of the other copy gets a one-letter name.
    const names = Object.keys(oneOfEach(other))
    names.forEach((name, i) =>
      Object.defineProperty((other as unknown as Record<string, Function>)[name]!, 'name', { value: String.fromCharCode(97 + i) }),
    )
    const theirs = oneOfEach(other)
    const ours = oneOfEach(errors)
    for (const name of names) {
      const theirClass = (other as unknown as Record<string, Function>)[name]!
      const ourClass = (errors as unknown as Record<string, Function>)[name]!
      for (const other of names) {
        expect(theirs[other]! instanceof ourClass, `their ${other} instanceof our ${name}`).toBe(other === name || name === 'KafkaDRError')
        expect(ours[other]! instanceof theirClass, `our ${other} instanceof their ${name}`).toBe(other === name || name === 'KafkaDRError')
      }
      expect(theirs[name]!.name).toBe(name)
    }
  })

  it('recognises the brand on an object built without either copy', () => {
    class TimeoutErrorLookalike {}
    const branded = Object.create(
      Object.assign(Object.create(TimeoutErrorLookalike.prototype), {
        [Symbol.for('kafkajs-dr.error')]: 'TimeoutError',
      }),
    ) as object
    expect(branded instanceof KafkaDRError).toBe(true)
    expect(branded instanceof TimeoutError).toBe(false)
  })
})

describe('asKafkaDRError', () => {
  it('passes a KafkaDRError on unchanged', () => {
    const error = new TimeoutError('slow', { cluster: 'dc1' })
    expect(asKafkaDRError(error, 'Doing it failed', { cluster: 'dc2' })).toBe(error)
  })

  it('wraps a kafkajs error as the cause of a KafkaClientError, keeping its retriable verdict', async () => {
    const kafkajs = (await import('kafkajs')).default
    const retriable = new kafkajs.KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:1')
    const wrapped = asKafkaDRError(retriable, "Committing offsets of 'g' on 'dc1' failed", { cluster: 'dc1', group: 'g' })
    expect(wrapped).toBeInstanceOf(KafkaClientError)
    expect(wrapped).toMatchObject({
      name: 'KafkaClientError',
      code: 'ERR_KAFKAJS',
      retriable: true,
      cause: retriable,
      cluster: 'dc1',
      group: 'g',
    })
    expect(wrapped.message).toBe("Committing offsets of 'g' on 'dc1' failed: connect ECONNREFUSED 127.0.0.1:1")
    const fatal = new kafkajs.KafkaJSNonRetriableError('Offset must not be a negative number')
    expect(asKafkaDRError(fatal, 'Seeking failed')).toMatchObject({ retriable: false, cause: fatal })
  })

  it('wraps anything else too', () => {
    expect(asKafkaDRError('boom', 'Doing it failed')).toMatchObject({
      code: 'ERR_KAFKAJS',
      message: 'Doing it failed: boom',
      cause: 'boom',
      retriable: false,
    })
    expect(asKafkaDRError(new TypeError('bad'), 'Doing it failed').cause).toBeInstanceOf(TypeError)
  })
})

// kafkajs' type declarations leave out these constructors' arguments.
const SaslError = kafkajs.KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error
const NonRetriable = kafkajs.KafkaJSNonRetriableError as unknown as new (error: Error, options: { cause: unknown }) => Error
const RetriesExceeded = kafkajs.KafkaJSNumberOfRetriesExceeded as unknown as new (
  error: Error,
  options: { retryCount: number; retryTime: number; cause: unknown },
) => Error

describe('AuthenticationError', () => {
  it('names the cluster and what failed, and is never retriable', () => {
    const cause = new Error('bad password')
    const error = new AuthenticationError('dc2', 'tls', 'untrusted', { cause })
    expect(error).toMatchObject({
      name: 'AuthenticationError',
      code: 'ERR_AUTHENTICATION_FAILED',
      cluster: 'dc2',
      kind: 'tls',
      retriable: false,
      cause,
    })
  })

  it('is what asKafkaDRError makes of a refused SASL login on a known cluster, however deep kafkajs wrapped it', async () => {
    const refused = new SaslError(
      'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
    )
    const wrapped = new NonRetriable(refused, { cause: refused })
    for (const error of [refused, wrapped, new KafkaClientError('x', { cause: wrapped })]) {
      const converted = asKafkaDRError(error, "Connecting the consumer of 'g' to 'dc1' failed", { cluster: 'dc1', group: 'g' })
      if (error instanceof KafkaDRError) {
        expect(converted).toBe(error)
        continue
      }
      expect(converted).toBeInstanceOf(AuthenticationError)
      expect(converted).toMatchObject({ cluster: 'dc1', kind: 'sasl', retriable: false, cause: error })
      expect(converted.message).toMatch(
        /^Connecting the consumer of 'g' to 'dc1' failed: cluster 'dc1' refused the SASL login .*invalid credentials/,
      )
    }
    // Without a cluster there is nothing to name: a KafkaClientError as before.
    expect(asKafkaDRError(refused, 'Doing it failed')).toBeInstanceOf(KafkaClientError)
  })

  it('is what asAuthenticationError makes of a connection error with a certificate verification code', async () => {
    const kafkajs = (await import('kafkajs')).default
    for (const code of [
      'SELF_SIGNED_CERT_IN_CHAIN',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'ERR_TLS_CERT_ALTNAME_INVALID',
      'CERT_HAS_EXPIRED',
      'ERR_SSL_WRONG_VERSION_NUMBER',
    ]) {
      const tls = new kafkajs.KafkaJSConnectionError('Connection error: unable to verify the first certificate', {
        broker: '127.0.0.1:19094',
        code,
      })
      const retried = new RetriesExceeded(tls, { retryCount: 0, retryTime: 100, cause: tls })
      const converted = asAuthenticationError(retried, 'dc2', "Health probe of 'dc2' failed")
      expect(converted, code).toBeInstanceOf(AuthenticationError)
      expect(converted).toMatchObject({ cluster: 'dc2', kind: 'tls', cause: retried })
      expect(converted!.message).toContain(`(${code})`)
      expect(converted!.message).toMatch(/^Health probe of 'dc2' failed: the TLS handshake with cluster 'dc2' failed/)
    }
  })

  it('leaves every other failure alone: a refused connection, a timeout, an authorization error', async () => {
    const kafkajs = (await import('kafkajs')).default
    const others: unknown[] = [
      new kafkajs.KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:1', { code: 'ECONNREFUSED' }),
      new kafkajs.KafkaJSRequestTimeoutError('Request Metadata(key: 3, version: 6) timed out'),
      Object.assign(new kafkajs.KafkaJSProtocolError('Not authorized to access topics: [Topic authorization failed]'), {
        type: 'TOPIC_AUTHORIZATION_FAILED',
      }),
      new TimeoutError('health probe timed out'),
      'boom',
      undefined,
    ]
    for (const error of others) expect(asAuthenticationError(error, 'dc1')).toBeUndefined()
    expect(asKafkaDRError(others[0], 'x', { cluster: 'dc1' })).toBeInstanceOf(KafkaClientError)
  })
})
