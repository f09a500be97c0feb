import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/cli/config.js'
import { drillClusters } from '../../../src/cli/drill.js'
import { UsageError } from '../../../src/flags/index.js'

const PASSWORD = 'Sup3r-S3cret-Drill-Passw0rd'

function refused(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError)
    return (error as Error).message
  }
  throw new Error('accepted')
}

describe('kafkajs-dr drill --config', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kafkajs-dr-drill-config-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('takes the clusters most preferred first, each with its kafkajs settings, which print nowhere', async () => {
    const sasl = { mechanism: 'scram-sha-512', username: 'app', password: PASSWORD }
    const file = join(dir, 'dr.json')
    await writeFile(
      file,
      JSON.stringify({
        clusters: {
          west: { kafka: { brokers: ['w:9093'], ssl: true, sasl }, priority: 2 },
          east: { kafka: { brokers: ['e:9093', 'e2:9093'], ssl: true, sasl }, priority: 1 },
        },
        discovery: { policy: 'sticky' },
      }),
    )
    const config = await loadConfig({ clusters: [], config: file })
    expect(config.secrets).toContain(PASSWORD)
    const clusters = drillClusters(config)
    expect(clusters).toEqual([
      { name: 'east', brokers: ['e:9093', 'e2:9093'] },
      { name: 'west', brokers: ['w:9093'] },
    ])
    expect(clusters[0]!.kafka).toMatchObject({ ssl: true, sasl })
    expect(JSON.stringify(clusters) + inspect(clusters, { depth: 5 })).not.toContain(PASSWORD)
  })

  it('refuses a configuration it cannot run a drill on, saying why', () => {
    const source = 'dr.mjs'
    const one = { options: { clusters: { dc1: { kafka: { brokers: ['a:1'] } } } }, secrets: [], source }
    expect(refused(() => drillClusters(one))).toBe("the configuration 'dr.mjs' has 1 cluster: the drill needs two or more")
    const instance = {
      options: { clusters: { dc1: { kafka: new kafkajs.Kafka({ brokers: ['a:1'] }) }, dc2: { kafka: { brokers: ['b:1'] } } } },
      secrets: [],
      source,
    }
    expect(refused(() => drillClusters(instance))).toContain("clusters.dc1.kafka in 'dr.mjs' is a kafkajs Kafka instance")
    const fn = {
      options: { clusters: { dc1: { kafka: { brokers: () => ['a:1'] } }, dc2: { kafka: { brokers: ['b:1'] } } } },
      secrets: [],
      source,
    }
    expect(refused(() => drillClusters(fn))).toContain("clusters.dc1.kafka.brokers in 'dr.mjs' is a function")
    const invalid = { options: { clusters: { dc1: { kafka: { brokers: ['a:1'] }, priority: 'high' } } }, secrets: [], source }
    expect(refused(() => drillClusters(invalid as never))).toMatch(/^invalid configuration \(dr\.mjs\): .*clusters\.dc1\.priority/)
  })
})
