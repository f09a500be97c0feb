/**
 * SASL_SSL on the bed's security mode (the global setup starts the bed with it): both clusters'
 * SASL_SSL listeners (SCRAM-SHA-512, a CA made for the bed, the StandardAuthorizer), MirrorMaker 2
 * replicating through them, and the application's user `dr-app` holding only the ACLs that
 * docs/acls.md lists (test/integration/acls.ts). A producer and a consumer fail over (kill -9 of
 * dc1) and back entirely over SASL_SSL, while everything the client emits is searched for the
 * password. A wrong password and an untrusted certificate are reported as such.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import kafkajs, { type KafkaConfig } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import {
  AuthenticationError,
  MultiClusterKafka,
  type FailoverConsumer,
  type KafkaDRError,
  type TranslationResult,
} from '../../src/index.js'
import { BED_APP_USER } from '../bed/bed.js'
import { readCredentials } from '../bed/security.js'
import { internalsOf } from '../helpers/client-internals.js'
import { grantMinimumAcls, type AppResources } from './acls.js'
import { FAST_HEALTH, idsOnClusters, runProducerDrill } from './drill.js'
import { bed, createTopic, highWatermark, unique, waitFor, withAdmin } from './helpers.js'
import { SecretScan } from './secret-scan.js'

const secured = bed().security === 'sasl_ssl'

/**
 * Runs the package's command (`kafkajs-dr`, src/cli/main.ts) with `clusters` as its `--config`
 * file, `--debug` and `DEBUG=kafkajs-dr:*`; resolves with its exit code and output.
 */
async function runCli(command: string[], clusters: Record<string, KafkaConfig>): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'kafkajs-dr-security-'))
  const config = join(dir, 'dr.config.json')
  try {
    await writeFile(
      config,
      JSON.stringify({
        clusters: Object.fromEntries(Object.entries(clusters).map(([name, kafka], i) => [name, { kafka, priority: i + 1 }])),
      }),
      { mode: 0o600 },
    )
    const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href
    return await new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', tsx, main, ...command, '--config', config, '--debug'],
        { env: { ...process.env, DEBUG: 'kafkajs-dr:*' }, timeout: 60_000 },
        (error, stdout, stderr) => {
          resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr })
        },
      )
    })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** The kafkajs config of `dr-app` for a cluster, with the test's log creator and level. */
function appConfig(cluster: string, scan: SecretScan, overrides: Partial<KafkaConfig> = {}): KafkaConfig {
  return {
    ...bed().secureKafkaConfig(cluster),
    clientId: 'security-test',
    logLevel: kafkajs.logLevel.DEBUG,
    logCreator: scan.kafkajsLogCreator(),
    ...overrides,
  }
}

/** Every event of the client (whatever its name), and those of each producer and consumer it creates, go to `scan`. */
function watchEvents(dr: MultiClusterKafka, scan: SecretScan): void {
  const { events } = internalsOf(dr)
  const emit = events.emit.bind(events) as (event: string, ...args: unknown[]) => boolean
  events.emit = (event: string, ...args: unknown[]) => {
    scan.events.push(event)
    scan.scan('event', event, args)
    return emit(event, ...args)
  }
  dr.on('producer:created', ({ producer }) => {
    producer.on('producer:resent', (e) => {
      scan.events.push('producer:resent')
      scan.scan('event', 'producer:resent', e)
    })
  })
  dr.on('consumer:created', ({ consumer }) => {
    for (const event of [
      'checkpoint:written',
      'checkpoint:failed',
      'offsets:translated',
      'checkpoints:undecodable',
      'consumer:moved',
      'consumer:move-failed',
      'consumer:session-crashed',
      'consumer:split',
      'consumer:split-ended',
      'consumer:deduplicated',
      'consumer:disconnected',
    ] as const) {
      consumer.on(event, (e: unknown) => {
        scan.events.push(event)
        scan.scan('event', event, e)
      })
    }
  })
}

