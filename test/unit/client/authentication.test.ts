/**
 * A cluster that refuses the client (a wrong SASL password, a broker certificate the client does
 * not trust) is reported as such: an AuthenticationError as the probe's error, in `cluster:down`,
 * in `status()`, and `connect()` rejects with it at once when every cluster refuses. Fake kafkajs
 * instances whose admin fails the way kafkajs does; the real thing runs in
 * test/integration/security.test.ts.
 */
import kafkajs, { type Kafka } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { MultiClusterKafka } from '../../../src/client/multi-cluster-kafka.js'
import { AuthenticationError, NoActiveClusterError, type KafkaDRError } from '../../../src/errors/index.js'

// kafkajs' type declarations leave out these constructors' arguments.
const SaslError = kafkajs.KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error
const NonRetriable = kafkajs.KafkaJSNonRetriableError as unknown as new (error: Error, options: { cause: unknown }) => Error
const RetriesExceeded = kafkajs.KafkaJSNumberOfRetriesExceeded as unknown as new (
  error: Error,
  options: { retryCount: number; retryTime: number; cause: unknown },
) => Error

/** A kafkajs instance whose admin cannot connect: it fails with `error()`. */
function refusing(error: () => Error): Kafka {
  const admin = {
    connect: async () => {
      throw error()
    },
    disconnect: async () => {},
    describeCluster: async () => {
      throw error()
    },
  }
  return {
    admin: () => admin,
    producer: () => {
      throw new Error('unused')
    },
    consumer: () => {
      throw new Error('unused')
    },
  } as unknown as Kafka
}

const badPassword = (): Error => {
  const sasl = new SaslError(
    'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
  )
  return new NonRetriable(sasl, { cause: sasl })
}
const untrusted = (): Error => {
  const tls = new kafkajs.KafkaJSConnectionError('Connection error: self-signed certificate in certificate chain', {
    broker: '127.0.0.1:19094',
    code: 'SELF_SIGNED_CERT_IN_CHAIN',
  })
  return new RetriesExceeded(tls, { retryCount: 0, retryTime: 100, cause: tls })
}
const refusedConnection = (): Error => new kafkajs.KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:1', { code: 'ECONNREFUSED' })

describe('a cluster that refuses the client', () => {
  it('connect() rejects at once with an AuthenticationError when every cluster refuses; events and status say why', async () => {
    const dr = new MultiClusterKafka({
      clusters: { dc1: { kafka: refusing(badPassword), priority: 1 }, dc2: { kafka: refusing(untrusted), priority: 2 } },
      connectTimeoutMs: 20_000,
    })
    const down: Array<{ cluster: string; error: KafkaDRError | undefined }> = []
    dr.on('cluster:down', (e) => down.push(e))
    const started = Date.now()
    const error = await dr.connect().catch((e: unknown) => e)
    expect(Date.now() - started).toBeLessThan(5000)
    expect(error).toBeInstanceOf(AuthenticationError)
    expect(error).toMatchObject({ code: 'ERR_AUTHENTICATION_FAILED', cluster: 'dc1', kind: 'sasl', retriable: false })
    expect((error as Error).message).toMatch(
      /Every cluster refused the client: .*cluster 'dc1' refused the SASL login.*; .*the TLS handshake with cluster 'dc2' failed.*SELF_SIGNED_CERT_IN_CHAIN/,
    )
    expect(down.map((e) => [e.cluster, e.error?.name, (e.error as AuthenticationError | undefined)?.kind])).toEqual([
      ['dc1', 'AuthenticationError', 'sasl'],
      ['dc2', 'AuthenticationError', 'tls'],
    ])
    const status = dr.status()
    expect(status.clusters.map((c) => [c.name, c.health])).toEqual([
      ['dc1', 'down'],
      ['dc2', 'down'],
    ])
    expect(status.clusters[0]!.lastError).toMatch(/refused the SASL login/)
    expect(status.clusters[1]!.lastError).toMatch(/TLS handshake with cluster 'dc2' failed/)
    await dr.disconnect()
  })

  it('one cluster refusing, the other unreachable: connect() waits for either and then names both causes', async () => {
    const dr = new MultiClusterKafka({
      clusters: { dc1: { kafka: refusing(badPassword), priority: 1 }, dc2: { kafka: refusing(refusedConnection), priority: 2 } },
      connectTimeoutMs: 1000,
    })
    const error = await dr.connect().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NoActiveClusterError)
    expect((error as Error).message).toMatch(/dc1: down \(.*refused the SASL login.*\); dc2: down \(.*ECONNREFUSED/)
    await dr.disconnect()
  })

  it("a refusal that kafkajs retried past the probe's timeout is reported by the next probes, and ends connect() early", async () => {
    // As a kafkajs instance with its default retries does with an untrusted certificate: the
    // handshake fails at once, kafkajs tries again for seconds, and only then rejects.
    const slow = {
      connect: () => new Promise<void>((_, reject) => setTimeout(() => reject(untrusted()), 300)),
      disconnect: async () => {},
      describeCluster: async () => {
        throw untrusted()
      },
    }
    const kafka = { admin: () => slow, producer: () => ({}), consumer: () => ({}) } as unknown as Kafka
    const dr = new MultiClusterKafka({
      clusters: { dc1: { kafka } },
      health: { intervalMs: 100, timeoutMs: 100, failureThreshold: 1, successThreshold: 1 },
      connectTimeoutMs: 10_000,
    })
    const down: Array<KafkaDRError | undefined> = []
    dr.on('cluster:down', (e) => down.push(e.error))
    const started = Date.now()
    const error = await dr.connect().catch((e: unknown) => e)
    expect(Date.now() - started).toBeLessThan(5000)
    expect(error).toBeInstanceOf(AuthenticationError)
    expect(error).toMatchObject({ cluster: 'dc1', kind: 'tls' })
    // The first probe only timed out: that is what turned the cluster down.
    expect(down.map((e) => e?.name)).toEqual(['TimeoutError'])
    expect(dr.status().clusters[0]!.lastError).toMatch(/TLS handshake with cluster 'dc1' failed.*SELF_SIGNED_CERT_IN_CHAIN/)
    await dr.disconnect()
  })

  it('one cluster refusing, the other up: connects to the other, the refusing one stays down with its AuthenticationError', async () => {
    const up = {
      connect: async () => {},
      disconnect: async () => {},
      describeCluster: async () => ({ clusterId: 'id-2', controller: 1, brokers: [] }),
    }
    const healthy = { admin: () => up, producer: () => ({}), consumer: () => ({}) } as unknown as Kafka
    const dr = new MultiClusterKafka({
      clusters: { dc1: { kafka: refusing(untrusted), priority: 1 }, dc2: { kafka: healthy, priority: 2 } },
    })
    await dr.connect()
    expect(dr.activeCluster).toBe('dc2')
    expect(dr.status().clusters[0]).toMatchObject({ name: 'dc1', health: 'down' })
    expect(dr.status().clusters[0]!.lastError).toMatch(/^Health probe of 'dc1' failed: the TLS handshake with cluster 'dc1' failed/)
    await dr.disconnect()
  })
})
