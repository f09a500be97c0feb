import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_TIMEOUT_MS, type GlobalOptions } from '../../../src/cli/types.js'
import { brokersOf, cliClientOptions, CLI_CLIENT_ID, collectSecrets, loadConfig } from '../../../src/cli/config.js'
import { CliUsageError } from '../../../src/cli/errors.js'

const PASSWORD = 'Sup3r-S3cret-Passw0rd'
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END PRIVATE KEY-----\n'

function global(overrides: Partial<GlobalOptions> = {}): GlobalOptions {
  return { clusters: [], config: undefined, json: false, debug: false, timeoutMs: DEFAULT_TIMEOUT_MS, ...overrides }
}

async function usageError(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(CliUsageError)
  return (error as Error).message
}

describe('CLI configuration', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kafkajs-dr-cli-config-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('builds the options from --cluster flags, most preferred first', async () => {
    const config = await loadConfig(
      global({
        clusters: [
          { name: 'dc2', brokers: ['b:1'] },
          { name: 'dc1', brokers: ['a:1', 'a:2'] },
        ],
      }),
    )
    expect(config.options).toEqual({
      clientId: CLI_CLIENT_ID,
      clusters: {
        dc2: { kafka: { clientId: CLI_CLIENT_ID, brokers: ['b:1'] }, priority: 1 },
        dc1: { kafka: { clientId: CLI_CLIENT_ID, brokers: ['a:1', 'a:2'] }, priority: 2 },
      },
    })
    expect(config.secrets).toEqual([])
    expect(brokersOf(config.options, 'dc1')).toEqual(['a:1', 'a:2'])
  })

  it('loads a JSON file and a JS module (an object or a function as default export)', async () => {
    const options = {
      clusters: { dc1: { kafka: { brokers: ['a:1'], sasl: { mechanism: 'plain', username: 'app', password: PASSWORD } } } },
    }
    await writeFile(join(dir, 'c.json'), JSON.stringify(options))
    await writeFile(join(dir, 'c.mjs'), `export default ${JSON.stringify(options)}`)
    await writeFile(join(dir, 'f.mjs'), `export default async () => (${JSON.stringify(options)})`)
    await writeFile(join(dir, 'named.mjs'), `export const options = ${JSON.stringify(options)}`)
    for (const file of ['c.json', 'c.mjs', 'f.mjs', 'named.mjs']) {
      const config = await loadConfig(global({ config: join(dir, file) }))
      expect(config.options).toEqual(options)
      expect(config.secrets).toEqual([PASSWORD])
      expect(config.source).toBe(join(dir, file))
    }
  })

  it('says what is wrong with a configuration file without quoting it', async () => {
    await writeFile(join(dir, 'bad.json'), `{ "clusters": { "dc1": { "kafka": { "sasl": { "password": "${PASSWORD}" } } } }, }`)
    const bad = await usageError(loadConfig(global({ config: join(dir, 'bad.json') })))
    expect(bad).toMatch(/is not valid JSON \(line 1, column \d+\)$/)
    expect(bad).not.toContain(PASSWORD)
    // A syntax error is checked by the integration test: vitest loads modules through its own parser.
    await writeFile(
      join(dir, 'reference.mjs'),
      'export default { clusters: { dc1: { kafka: { sasl: { password: Sup3rS3cretPassw0rd } } } } }',
    )
    const reference = await usageError(loadConfig(global({ config: join(dir, 'reference.mjs') })))
    expect(reference).toContain('ReferenceError: a name it uses is not defined')
    expect(reference).not.toContain('Sup3rS3cretPassw0rd')
    await writeFile(join(dir, 'throws.mjs'), "export default () => { throw new Error('Set DC1_PASSWORD') }")
    expect(await usageError(loadConfig(global({ config: join(dir, 'throws.mjs') })))).toContain('threw: Error: Set DC1_PASSWORD')
    await writeFile(join(dir, 'empty.mjs'), 'export const x = 1')
    expect(await usageError(loadConfig(global({ config: join(dir, 'empty.mjs') })))).toContain('must hold the MultiClusterKafka options')
    expect(await usageError(loadConfig(global({ config: join(dir, 'missing.json') })))).toBe(
      `cannot read the configuration '${join(dir, 'missing.json')}': no such file`,
    )
    expect(await usageError(loadConfig(global({ config: join(dir, 'missing.mjs') })))).toBe(
      `cannot read the configuration '${join(dir, 'missing.mjs')}': no such file`,
    )
  })

  it('finds every secret: SASL credentials but the mechanism and user, TLS material, secret-named keys', () => {
    const secrets = collectSecrets({
      clientId: 'app',
      clusters: {
        dc1: {
          kafka: {
            brokers: ['a:1'],
            ssl: { rejectUnauthorized: true, ca: ['CA-PEM-TEXT'], key: Buffer.from(KEY), passphrase: 'key-passphrase' },
            sasl: { mechanism: 'scram-sha-512', username: 'app-user', password: PASSWORD },
          },
          priority: 1,
        },
        dc2: {
          kafka: {
            brokers: ['b:1'],
            sasl: {
              mechanism: 'aws',
              authorizationIdentity: 'AIDA',
              accessKeyId: 'AKIA-ID',
              secretAccessKey: 'aws-secret',
              sessionToken: 'aws-token',
            },
          },
        },
      },
      extra: { nested: { apiPassword: 'p4ss', token: 'tok-1' } },
    })
    expect(secrets.sort()).toEqual(
      ['AKIA-ID', 'CA-PEM-TEXT', KEY, PASSWORD, 'aws-secret', 'aws-token', 'key-passphrase', 'p4ss', 'tok-1'].sort(),
    )
  })

  it("turns kafkajs' logging off for clusters given as configs (WARN with --debug) and bounds connect()", () => {
    const instance = new kafkajs.Kafka({ brokers: ['c:1'] })
    const config = {
      options: {
        clusters: { dc1: { kafka: { brokers: ['a:1'], logLevel: kafkajs.logLevel.DEBUG } }, dc2: { kafka: instance } },
        connectTimeoutMs: 60_000,
      },
      secrets: [],
      source: 'x',
    }
    const quiet = cliClientOptions(config, global({ timeoutMs: 4000 }))
    expect(quiet.clusters.dc1!.kafka).toEqual({ brokers: ['a:1'], logLevel: kafkajs.logLevel.NOTHING })
    expect(quiet.clusters.dc2!.kafka).toBe(instance)
    expect(quiet.connectTimeoutMs).toBe(4000)
    expect(quiet.clientId).toBe(CLI_CLIENT_ID)
    expect(cliClientOptions(config, global({ debug: true })).clusters.dc1!.kafka).toMatchObject({ logLevel: kafkajs.logLevel.WARN })
    expect(brokersOf(config.options, 'dc2')).toBeUndefined()
  })
})
