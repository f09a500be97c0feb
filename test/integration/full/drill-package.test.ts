/**
 * `kafkajs-dr drill --config FILE` as a user runs it: the package built fresh, packed with
 * `npm pack` and installed with npm into an empty folder (with vega and vega-lite beside it, for the
 * picture), then its bin run against the bed over SASL_SSL as if the bed were the user's clusters.
 * The test plays the operator: when the drill asks, it kills dc1 (kill -9) and later starts it
 * again. The drill must exit 0 with a report that says 0 lost, the service having moved to dc2 and
 * back; the password must appear in none of its output and none of its files.
 *
 * npm installs the package's dependencies from its cache when it can (`--prefer-offline`), else
 * from the registry.
 */
import { execFile, spawn } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DrillReport } from '../../../src/drill/report.js'
import { CHART_FILE, REPORT_FILE } from '../../../src/drill/run-drill.js'
import { BED_ADMIN_USER } from '../../bed/bed.js'
import { buildFreshPackage } from '../../unit/package/fresh-package.js'
import { bed } from '../helpers.js'

const run = promisify(execFile)
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'

interface Drill {
  code: number | null
  stdout: string
  stderr: string
  /** The operator's actions, in order, with the drill's line that asked for each. */
  actions: string[]
}

describe.skipIf(bed().security !== 'sasl_ssl')('kafkajs-dr drill from an npm install, on the bed as your clusters over SASL_SSL', () => {
  let dir: string
  let bin: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kafkajs-dr-drill-package-'))
    const pkg = buildFreshPackage()
    try {
      await run(NPM, ['pack', '--pack-destination', dir, '--silent'], { cwd: pkg.dir })
    } finally {
      pkg.remove()
    }
    const tarball = (await readdir(dir)).find((f) => f.endsWith('.tgz'))!
    const app = join(dir, 'app')
    await mkdir(app)
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'drill-user', private: true }))
    const own = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      devDependencies: Record<string, string>
    }
    await run(
      NPM,
      [
        'install',
        join(dir, tarball),
        `vega@${own.devDependencies.vega}`,
        `vega-lite@${own.devDependencies['vega-lite']}`,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        '--loglevel=error',
      ],
      { cwd: app, timeout: 240_000 },
    )
    bin = join(app, 'node_modules', '.bin', 'kafkajs-dr')
  }, 300_000)

  afterAll(async () => {
    // Leave the bed whole for the next file.
    await bed().up()
    await rm(dir, { recursive: true, force: true })
  })

  /** Runs the installed `kafkajs-dr` with `args`, answering the drill's requests to stop and bring back dc1. */
  function drill(args: string[]): Promise<Drill> {
    return new Promise((resolve, reject) => {
      const env = { ...process.env }
      delete env.DEBUG
      // The bin as npm linked it (node follows the link), with this process's node.
      const child = spawn(process.execPath, [bin, ...args], { cwd: join(dir, 'app'), env, stdio: ['ignore', 'pipe', 'pipe'] })
      const result: Drill = { code: null, stdout: '', stderr: '', actions: [] }
      let operator = Promise.resolve()
      let pending = ''
      child.stdout.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8')
        result.stdout += text
        pending += text
        const lines = pending.split('\n')
        pending = lines.pop()!
        for (const line of lines) {
          if (/YOUR TURN: stop cluster dc1\b/.test(line)) {
            result.actions.push(`kill dc1 (${line.trim()})`)
            operator = operator.then(() => bed().kill('dc1'))
          } else if (/YOUR TURN: bring cluster dc1 back\b/.test(line)) {
            result.actions.push(`start dc1 (${line.trim()})`)
            operator = operator.then(() => bed().start('dc1'))
          }
        }
      })
      child.stderr.on('data', (chunk: Buffer) => {
        result.stderr += chunk.toString('utf8')
      })
      const timer = setTimeout(() => child.kill('SIGKILL'), 280_000)
      child.on('error', reject)
      child.on('close', (code) => {
        clearTimeout(timer)
        result.code = code
        operator.then(() => resolve(result), reject)
      })
    })
  }

  it("fails over to dc2 and back to dc1 with the operator's kill -9, loses nothing, and prints no secret", async () => {
    const configs = { dc1: bed().secureKafkaConfig('dc1', BED_ADMIN_USER), dc2: bed().secureKafkaConfig('dc2', BED_ADMIN_USER) }
    const password = (configs.dc1.sasl as { password: string }).password
    expect(password.length).toBeGreaterThanOrEqual(16)
    const config = join(dir, 'dr.config.json')
    await writeFile(
      config,
      JSON.stringify({ clusters: { dc1: { kafka: configs.dc1, priority: 1 }, dc2: { kafka: configs.dc2, priority: 2 } } }),
      { mode: 0o600 },
    )
    const outDir = join(dir, 'out')

    const started = Date.now()
    const result = await drill([
      'drill',
      '--config',
      config,
      '--fault',
      'kill',
      '--plain',
      '--rate',
      '100',
      '--warmup',
      '3s',
      '--outage',
      '5s',
      '--after',
      '2s',
      '--failback-delay',
      '2s',
      '--failback-timeout',
      '45s',
      '--drain-timeout',
      '60s',
      '--out',
      outDir,
    ])
    console.log(`packaged drill: exit ${result.code} in ${Date.now() - started} ms; operator: ${result.actions.join('; ')}`)
    if (result.code !== 0) console.log(`${result.stdout.slice(-4000)}\n${result.stderr.slice(-2000)}`)

    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.actions.map((a) => a.split(' (')[0])).toEqual(['kill dc1', 'start dc1'])
    expect(result.stdout).toContain('the drill started and stopped nothing on your clusters')
    const report = JSON.parse(await readFile(join(outDir, REPORT_FILE), 'utf8')) as DrillReport
    expect(report.lost).toBe(0)
    expect(report.ok).toBe(true)
    expect(report.environment).toMatchObject({
      kind: 'your-clusters',
      clusters: [
        { name: 'dc1', brokers: configs.dc1.brokers },
        { name: 'dc2', brokers: configs.dc2.brokers },
      ],
    })
    expect(report.fault).toMatchObject({ kind: 'kill', cluster: 'dc1', survivor: 'dc2', timing: 'observed' })
    expect(report.records.acknowledged).toBeGreaterThan(100 * 5)
    expect(report.timeline.some((e) => e.type === 'failover:start' && e.to === 'dc2')).toBe(true)
    expect(report.timeline.some((e) => e.type === 'failback' && e.to === 'dc1')).toBe(true)
    expect(report.activeCluster.at(-1)!.cluster).toBe('dc1')
    const svg = await readFile(join(outDir, CHART_FILE), 'utf8')
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg).toContain('switch to dc2')
    for (const text of [result.stdout, result.stderr, JSON.stringify(report), svg]) expect(text).not.toContain(password)
  }, 300_000)
})
