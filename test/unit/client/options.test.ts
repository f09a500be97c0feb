import { inspect } from 'node:util'
import kafkajs from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { MultiClusterKafka } from '../../../src/client/multi-cluster-kafka.js'
import { resolveOptions } from '../../../src/client/options.js'
import type { DiscoveryPolicy } from '../../../src/discovery/types.js'
import { InvalidOptionError, KafkaDRError } from '../../../src/errors/index.js'

/** Minimal valid options: two clusters given as kafkajs configs (never connected). */
function valid(): Record<string, any> {
  return {
    clusters: {
      dc1: { kafka: { brokers: ['127.0.0.1:1'] } },
      dc2: { kafka: { brokers: ['127.0.0.1:2'] }, priority: 2 },
    },
  }
}

/** Valid options changed by `change`. */
function withChange(change: (o: Record<string, any>) => void): Record<string, any> {
  const options = valid()
  change(options)
  return options
}

/** The InvalidOptionError resolveOptions throws for `options`. */
function rejection(options: unknown): InvalidOptionError {
  try {
    resolveOptions(options)
  } catch (error) {
    if (error instanceof InvalidOptionError) return error
    throw error
  }
  throw new Error('resolveOptions accepted the options')
}

const TOP_KEYS =
  'clusters, localCluster, clientId, health, discovery, replication, provenance, connectTimeoutMs, switchTimeoutMs, teardownTimeoutMs, replicationLag'