describe.skipIf(!secured)('SASL_SSL (the bed in its security mode)', () => {
  afterAll(async () => {
    // Leave the bed whole for the next file.
    await bed().up()
  })

  it('a wrong password and an untrusted certificate are AuthenticationErrors naming the cluster, at once, and never show the password', async () => {
    const wrongPassword = `wrong-${randomBytes(12).toString('hex')}`
    const scan = new SecretScan([wrongPassword, readCredentials(bed().stateDir)[BED_APP_USER]])
    const stopDebug = scan.captureDebug()
    const dc1 = appConfig('dc1', scan)
    const dr = new MultiClusterKafka({
      clusters: {
        // The right CA, the wrong password.
        dc1: { kafka: { ...dc1, sasl: { mechanism: 'scram-sha-512', username: BED_APP_USER, password: wrongPassword } }, priority: 1 },
        // The right password, but TLS checked against Node's own CAs, which never signed the bed's certificate.
        dc2: { kafka: appConfig('dc2', scan, { ssl: true }), priority: 2 },
      },
      connectTimeoutMs: 30_000,
    })
    watchEvents(dr, scan)
    try {
      const started = Date.now()
      const error = await dr.connect().then(
        () => undefined,
        (e: unknown) => e,
      )
      const elapsed = Date.now() - started
      console.log(`refused everywhere: connect() rejected after ${elapsed} ms with ${String(error)}`)
      expect(error).toBeInstanceOf(AuthenticationError)
      expect(error).toMatchObject({ code: 'ERR_AUTHENTICATION_FAILED', cluster: 'dc1', kind: 'sasl', retriable: false })
      expect(elapsed).toBeLessThan(10_000)
      const status = dr.status()
      scan.scan('error', 'connect()', error)
      scan.scan('status', 'after connect()', status)
      expect(status.clusters.map((c) => [c.name, c.health])).toEqual([
        ['dc1', 'down'],
        ['dc2', 'down'],
      ])
      expect(status.clusters[0]!.lastError).toMatch(/cluster 'dc1' refused the SASL login.*invalid credentials/)
      expect(status.clusters[1]!.lastError).toMatch(
        /TLS handshake with cluster 'dc2' failed.*(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)/,
      )
      expect(scan.events.filter((e) => e === 'cluster:down')).toHaveLength(2)
    } finally {
      await dr.disconnect()
      stopDebug()
    }
    // The command says the same, and prints no password either.
    const cli = await runCli(['status'], {
      dc1: { ...bed().secureKafkaConfig('dc1'), sasl: { mechanism: 'scram-sha-512', username: BED_APP_USER, password: wrongPassword } },
      dc2: { ...bed().secureKafkaConfig('dc2'), ssl: true },
    })
    scan.scan('cli', 'status (refused)', [cli.stdout, cli.stderr])
    expect(cli.code).toBe(1)
    expect(cli.stderr).toMatch(/cluster 'dc1' refused the SASL login/)
    expect(cli.stderr).toMatch(/TLS handshake with cluster 'dc2' failed/)
    expect(scan.seen.debug).toBeGreaterThan(0)
    expect(scan.seen.kafkajs).toBeGreaterThan(0)
    expect(scan.leaks).toEqual([])
  })

  it('producer and consumer fail over (kill -9 of dc1) and back over SASL_SSL as dr-app with only the minimum ACLs; the password appears nowhere', async () => {
    const password = readCredentials(bed().stateDir)[BED_APP_USER]
    const topic = unique('sec-orders')
    const group = unique('sec-billing')
    const checkpointTopic = `${unique('sec')}.checkpoints`
    const app: AppResources = { clusters: ['dc1', 'dc2'], topics: [topic], groups: [group], checkpointTopic }
    await Promise.all(['dc1', 'dc2'].map((c) => createTopic(c, topic, 3)))
    // As in the consumer drill: dc1's copy exists on dc2 before the consumer starts, so its standby
    // there subscribes to it from the start. Otherwise the standby is replaced (new copies) around
    // the kill, and the second join on dc2 re-positions the delivering session from its own dc2
    // positions ('native').
    await waitFor(
      `dc1.${topic} on dc2`,
      () => withAdmin('dc2', async (admin) => (await admin.listTopics()).includes(`dc1.${topic}`)),
      30_000,
      200,
    )
    // Granted by the PLAINTEXT listener's user, a super user of the bed.
    const granted = await Promise.all(
      ['dc1', 'dc2'].map((c) => withAdmin(c, (admin) => grantMinimumAcls(admin, app, c, `User:${BED_APP_USER}`))),
    )

    // The authorizer is on: dr-app sees its topic, not the others, and may create no other topic.
    const probe = new kafkajs.Kafka({ ...bed().secureKafkaConfig('dc1'), logLevel: kafkajs.logLevel.NOTHING }).admin()
    await probe.connect()
    try {
      const visible = await waitFor(
        'dr-app to see its topic',
        async () => {
          const t = await probe.listTopics()
          return t.includes(topic) ? t : undefined
        },
        10_000,
      )
      expect(visible).not.toContain('kafkajs-dr-bed-probe')
      await expect(probe.createTopics({ topics: [{ topic: unique('sec-not-granted') }] })).rejects.toMatchObject({
        errors: [{ type: 'TOPIC_AUTHORIZATION_FAILED' }],
      })
    } finally {
      await probe.disconnect()
    }

    const scan = new SecretScan([password])
    const stopDebug = scan.captureDebug()
    const dr = new MultiClusterKafka({
      clusters: { dc1: { kafka: appConfig('dc1', scan), priority: 1 }, dc2: { kafka: appConfig('dc2', scan), priority: 2 } },
      localCluster: 'dc1',
      health: FAST_HEALTH,
      discovery: { policy: 'priority', failbackDelayMs: 3000 },
    })
    watchEvents(dr, scan)
    const consumed = new Map<string, string[]>()
    const consumerErrors: KafkaDRError[] = []
    let consumer: FailoverConsumer | undefined
    const started = Date.now()
    try {
      await dr.connect()
      scan.scan('status', 'connected', dr.status())
      consumer = dr.consumer({
        groupId: group,
        sessionTimeout: 10_000,
        heartbeatInterval: 1000,
        checkpoint: { topic: checkpointTopic, intervalMs: 1000 },
      })
      const translations: TranslationResult[] = []
      consumer.on('offsets:translated', (e) => translations.push(e))
      consumer.on('consumer:move-failed', (e) => consumerErrors.push(e.error))
      const moves: string[] = []
      consumer.on('consumer:moved', (e) => moves.push(`${e.from ?? '-'}->${e.to} (${e.reason}, ${e.via}, ${e.durationMs} ms)`))
      consumer.on('checkpoint:failed', (e) => {
        if (e.error !== undefined) consumerErrors.push(e.error)
      })
      await consumer.connect()
      await consumer.subscribe({ topics: [topic], fromBeginning: true })
      await consumer.run({
        eachMessage: async ({ message, cluster }) => {
          const id = message.value!.toString()
          consumed.set(id, [...(consumed.get(id) ?? []), cluster])
        },
      })
      const c = consumer
      let processedBeforeFault = 0
      const ledger = await runProducerDrill(dr, topic, { total: 8000, perSend: 50, ratePerSec: 500, concurrency: 2 }, async () => {
        // A new checkpoint topic must first reach dc2 (MM2 creates its copy there), as it has
        // long since in production: else the move to dc2 has no checkpoint to start from.
        await waitFor(
          'records processed on dc1 and their checkpoints replicated to dc2',
          async () => consumed.size >= 500 && (await highWatermark('dc2', `dc1.${checkpointTopic}`)) > 0,
          30_000,
          200,
        )
        await delay(1500)
        processedBeforeFault = consumed.size
        await bed().kill('dc1')
        await waitFor('switch to dc2', () => dr.activeCluster === 'dc2', 20_000, 20)
        await waitFor('consumer on dc2', () => c.cluster === 'dc2', 60_000, 50)
        scan.scan('status', 'on dc2', [dr.status(), c.status()])
        await delay(2000)
        await bed().start('dc1')
        await waitFor('failback to dc1', () => dr.activeCluster === 'dc1', 60_000, 50)
      })
      await waitFor('consumer back on dc1', () => c.cluster === 'dc1', 60_000, 50)
      for (const send of ledger.sends) if (send.error !== undefined) scan.scan('error', 'send', send.error)
      // Every acknowledged record is consumed, wherever it was written.
      const missing = (): string[] => [...ledger.acked].filter((id) => !consumed.has(id))
      await waitFor('every acknowledged record consumed', () => missing().length === 0, 120_000, 250)
      scan.scan('status', 'after failback', [dr.status(), c.status()])
      const byCluster = { dc1: 0, dc2: 0 }
      for (const clusters of consumed.values()) for (const cl of clusters) byCluster[cl as 'dc1' | 'dc2']++
      const duplicates = [...consumed.values()].reduce((n, clusters) => n + clusters.length - 1, 0)
      // The move to dc2 started dc1's copy from checkpoints read over SASL_SSL, not from the start.
      // Only the move's own positioning (the first onto dc2): a later rebalance during the stay
      // re-positions from this instance's own, newer positions on dc2, rightly 'native'.
      const ontoDc2 = (translations.find((t) => t.targetCluster === 'dc2')?.partitions ?? [])
        .filter((p) => p.topic === `dc1.${topic}`)
        .map((p) => p.method)
      // What started dc2's copy on dc1 at the failback (and at a restart for new copies there).
      const ontoDc1 = translations
        .filter((t) => t.targetCluster === 'dc1')
        .map((t) => {
          const copy = t.partitions.filter((p) => p.topic === `dc2.${topic}`)
          const missing = t.missing.filter((m) => m.topic === `dc2.${topic}`).map((m) => `${m.partition}:${m.reason}`)
          return `[${copy.map((p) => `${p.partition}:${p.method}@${p.offset}`).join(' ')}${missing.length > 0 ? `; missing ${missing.join(' ')}` : ''}${t.missingTopics.length > 0 ? `; no ${t.missingTopics.join(', ')}` : ''}]`
        })
      const stored = await idsOnClusters(topic)
      console.log(
        `SASL_SSL failover as ${BED_APP_USER} (${granted.join(' + ')} ACL entries on dc1 + dc2): acked ${ledger.acked.size}, rejected ${ledger.rejected}, ` +
          `switches ${ledger.switches.map((s) => `${s.from}->${s.to} (${s.kind}, ${s.durationMs} ms)`).join(', ')}; consumed ${consumed.size} distinct ` +
          `(handler calls on dc1 ${byCluster.dc1}, on dc2 ${byCluster.dc2}); stored dc1 ${stored.dc1.size}, dc2 ${stored.dc2.size}; ` +
          `processed before the fault ${processedBeforeFault}, duplicates ${duplicates}, dc1's copy on dc2 positioned by ${ontoDc2.join(', ')}; ` +
          `translations onto dc1 (dc2's copy) ${ontoDc1.join(' ')}; moves ${moves.join(', ')}; ` +
          `consumer errors ${consumerErrors.length}; seen: ${JSON.stringify(scan.seen)} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      )
      for (const e of consumerErrors.slice(0, 5)) console.log(`  consumer error: ${e.name}: ${e.message}`)
      expect(ledger.switches.map((s) => [s.from, s.to, s.kind])).toEqual([
        ['dc1', 'dc2', 'failover'],
        ['dc2', 'dc1', 'failback'],
      ])
      expect(ledger.sends.filter((s) => s.error !== undefined).map((s) => s.error)).toEqual([])
      expect([...ledger.acked].filter((id) => !stored.dc1.has(id) && !stored.dc2.has(id))).toEqual([])
      expect(byCluster.dc2).toBeGreaterThan(0)
      expect(ontoDc2.length).toBeGreaterThan(0)
      expect(ontoDc2.filter((m) => m !== 'timestamp' && m !== 'mm2')).toEqual([])
      expect(duplicates).toBeLessThan(processedBeforeFault)
      expect(scan.events).toContain('consumer:moved')
      expect(scan.events).toContain('checkpoint:written')
      // No refusal by the authorizer on the way: the ACLs were enough.
      expect(consumerErrors.map((e) => `${e.name}: ${e.message}`).filter((m) => /AUTHORIZATION|Not authorized/i.test(m))).toEqual([])
    } finally {
      for (const e of consumerErrors) scan.scan('error', 'consumer', e)
      await consumer?.disconnect()
      await dr.disconnect()
      stopDebug()
    }
    // The command, over SASL_SSL as dr-app with the same ACLs: the group's positions on each cluster.
    const cli = await runCli(['status', '--group', group, '--checkpoint-topic', checkpointTopic, '--json'], {
      dc1: bed().secureKafkaConfig('dc1'),
      dc2: bed().secureKafkaConfig('dc2'),
    })
    scan.scan('cli', 'status --group', [cli.stdout, cli.stderr])
    expect(cli.stderr).toContain('kafkajs-dr:')
    expect(cli.code, cli.stderr.slice(-2000)).toBe(0)
    // Something was captured on every channel, and the password in none of it.
    for (const channel of ['debug', 'kafkajs', 'event', 'status', 'cli'] as const) expect(scan.seen[channel], channel).toBeGreaterThan(0)
    expect(scan.leaks).toEqual([])
  }, 150_000)
})
