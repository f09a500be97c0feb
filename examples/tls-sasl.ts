/**
 * TLS and SASL/SCRAM, per cluster. Each cluster is given as a kafkajs config, so each carries its
 * own brokers, certificate authority and credentials (two datacenters seldom share them); every
 * producer, consumer, admin and health probe of that cluster uses them. kafkajs-dr passes `ssl`
 * and `sasl` to kafkajs untouched and never prints them (an invalid option's error describes an
 * object as "an object"): whatever kafkajs accepts works (SCRAM-SHA-256/512, PLAIN, AWS IAM,
 * OAUTHBEARER).
 *
 * Settings come from the environment, per cluster (DC1_... and DC2_...):
 *
 *   DC1_BROKERS          host:port,host:port
 *   DC1_SASL_USERNAME    \
 *   DC1_SASL_PASSWORD     > SASL/SCRAM credentials; DC1_SASL_MECHANISM: scram-sha-512 (default) or scram-sha-256
 *   DC1_CA_FILE          PEM file of the CA that signed the brokers' certificates (default: Node's trusted CAs)
 *   DC1_CERT_FILE, DC1_KEY_FILE   a client certificate and key, for brokers that require mutual TLS
 *
 *   npx tsx examples/tls-sasl.ts              # builds the client and prints the settings (secrets hidden)
 *   npx tsx examples/tls-sasl.ts --connect    # also connects and prints each cluster's health
 *
 * or, with `--bed`, from the local bed's SASL_SSL listeners: `npm run bed:up -- --security
 * sasl_ssl` writes `.bed/client-config.json`, the kafkajs config of its user `dr-app` per cluster
 * (`brokers`, `ssl.ca` as PEM text, `sasl`), which any script can hand to `new Kafka(config.dc1)`:
 *
 *   npx tsx examples/tls-sasl.ts --bed --connect
 *
 * It imports the library by its package name, as your code will. In this repository
 * `npx tsx` resolves that name to the sources through tsconfig.json's `paths` (no build needed);
 * without that tsconfig it resolves through the package's own `exports` to dist/, which
 * `npm run build` makes.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import kafkajs, { type KafkaConfig, type SASLOptions } from 'kafkajs'
import { MultiClusterKafka } from 'kafkajs-dr'

const { logLevel } = kafkajs

type Env = Record<string, string | undefined>

function required(env: Env, name: string): string {
  const value = env[name]
  if (value === undefined || value === '') throw new Error(`Set ${name}`)
  return value
}

/** The kafkajs config of one cluster (`prefix` `DC1` or `DC2`) from the environment. */
export function secureKafkaConfig(prefix: string, env: Env = process.env): KafkaConfig {
  const mechanism = env[`${prefix}_SASL_MECHANISM`] ?? 'scram-sha-512'
  if (mechanism !== 'scram-sha-512' && mechanism !== 'scram-sha-256')
    throw new Error(`${prefix}_SASL_MECHANISM: expected scram-sha-512 or scram-sha-256, got '${mechanism}'`)
  const sasl: SASLOptions = {
    mechanism,
    username: required(env, `${prefix}_SASL_USERNAME`),
    password: required(env, `${prefix}_SASL_PASSWORD`),
  }
  const file = (name: string): string | undefined => (env[name] ? readFileSync(env[name], 'utf8') : undefined)
  const ca = file(`${prefix}_CA_FILE`)
  const cert = file(`${prefix}_CERT_FILE`)
  const key = file(`${prefix}_KEY_FILE`)
  return {
    clientId: 'payments',
    brokers: required(env, `${prefix}_BROKERS`).split(','),
    // `true` verifies the brokers against Node's trusted CAs; an object passes tls.connect options.
    ssl:
      ca === undefined && cert === undefined
        ? true
        : {
            rejectUnauthorized: true,
            ...(ca === undefined ? {} : { ca: [ca] }),
            ...(cert === undefined ? {} : { cert }),
            ...(key === undefined ? {} : { key }),
          },
    sasl,
    logLevel: logLevel.WARN,
  }
}

/** The multi-cluster client over both secured clusters. Validates the options; connects nothing. */
export function secureClient(env: Env = process.env): { dr: MultiClusterKafka; configs: Record<'dc1' | 'dc2', KafkaConfig> } {
  return clientFor({ dc1: secureKafkaConfig('DC1', env), dc2: secureKafkaConfig('DC2', env) })
}

/**
 * The kafkajs configs the local bed wrote for its SASL_SSL listeners (`client-config.json` in its
 * state folder: `.bed`, or `KAFKAJS_DR_BED_DIR`).
 */
export function bedClientConfigs(
  file = join(process.env.KAFKAJS_DR_BED_DIR ?? '.bed', 'client-config.json'),
): Record<'dc1' | 'dc2', KafkaConfig> {
  const configs = JSON.parse(readFileSync(file, 'utf8')) as Record<string, KafkaConfig>
  if (configs.dc1 === undefined || configs.dc2 === undefined)
    throw new Error(`${file} has no dc1 and dc2: start the bed with \`npm run bed:up -- --security sasl_ssl\``)
  return { dc1: { ...configs.dc1, logLevel: logLevel.WARN }, dc2: { ...configs.dc2, logLevel: logLevel.WARN } }
}

/** The multi-cluster client over two clusters' kafkajs configs. Validates the options; connects nothing. */
export function clientFor(configs: Record<'dc1' | 'dc2', KafkaConfig>): {
  dr: MultiClusterKafka
  configs: Record<'dc1' | 'dc2', KafkaConfig>
} {
  const dr = new MultiClusterKafka({
    // A kafkajs config gets failover-friendly connection timeouts and retries for what it leaves out.
    clusters: { dc1: { kafka: configs.dc1, priority: 1 }, dc2: { kafka: configs.dc2, priority: 2 } },
    localCluster: 'dc1',
  })
  return { dr, configs }
}

/** A config as it may be printed: secrets and certificates replaced. */
export function redacted(config: KafkaConfig): unknown {
  const ssl =
    typeof config.ssl === 'object'
      ? Object.fromEntries(Object.entries(config.ssl).map(([k, v]) => [k, k === 'rejectUnauthorized' ? v : '<set>']))
      : config.ssl
  const sasl =
    config.sasl && 'username' in config.sasl
      ? { mechanism: config.sasl.mechanism, username: config.sasl.username, password: '<hidden>' }
      : config.sasl
  return { brokers: config.brokers, ssl, sasl }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const run = async (): Promise<void> => {
    const { dr, configs } = process.argv.includes('--bed') ? clientFor(bedClientConfigs()) : secureClient()
    for (const [name, config] of Object.entries(configs)) console.log(`${name}: ${JSON.stringify(redacted(config))}`)
    if (!process.argv.includes('--connect')) return
    try {
      await dr.connect()
      console.log(JSON.stringify(dr.status(), null, 2))
    } finally {
      await dr.disconnect()
    }
  }
  run().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