describe('resolveOptions: defaults', () => {
  it('fills in every default', () => {
    const options = valid()
    const resolved = resolveOptions(options)
    // `kafka` is not enumerable (see the test of credentials below): compared on its own.
    expect(resolved.clusters.map((c) => [c.name, c.kafka, c.priority])).toEqual([
      ['dc1', options.clusters.dc1.kafka, 1],
      ['dc2', options.clusters.dc2.kafka, 2],
    ])
    expect(resolved).toEqual({
      clusters: [
        { name: 'dc1', priority: 1 },
        { name: 'dc2', priority: 2 },
      ],
      localCluster: undefined,
      clientId: 'kafkajs-dr',
      health: { intervalMs: 1000, timeoutMs: 1500, failureThreshold: 2, successThreshold: 3 },
      discovery: {
        policy: 'priority',
        autoFailback: true,
        failbackDelayMs: 30_000,
        controlTopic: 'kafkajs-dr.control',
        decideTimeoutMs: 30_000,
      },
      replication: undefined,
      provenance: undefined,
      connectTimeoutMs: 30_000,
      switchTimeoutMs: 60_000,
      teardownTimeoutMs: 3000,
      replicationLag: { intervalMs: 5000, thresholdMs: 30_000, timeoutMs: 5000 },
    })
  })

  it("keeps each cluster's kafkajs config out of sight: a client printed or serialized shows no credential", () => {
    const password = 'do-not-print-this-password'
    const options = withChange((o) => {
      o.clusters.dc1.kafka = {
        brokers: ['127.0.0.1:1'],
        ssl: { ca: 'ca' },
        sasl: { mechanism: 'scram-sha-512', username: 'app', password },
      }
    })
    const resolved = resolveOptions(options)
    expect((resolved.clusters[0]!.kafka as { sasl?: { password?: string } }).sasl?.password).toBe(password)
    expect(inspect(resolved, { depth: Infinity })).not.toContain(password)
    expect(JSON.stringify(resolved)).not.toContain(password)
    expect(inspect(new MultiClusterKafka(options as never), { depth: Infinity })).not.toContain(password)
  })

  it('keeps every value given', () => {
    const decide = (): string => 'dc1'
    const resolved = resolveOptions(
      withChange((o) => {
        o.localCluster = 'dc2'
        o.clientId = 'orders'
        o.health = { intervalMs: 50, timeoutMs: 50, failureThreshold: 1, successThreshold: 1 }
        o.discovery = { policy: decide, autoFailback: false, failbackDelayMs: 0, controlTopic: 'ops.control', decideTimeoutMs: 5 }
        o.replication = 'identity'
        o.provenance = false
        o.connectTimeoutMs = 0
        o.switchTimeoutMs = 1
      }),
    )
    expect(resolved.localCluster).toBe('dc2')
    expect(resolved.clientId).toBe('orders')
    expect(resolved.health).toEqual({ intervalMs: 50, timeoutMs: 50, failureThreshold: 1, successThreshold: 1 })
    expect(resolved.discovery).toEqual({
      policy: decide,
      autoFailback: false,
      failbackDelayMs: 0,
      controlTopic: 'ops.control',
      decideTimeoutMs: 5,
    })
    expect(resolved.replication).toBe('identity')
    expect(resolved.provenance).toBe(false)
    expect(resolved.connectTimeoutMs).toBe(0)
    expect(resolved.switchTimeoutMs).toBe(1)
  })

  it('fills in the defaults of a partly given health or discovery object', () => {
    const resolved = resolveOptions(
      withChange((o) => {
        o.health = { failureThreshold: 4 }
        o.discovery = { autoFailback: false }
      }),
    )
    expect(resolved.health).toEqual({ intervalMs: 1000, timeoutMs: 1500, failureThreshold: 4, successThreshold: 3 })
    expect(resolved.discovery).toEqual({
      policy: 'priority',
      autoFailback: false,
      failbackDelayMs: 30_000,
      controlTopic: 'kafkajs-dr.control',
      decideTimeoutMs: 30_000,
    })
  })

  it('accepts a kafkajs Kafka instance and keeps it as given', () => {
    const kafka = new kafkajs.Kafka({ brokers: ['127.0.0.1:1'] })
    const resolved = resolveOptions({ clusters: { dc1: { kafka } } })
    expect(resolved.clusters[0]!.kafka).toBe(kafka)
  })

  it('accepts brokers given as a function', () => {
    const brokers = (): string[] => ['127.0.0.1:1']
    const resolved = resolveOptions({ clusters: { dc1: { kafka: { brokers } } } })
    expect((resolved.clusters[0]!.kafka as { brokers: unknown }).brokers).toBe(brokers)
  })

  it("keeps the clusters in the order given (sorting is the client's job)", () => {
    const resolved = resolveOptions({
      clusters: { b: { kafka: { brokers: ['x:1'] }, priority: 2 }, a: { kafka: { brokers: ['x:1'] }, priority: 1 } },
    })
    expect(resolved.clusters.map((c) => c.name)).toEqual(['b', 'a'])
  })

  it('accepts negative and zero priorities', () => {
    const resolved = resolveOptions(
      withChange((o) => {
        o.clusters.dc1.priority = 0
        o.clusters.dc2.priority = -3
      }),
    )
    expect(resolved.clusters.map((c) => c.priority)).toEqual([0, -3])
  })

  it('accepts cluster names of letters, digits, _ and -, up to 64 characters', () => {
    const name = `A_b-9${'x'.repeat(59)}`
    expect(name).toHaveLength(64)
    expect(resolveOptions({ clusters: { [name]: { kafka: { brokers: ['x:1'] } } } }).clusters[0]!.name).toBe(name)
  })

  it.each(['priority', 'sticky', 'declared'] as const)('accepts the %s policy by name', (policy) => {
    expect(
      resolveOptions(
        withChange((o) => {
          o.discovery = { policy }
        }),
      ).discovery.policy,
    ).toBe(policy)
  })

  it('accepts a policy object with name and decide, and keeps it as given', () => {
    const policy: DiscoveryPolicy = { name: 'consul', decide: () => 'dc1', start: async () => {} }
    expect(
      resolveOptions(
        withChange((o) => {
          o.discovery = { policy }
        }),
      ).discovery.policy,
    ).toBe(policy)
  })

  it('accepts a policy class instance', () => {
    class Mine implements DiscoveryPolicy {
      readonly name = 'mine'
      decide(): string {
        return 'dc1'
      }
    }
    const policy = new Mine()
    expect(
      resolveOptions(
        withChange((o) => {
          o.discovery = { policy }
        }),
      ).discovery.policy,
    ).toBe(policy)
  })

  it('accepts provenance with a header name', () => {
    const provenance = { header: 'x-origin' }
    expect(
      resolveOptions(
        withChange((o) => {
          o.provenance = provenance
        }),
      ).provenance,
    ).toBe(provenance)
  })
})

