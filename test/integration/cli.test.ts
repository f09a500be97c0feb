/**
 * The `kafkajs-dr` command, run as a user runs it: a separate process (`node --import tsx
 * src/cli/main.ts`, as `npm run cli` does) against the bed. Each command in both output modes
 * (the `--json` document parsed), `translate --apply` refused while the group has a member on the
 * target and then done, and every error path: one line on stderr, the documented exit code, no
 * stack trace without `--debug`, and never a secret of the configuration.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MultiClusterKafka } from '../../src/index.js'
import type { DeclareReport } from '../../src/cli/declare.js'
import type { StatusReport } from '../../src/cli/status.js'
import type { TranslateReport } from '../../src/cli/translate.js'
import { BED_ADMIN_USER } from '../bed/bed.js'
import { bed, createTopic, unique, waitFor, waitForRecords, withAdmin } from './helpers.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const { logLevel } = kafkajs

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the CLI with `args`; resolves when it exits (killed after 60 s). */
function cli(args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env }
    delete env.DEBUG
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8')
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** Asserts a failure: the exit code, one line on stderr saying `message`, no stack trace. */
function expectOneLine(run: Run, code: number, message: RegExp | string): void {
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(code)
  const lines = run.stderr.split('\n').filter((l) => l !== '')
  expect(lines, run.stderr).toHaveLength(1)
  expect(lines[0]!.startsWith('kafkajs-dr: ') || lines[0]!.startsWith('drill: ')).toBe(true)
  if (typeof message === 'string') expect(lines[0]).toContain(message)
  else expect(lines[0]).toMatch(message)
  expect(run.stderr).not.toMatch(/^\s+at /m)
}

function parse<T>(run: Run): T & { ok: boolean } {
  expect(run.stderr).toBe('')
  return JSON.parse(run.stdout) as T & { ok: boolean }
}