describe('resolveOptions: brokers', () => {
  it.each([
    ['an empty brokers list', []],
    ['a broker that is not a string', [9092]],
    ['an empty broker string', ['']],
  ])('rejects a kafka config with %s', (_what, brokers) => {
    const error = rejection(
      withChange((o) => {
        o.clusters.dc2.kafka = { brokers }
      }),
    )
    expect(error.path).toMatch(/^clusters\.dc2\.kafka/)
    expect(error.path).toBe('clusters.dc2.kafka.brokers')
    expect(error.message).toMatch(/^Expected `clusters\.dc2\.kafka\.brokers` to be a non-empty array of 'host:port' strings, got /)
  })

  it('names the offending broker', () => {
    expect(
      rejection(
        withChange((o) => {
          o.clusters.dc2.kafka = { brokers: ['x:1', 9092] }
        }),
      ).message,
    ).toBe("Expected `clusters.dc2.kafka.brokers` to be a non-empty array of 'host:port' strings, got an array; `brokers[1]` is 9092")
    expect(
      rejection(
        withChange((o) => {
          o.clusters.dc2.kafka = { brokers: [] }
        }),
      ).message,
    ).toBe("Expected `clusters.dc2.kafka.brokers` to be a non-empty array of 'host:port' strings, got an array; it is empty")
  })
})

describe('resolveOptions: rejected options', () => {
  const cases: Array<[what: string, options: unknown, path: string, message: string]> = [
    ['options missing', undefined, 'options', 'Expected `options` to be an object, got undefined'],
    ['options null', null, 'options', 'Expected `options` to be an object, got null'],
    ['options an array', [], 'options', 'Expected `options` to be an object, got an array'],
    [
      'an unknown top-level key',
      withChange((o) => {
        o.cluster = {}
      }),
      'cluster',
      'Unknown option `cluster`; did you mean `clusters`?',
    ],
    [
      'an unknown top-level key not near any known one',
      withChange((o) => {
        o.brokers = ['x:1']
      }),
      'brokers',
      `Unknown option \`brokers\`; known options are: ${TOP_KEYS}`,
    ],
    [
      'replicationLag not an object',
      withChange((o) => {
        o.replicationLag = true
      }),
      'replicationLag',
      'Expected `replicationLag` to be an object, got true',
    ],
    [
      'replicationLag.intervalMs below 100',
      withChange((o) => {
        o.replicationLag = { intervalMs: 10 }
      }),
      'replicationLag.intervalMs',
      'Expected `replicationLag.intervalMs` to be an integer ≥ 100, got 10',
    ],
    ['clusters missing', {}, 'clusters', 'Expected `clusters` to be an object, got undefined'],
    ['clusters an array', { clusters: [{ kafka: { brokers: ['x:1'] } }] }, 'clusters', 'Expected `clusters` to be an object, got an array'],
    [
      'clusters empty',
      { clusters: {} },
      'clusters',
      'Expected `clusters` to be an object with at least one cluster, got an object; e.g. { dc1: { kafka }, dc2: { kafka } }',
    ],
    [
      'a cluster name with a dot',
      { clusters: { 'dc.1': { kafka: { brokers: ['x:1'] } } } },
      'clusters.dc.1',
      "Expected `clusters.dc.1` to be named with letters, digits, _ or - (it becomes a topic prefix), got 'dc.1'",
    ],
    [
      'a cluster name with a space',
      { clusters: { 'dc 1': { kafka: { brokers: ['x:1'] } } } },
      'clusters.dc 1',
      "Expected `clusters.dc 1` to be named with letters, digits, _ or - (it becomes a topic prefix), got 'dc 1'",
    ],
    [
      'a cluster name of 65 characters',
      { clusters: { ['x'.repeat(65)]: { kafka: { brokers: ['x:1'] } } } },
      `clusters.${'x'.repeat(65)}`,
      `Expected \`clusters.${'x'.repeat(65)}\` to be named with letters, digits, _ or - (it becomes a topic prefix), got '${'x'.repeat(40)}…'`,
    ],
    [
      'a cluster that is not an object',
      withChange((o) => {
        o.clusters.dc2 = 'localhost:9092'
      }),
      'clusters.dc2',
      "Expected `clusters.dc2` to be an object, got 'localhost:9092'",
    ],
    [
      'an unknown key in a cluster',
      withChange((o) => {
        o.clusters.dc2.prio = 2
      }),
      'clusters.dc2.prio',
      'Unknown option `clusters.dc2.prio`; known options of `clusters.dc2` are: kafka, priority',
    ],
    [
      'a cluster without kafka',
      withChange((o) => {
        o.clusters.dc2 = { priority: 2 }
      }),
      'clusters.dc2.kafka',
      'Expected `clusters.dc2.kafka` to be an object, got undefined',
    ],
    [
      'a kafka config without brokers',
      withChange((o) => {
        o.clusters.dc2.kafka = { clientId: 'x' }
      }),
      'clusters.dc2.kafka',
      'Expected `clusters.dc2.kafka` to be a kafkajs Kafka instance or a kafkajs config with `brokers`, got an object',
    ],
    [
      'brokers as a string',
      withChange((o) => {
        o.clusters.dc2.kafka = { brokers: 'localhost:9092' }
      }),
      'clusters.dc2.kafka',
      'Expected `clusters.dc2.kafka` to be a kafkajs Kafka instance or a kafkajs config with `brokers`, got an object',
    ],
    [
      'kafka as a broker string',
      withChange((o) => {
        o.clusters.dc2.kafka = 'localhost:9092'
      }),
      'clusters.dc2.kafka',
      "Expected `clusters.dc2.kafka` to be an object, got 'localhost:9092'",
    ],
    [
      'priority as a word',
      withChange((o) => {
        o.clusters.dc2.priority = 'high'
      }),
      'clusters.dc2.priority',
      "Expected `clusters.dc2.priority` to be an integer, got 'high'",
    ],
    [
      'priority as a fraction',
      withChange((o) => {
        o.clusters.dc2.priority = 1.5
      }),
      'clusters.dc2.priority',
      'Expected `clusters.dc2.priority` to be an integer, got 1.5',
    ],
    [
      'priority NaN',
      withChange((o) => {
        o.clusters.dc2.priority = Number.NaN
      }),
      'clusters.dc2.priority',
      'Expected `clusters.dc2.priority` to be an integer, got NaN',
    ],
    [
      'localCluster not among the clusters',
      withChange((o) => {
        o.localCluster = 'dc3'
      }),
      'localCluster',
      "Expected `localCluster` to be one of the configured clusters (dc1, dc2), got 'dc3'",
    ],
    [
      'localCluster empty',
      withChange((o) => {
        o.localCluster = ''
      }),
      'localCluster',
      "Expected `localCluster` to be a non-empty string, got ''",
    ],
    [
      'localCluster a number',
      withChange((o) => {
        o.localCluster = 1
      }),
      'localCluster',
      'Expected `localCluster` to be a non-empty string, got 1',
    ],
    [
      'clientId empty',
      withChange((o) => {
        o.clientId = ''
      }),
      'clientId',
      "Expected `clientId` to be a non-empty string, got ''",
    ],
    [
      'health not an object',
      withChange((o) => {
        o.health = 1000
      }),
      'health',
      'Expected `health` to be an object, got 1000',
    ],
    [
      'an unknown key in health',
      withChange((o) => {
        o.health = { interval: 1000 }
      }),
      'health.interval',
      'Unknown option `health.interval`; did you mean `intervalMs`?',
    ],
    [
      'health.intervalMs below 50',
      withChange((o) => {
        o.health = { intervalMs: 49 }
      }),
      'health.intervalMs',
      'Expected `health.intervalMs` to be an integer ≥ 50, got 49',
    ],
    [
      'health.timeoutMs as a string',
      withChange((o) => {
        o.health = { timeoutMs: '1500' }
      }),
      'health.timeoutMs',
      "Expected `health.timeoutMs` to be an integer, got '1500'",
    ],
    [
      'health.failureThreshold 0',
      withChange((o) => {
        o.health = { failureThreshold: 0 }
      }),
      'health.failureThreshold',
      'Expected `health.failureThreshold` to be an integer ≥ 1, got 0',
    ],
    [
      'health.successThreshold 0',
      withChange((o) => {
        o.health = { successThreshold: 0 }
      }),
      'health.successThreshold',
      'Expected `health.successThreshold` to be an integer ≥ 1, got 0',
    ],
    [
      'discovery not an object',
      withChange((o) => {
        o.discovery = 'sticky'
      }),
      'discovery',
      "Expected `discovery` to be an object, got 'sticky'",
    ],
    [
      'an unknown key in discovery',
      withChange((o) => {
        o.discovery = { failback: true }
      }),
      'discovery.failback',
      'Unknown option `discovery.failback`; did you mean `autoFailback`?',
    ],
    [
      'an unknown policy name',
      withChange((o) => {
        o.discovery = { policy: 'fastest' }
      }),
      'discovery.policy',
      "Expected `discovery.policy` to be one of 'priority', 'sticky', 'declared', got 'fastest'",
    ],
    [
      'a policy null',
      withChange((o) => {
        o.discovery = { policy: null }
      }),
      'discovery.policy',
      "Expected `discovery.policy` to be one of 'priority', 'sticky', 'declared', got null",
    ],
    [
      'a policy object without decide',
      withChange((o) => {
        o.discovery = { policy: { name: 'x' } }
      }),
      'discovery.policy',
      'Expected `discovery.policy` to be a policy name, a function, or an object with `name` and `decide`, got an object',
    ],
    [
      'a policy object without name',
      withChange((o) => {
        o.discovery = { policy: { decide: () => 'dc1' } }
      }),
      'discovery.policy',
      'Expected `discovery.policy` to be a policy name, a function, or an object with `name` and `decide`, got an object',
    ],
    [
      'discovery.autoFailback as a string',
      withChange((o) => {
        o.discovery = { autoFailback: 'yes' }
      }),
      'discovery.autoFailback',
      "Expected `discovery.autoFailback` to be a boolean, got 'yes'",
    ],
    [
      'discovery.failbackDelayMs negative',
      withChange((o) => {
        o.discovery = { failbackDelayMs: -1 }
      }),
      'discovery.failbackDelayMs',
      'Expected `discovery.failbackDelayMs` to be an integer ≥ 0, got -1',
    ],
    [
      'discovery.decideTimeoutMs zero',
      withChange((o) => {
        o.discovery = { decideTimeoutMs: 0 }
      }),
      'discovery.decideTimeoutMs',
      'Expected `discovery.decideTimeoutMs` to be an integer ≥ 1, got 0',
    ],
    [
      'discovery.controlTopic empty',
      withChange((o) => {
        o.discovery = { controlTopic: '' }
      }),
      'discovery.controlTopic',
      "Expected `discovery.controlTopic` to be a non-empty string, got ''",
    ],
    [
      'provenance true',
      withChange((o) => {
        o.provenance = true
      }),
      'provenance',
      'Expected `provenance` to be an object, got true',
    ],
    [
      'an unknown key in provenance',
      withChange((o) => {
        o.provenance = { headers: {} }
      }),
      'provenance.headers',
      'Unknown option `provenance.headers`; did you mean `header`?',
    ],
    [
      'connectTimeoutMs negative',
      withChange((o) => {
        o.connectTimeoutMs = -1
      }),
      'connectTimeoutMs',
      'Expected `connectTimeoutMs` to be an integer ≥ 0, got -1',
    ],
    [
      'switchTimeoutMs 0',
      withChange((o) => {
        o.switchTimeoutMs = 0
      }),
      'switchTimeoutMs',
      'Expected `switchTimeoutMs` to be an integer ≥ 1, got 0',
    ],
    [
      'switchTimeoutMs Infinity',
      withChange((o) => {
        o.switchTimeoutMs = Number.POSITIVE_INFINITY
      }),
      'switchTimeoutMs',
      'Expected `switchTimeoutMs` to be an integer, got Infinity',
    ],
  ]

  it.each(cases)('rejects %s', (_what, options, path, message) => {
    const error = rejection(options)
    expect(error.message).toBe(message)
    expect(error.path).toBe(path)
  })

  it('throws InvalidOptionError: a KafkaDRError with code ERR_INVALID_OPTION, not retriable', () => {
    const error = rejection(
      withChange((o) => {
        o.clusters.dc2.priority = 'high'
      }),
    )
    expect(error).toBeInstanceOf(KafkaDRError)
    expect(error.name).toBe('InvalidOptionError')
    expect(error.code).toBe('ERR_INVALID_OPTION')
    expect(error.retriable).toBe(false)
  })

  it('never puts a whole object or a secret into the message', () => {
    const error = rejection(
      withChange((o) => {
        o.clusters.dc2.kafka = { sasl: { mechanism: 'plain', username: 'u', password: 'hunter2' } }
      }),
    )
    expect(error.message).not.toContain('hunter2')
    expect(error.message).toContain('got an object')
  })

  it('does not touch the options it was given', () => {
    const options = withChange((o) => {
      o.health = { intervalMs: 500 }
    })
    const before = JSON.stringify(options)
    resolveOptions(options)
    expect(JSON.stringify(options)).toBe(before)
  })
})