describe('kafkajs-dr (the CLI) on the bed', () => {
  const brokers = bed().brokers
  const clusterFlags = ['--cluster', `dc1=${brokers.dc1!.join(',')}`, '--cluster', `dc2=${brokers.dc2!.join(',')}`]
  const topic = unique('cli')
  const group = unique('cli-group')
  const controlTopic = unique('cli-control')
  /** Records consumed on dc1 per partition. */
  const consumed = [8, 7, 5]

  beforeAll(async () => {
    // A group that consumed through kafkajs-dr on dc1 (so it has checkpoints on both clusters), and
    // the same topic, empty, on dc2: the group has no position there for `translate` to find.
    await createTopic('dc1', topic, 3)
    await createTopic('dc2', topic, 3)
    const dr = new MultiClusterKafka({
      clusters: {
        dc1: { kafka: { clientId: 'cli-test', brokers: brokers.dc1!, logLevel: logLevel.NOTHING }, priority: 1 },
        dc2: { kafka: { clientId: 'cli-test', brokers: brokers.dc2!, logLevel: logLevel.NOTHING }, priority: 2 },
      },
      replicationLag: false,
    })
    await dr.connect()
    const producer = dr.producer()
    await producer.connect()
    const total = consumed.reduce((a, b) => a + b, 0)
    try {
      for (const [partition, count] of consumed.entries()) {
        for (let i = 0; i < count; i++) {
          await producer.send({ topic, messages: [{ key: `${partition}-${i}`, value: String(i), partition }] })
          await delay(2) // distinct timestamps
        }
      }
      const consumer = dr.consumer({ groupId: group })
      let seen = 0
      await consumer.connect()
      await consumer.subscribe({ topics: [topic], fromBeginning: true })
      await consumer.run({
        eachMessage: async () => {
          seen++
        },
      })
      await waitFor(`${total} records consumed`, () => seen >= total)
      await consumer.disconnect()
    } finally {
      await producer.disconnect()
      await dr.disconnect()
    }
    // The timestamp translation needs the replica's records on dc2.
    await waitForRecords('dc2', `dc1.${topic}`, total)
  }, 120_000)

  it('declare: writes the declaration to every cluster (human, then --json)', async () => {
    const human = await cli(['declare', ...clusterFlags, '--active', 'dc2', '--reason', 'dc1 maintenance', '--control-topic', controlTopic])
    expect(human.code, human.stderr).toBe(0)
    expect(human.stderr).toBe('')
    expect(human.stdout).toMatch(/^declared dc2 active \(epoch \d+, reason: dc1 maintenance\) in cli-control-\S+ on dc1, dc2\n/)
    expect(human.stdout).toMatch(/dc1\s+yes\n\s+dc2\s+yes/)
    expect(human.stdout).toContain('previous declaration: none')

    const report = parse<DeclareReport>(
      await cli(['declare', ...clusterFlags, '--active', 'dc1', '--control-topic', controlTopic, '--json']),
    )
    expect(report.ok).toBe(true)
    expect(report.declaration.cluster).toBe('dc1')
    expect(report.previous).toMatchObject({ cluster: 'dc2', reason: 'dc1 maintenance' })
    expect(report.declaration.epoch).toBeGreaterThan(report.previous!.epoch)
    expect(report.clusters).toEqual([
      { cluster: 'dc1', written: true, error: null },
      { cluster: 'dc2', written: true, error: null },
    ])
  })

  it('status: health, ids, active and declared cluster, replication lag, and the group per cluster (human and --json)', async () => {
    const [human, asJson] = await Promise.all([
      cli(['status', ...clusterFlags, '--group', group, '--control-topic', controlTopic]),
      cli(['status', ...clusterFlags, '--group', group, '--control-topic', controlTopic, '--json']),
    ])
    expect(human.code, human.stderr).toBe(0)
    expect(human.stderr).toBe('')
    expect(human.stdout).toMatch(/dc1\s+up\s+1\s+\S+\s+/)
    expect(human.stdout).toMatch(/dc2\s+up\s+2\s+\S+\s+/)
    expect(human.stdout).toContain('active cluster (chosen by priority): dc1')
    expect(human.stdout).toMatch(/declared active cluster: dc1, declared .* ago/)
    expect(human.stdout).toMatch(/dc1 -> dc2\s+/)
    expect(human.stdout).toContain(`group ${group}`)
    expect(human.stdout).toMatch(/dc1\s+Empty\s+0\s+3 partitions\s+0\s+[\d.]+ (ms|s|min \d+ s) ago \(of dc1\)\s+3\s+/)

    const report = parse<StatusReport>(asJson)
    expect(report.ok).toBe(true)
    expect(report.active).toBe('dc1')
    expect(report.policy).toBe('priority')
    expect(report.clusters.map((c) => [c.name, c.health])).toEqual([
      ['dc1', 'up'],
      ['dc2', 'up'],
    ])
    for (const c of report.clusters) {
      expect(c.clusterId).toMatch(/^\S{10,}$/)
      expect(c.declaration).toMatchObject({ cluster: 'dc1' })
    }
    expect(report.declared).toMatchObject({ cluster: 'dc1' })
    expect(report.replication.map((f) => `${f.source}->${f.target}`).sort()).toEqual(['dc1->dc2', 'dc2->dc1'])
    // Each flow's first check was waited for.
    for (const f of report.replication) expect(f.checkedAt !== null || f.lastError !== null).toBe(true)

    const [onDc1, onDc2] = report.groups[0]!.clusters
    expect(report.groups[0]!.group).toBe(group)
    expect(onDc1).toMatchObject({ cluster: 'dc1', reachable: true, error: null, state: 'Empty', members: 0, lag: 0 })
    expect(onDc1!.committed.map((p) => [p.topic, p.partition, p.committed])).toEqual(
      consumed.map((n, partition) => [topic, partition, String(n)]),
    )
    // The consumer wrote its checkpoints to both clusters.
    for (const view of [onDc1!, onDc2!]) {
      expect(view.checkpoints.count).toBe(3)
      expect(view.checkpoints.newest).toMatchObject({ cluster: 'dc1', topic })
      expect(view.checkpoints.newest!.ageMs).toBeGreaterThanOrEqual(0)
      expect(view.checkpoints.newest!.ageMs).toBeLessThan(300_000)
      expect(view.checkpoints.positions.map((p) => p.offset)).toEqual(consumed.map(String))
    }
  })

  it('translate: per partition, source position -> target offset and translator; --apply refused while a member is on the target, then done', async () => {
    const args = ['translate', ...clusterFlags, '--group', group, '--from', 'dc1', '--to', 'dc2']
    const dry = parse<TranslateReport>(await cli([...args, '--json']))
    expect(dry).toMatchObject({
      ok: true,
      group,
      from: 'dc1',
      to: 'dc2',
      topics: [topic],
      topicsFrom: 'committed-offsets',
      apply: false,
      applied: false,
      commit: null,
    })
    expect(dry.targetTopics.sort()).toEqual([`dc1.${topic}`, topic].sort())
    const replica = dry.partitions.filter((p) => p.topic === `dc1.${topic}`)
    expect(replica.map((p) => p.partition)).toEqual([0, 1, 2])
    for (const p of replica) {
      const n = consumed[p.partition]!
      expect(p.source).toMatchObject({ cluster: 'dc1', topic, partition: p.partition, offset: String(n) })
      expect(['timestamp', 'mm2']).toContain(p.method)
      // A lower bound: the next record, or the last processed one again (the timestamp lookup).
      expect([String(n - 1), String(n)]).toContain(p.offset)
    }
    // dc2's own (empty) copy: no checkpoint, the missing-checkpoint policy.
    expect(dry.partitions.filter((p) => p.topic === topic).map((p) => [p.offset, p.method, p.source])).toEqual([
      ['0', 'earliest', null],
      ['0', 'earliest', null],
      ['0', 'earliest', null],
    ])
    const committedOnDc2 = async (): Promise<string[]> =>
      (await withAdmin('dc2', (admin) => admin.fetchOffsets({ groupId: group, topics: [topic] })))[0]!.partitions
        .sort((a, b) => a.partition - b.partition)
        .map((p) => p.offset)
    expect(await committedOnDc2()).toEqual(['-1', '-1', '-1'])

    const human = await cli(args)
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toMatch(new RegExp(`dc1\\.${topic}\\s+0\\s+dc1 ${topic}\\[0\\] @ 8\\s+.* ago\\s+[78]\\s+(timestamp|mm2)`))
    expect(human.stdout).toContain('dry run: nothing committed; add --apply')

    // A member of the group on dc2: the commit is refused, nothing is committed.
    const member = bed().kafka('dc2').consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 1000 })
    await member.connect()
    try {
      await member.subscribe({ topics: [topic] })
      let joined = false
      member.on(member.events.GROUP_JOIN, () => {
        joined = true
      })
      await member.run({ eachMessage: async () => {} })
      await waitFor('the member to join', () => joined)
      const refused = await cli([...args, '--apply'])
      expectOneLine(refused, 1, `group '${group}' has 1 member on dc2`)
      expect(refused.stdout).toContain(`dc1.${topic}`)
      expect(refused.stdout).toContain(`nothing committed to group ${group} on dc2`)
      expect(await committedOnDc2()).toEqual(['-1', '-1', '-1'])
    } finally {
      await member.disconnect()
    }

    const applied = parse<TranslateReport>(await cli([...args, '--apply', '--json']))
    expect(applied).toMatchObject({ ok: true, apply: true, applied: true, commit: { partitions: 6 } })
    expect(await committedOnDc2()).toEqual(['0', '0', '0'])
    // MirrorMaker 2's group offset sync may move an empty group's commit on a replica forward
    // (never back) to its own translation, the next record.
    const onReplica = (
      await withAdmin('dc2', (admin) => admin.fetchOffsets({ groupId: group, topics: [`dc1.${topic}`] }))
    )[0]!.partitions.sort((a, b) => a.partition - b.partition)
    for (const [i, p] of applied.partitions.filter((x) => x.topic === `dc1.${topic}`).entries()) {
      expect(BigInt(onReplica[i]!.offset)).toBeGreaterThanOrEqual(BigInt(p.offset))
      expect([String(consumed[i]! - 1), String(consumed[i])]).toContain(onReplica[i]!.offset)
    }
  })

  it('says what is wrong in one line, with the documented exit code and no stack trace', async () => {
    const unreachable = ['--cluster', 'dc1=127.0.0.1:1', '--cluster', 'dc2=127.0.0.1:2']
    const [
      badFlag,
      badFlagJson,
      unknownCommand,
      noClusters,
      unknownCluster,
      nothingReachable,
      targetUnreachable,
      unknownGroup,
      unknownGroupTranslate,
      debug,
    ] = await Promise.all([
      cli(['status', ...clusterFlags, '--grop', group]),
      cli(['status', ...clusterFlags, '--bogus', '--json']),
      cli(['stauts', ...clusterFlags]),
      cli(['status']),
      cli(['translate', ...clusterFlags, '--group', group, '--from', 'dc1', '--to', 'dc3']),
      cli(['status', ...unreachable, '--timeout', '5s']),
      cli([
        'translate',
        '--cluster',
        `dc1=${brokers.dc1!.join(',')}`,
        '--cluster',
        'dc2=127.0.0.1:2',
        '--group',
        group,
        '--from',
        'dc1',
        '--to',
        'dc2',
        '--timeout',
        '5s',
      ]),
      cli(['status', ...clusterFlags, '--group', unique('nobody')]),
      cli(['translate', ...clusterFlags, '--group', unique('nobody'), '--from', 'dc1', '--to', 'dc2']),
      cli(['status', ...unreachable, '--timeout', '2s', '--debug']),
    ])
    expectOneLine(badFlag, 2, "unknown option '--grop' (did you mean --group?)")
    expectOneLine(badFlagJson, 2, "unknown option '--bogus'")
    expect(JSON.parse(badFlagJson.stdout)).toEqual({
      ok: false,
      error: { code: 'ERR_USAGE', message: "unknown option '--bogus'; see kafkajs-dr --help" },
    })
    expectOneLine(unknownCommand, 2, "unknown command 'stauts' (did you mean status?)")
    expectOneLine(noClusters, 2, 'give the clusters with --cluster')
    expectOneLine(unknownCluster, 2, "--to: unknown cluster 'dc3'; the configured clusters are dc1, dc2")
    expectOneLine(
      nothingReachable,
      1,
      /^kafkajs-dr: no cluster can be reached: 'dc1' \(127\.0\.0\.1:1\): .*ECONNREFUSED.*; 'dc2' \(127\.0\.0\.1:2\): /,
    )
    expectOneLine(targetUnreachable, 1, /^kafkajs-dr: cannot reach cluster 'dc2' \(127\.0\.0\.1:2\): .*ECONNREFUSED/)
    expectOneLine(
      unknownGroup,
      1,
      /^kafkajs-dr: unknown group 'nobody-\S+': no cluster has members, committed offsets or checkpoints of it$/,
    )
    expectOneLine(
      unknownGroupTranslate,
      1,
      /^kafkajs-dr: unknown group 'nobody-\S+': no checkpoints of it on dc2 and no committed offsets on dc1 or dc2$/,
    )
    for (const run of [badFlag, unknownCommand, unknownGroup]) expect(run.stdout).toBe('')
    // --debug adds the stack trace (and kafkajs' own log, at WARN and above).
    expect(debug.code).toBe(1)
    expect(debug.stderr).toMatch(/^kafkajs-dr: no cluster can be reached/m)
    expect(debug.stderr).toMatch(/^CliCommandError: no cluster can be reached/m)
    expect(debug.stderr).toMatch(/^\s+at /m)
  })

  it('drill: one entry point with npm run drill (its usage, its own exit code for a wrong flag)', async () => {
    const [help, wrong] = await Promise.all([cli(['drill', '--help']), cli(['drill', '--fault', 'meteor'])])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('npm run drill -- [options]')
    expectOneLine(wrong, 2, '--fault: expected one of kill, hang, replication-stop, both')
  })

  describe('never prints a secret of the configuration', () => {
    const password = 'Sup3r-S3cret-Passw0rd-4711'
    const passphrase = 'tls-key-passphrase-0815'
    const keyLine = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj'
    let dir: string

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'kafkajs-dr-cli-secrets-'))
      // Unreachable clusters: every command fails, in every mode, and its errors must not tell.
      const sasl = { mechanism: 'scram-sha-512', username: 'app', password }
      const config = {
        clusters: {
          dc1: {
            kafka: {
              brokers: ['127.0.0.1:1'],
              sasl,
              ssl: { key: `-----BEGIN PRIVATE KEY-----\n${keyLine}\n-----END PRIVATE KEY-----\n`, passphrase },
            },
            priority: 1,
          },
          dc2: { kafka: { brokers: ['127.0.0.1:2'], sasl }, priority: 2 },
        },
      }
      await writeFile(join(dir, 'dr.json'), JSON.stringify(config))
      await writeFile(join(dir, 'dr.mjs'), `export default () => (${JSON.stringify(config)})`)
      // Broken files whose errors would quote the password, were they printed as they come.
      await writeFile(join(dir, 'broken.json'), `{ "clusters": { "dc1": { "kafka": { "sasl": { "password": "${password}" } } } }, }`)
      await writeFile(
        join(dir, 'broken.mjs'),
        `export default { clusters: { dc1: { kafka: { sasl: { password: '${password}' oops } } } } }`,
      )
      await writeFile(
        join(dir, 'invalid.mjs'),
        `export default { clusters: { dc1: { kafka: { brokers: ['x:1'], sasl: { password: '${password}' } }, priority: '${password}' } } }`,
      )
    })
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true })
    })

    it('in any command or mode, on success or failure', async () => {
      const commands = [
        ['status', '--group', 'g'],
        ['translate', '--group', 'g', '--from', 'dc1', '--to', 'dc2', '--apply'],
        ['declare', '--active', 'dc2', '--reason', 'r'],
      ]
      const runs = await Promise.all(
        commands.flatMap((command) => [
          cli([...command, '--config', join(dir, 'dr.json'), '--timeout', '3s']),
          cli([...command, '--config', join(dir, 'dr.mjs'), '--timeout', '3s', '--json', '--debug']),
        ]),
      )
      const broken = await Promise.all(
        ['broken.json', 'broken.mjs', 'invalid.mjs'].map((file) => cli(['status', '--config', join(dir, file), '--debug'])),
      )
      for (const run of [...runs, ...broken]) {
        const output = run.stdout + run.stderr
        expect(run.code, output).not.toBe(0)
        for (const secret of [password, passphrase, keyLine]) expect(output).not.toContain(secret)
      }
      expect(broken[0]!.stderr).toMatch(/is not valid JSON \(line 1, column \d+\)/)
      expect(broken[1]!.stderr).toContain('SyntaxError (run `node --check')
      expect(broken[2]!.stderr).toMatch(/invalid configuration .*clusters\.dc1\.priority.*\*\*\*/)
      for (const run of broken) expect(run.code).toBe(2)
    })

    // The bed in its security mode: the commands succeed over SASL_SSL with a real password.
    it.skipIf(bed().security !== 'sasl_ssl')('over SASL_SSL, in every command and mode', async () => {
      const configs = { dc1: bed().secureKafkaConfig('dc1', BED_ADMIN_USER), dc2: bed().secureKafkaConfig('dc2', BED_ADMIN_USER) }
      const secret = (configs.dc1.sasl as { password: string }).password
      expect(secret.length).toBeGreaterThanOrEqual(16)
      const file = join(dir, 'secure.json')
      await writeFile(
        file,
        JSON.stringify({ clusters: { dc1: { kafka: configs.dc1, priority: 1 }, dc2: { kafka: configs.dc2, priority: 2 } } }),
      )
      const flags = ['--config', file]
      const runs = await Promise.all([
        cli(['status', ...flags, '--group', group]),
        cli(['status', ...flags, '--group', group, '--json', '--debug']),
        cli(['translate', ...flags, '--group', group, '--from', 'dc1', '--to', 'dc2', '--json', '--debug']),
        cli(['declare', ...flags, '--active', 'dc1', '--control-topic', unique('cli-secure-control'), '--json', '--debug']),
      ])
      for (const run of runs) {
        expect(run.code, run.stderr).toBe(0)
        expect(run.stdout + run.stderr).not.toContain(secret)
      }
      expect(runs[0].stdout).toMatch(/dc1\s+up\s+1\s+/)
      expect(JSON.parse(runs[1].stdout)).toMatchObject({
        ok: true,
        active: 'dc1',
        clusters: [
          { name: 'dc1', health: 'up' },
          { name: 'dc2', health: 'up' },
        ],
      })
      expect(JSON.parse(runs[2].stdout)).toMatchObject({ ok: true, group, topics: [topic] })
      expect(JSON.parse(runs[3].stdout)).toMatchObject({
        ok: true,
        clusters: [
          { cluster: 'dc1', written: true },
          { cluster: 'dc2', written: true },
        ],
      })
    })
  })
})
