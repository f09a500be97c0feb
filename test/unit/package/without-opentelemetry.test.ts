/**
 * `@opentelemetry/api` is an optional peer dependency: the published package must load, and work,
 * where it is not installed. Runs against a fresh build of the package whose `node_modules` holds
 * every installed package but `@opentelemetry/*`, so that nothing resolves the API from there, and
 * no `.js` file of its dist/ imports it statically.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildFreshPackage, type FreshPackage } from './fresh-package.js'

let pkg: FreshPackage
let dist: string
let copy: string

/** Every `.js` file under `dir`. */
function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => join(e.parentPath, e.name))
}

describe('without @opentelemetry/api installed (a fresh build)', () => {
  beforeAll(() => {
    pkg = buildFreshPackage({ without: ['@opentelemetry'] })
    dist = pkg.dist
    copy = pkg.dir
  }, 120_000)

  afterAll(() => {
    pkg?.remove()
  })

  it('has no static or dynamic import of @opentelemetry in any module, and loads the API only in metrics/instrument.js', () => {
    const mentions: string[] = []
    for (const file of jsFiles(dist)) {
      // Comments left out: TSDoc examples show imports of the API.
      const code = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '')
      expect(code, relative(dist, file)).not.toMatch(/\b(?:import|export)\b[^;]*?\bfrom\s*['"]@opentelemetry\//)
      expect(code, relative(dist, file)).not.toMatch(/\bimport\s*\(\s*['"]@opentelemetry\//)
      expect(code, relative(dist, file)).not.toMatch(/^\s*import\s*['"]@opentelemetry\//m)
      if (/\(\s*['"]@opentelemetry\/api['"]\s*\)/.test(code)) mentions.push(relative(dist, file))
    }
    expect(mentions).toEqual([join('metrics', 'instrument.js')])
  })

  it('imports kafkajs-dr, and instrumentMetrics works with a given meter and explains a missing API', () => {
    const script = `
      import { createRequire } from 'node:module'
      const m = await import('kafkajs-dr')
      let api
      try { createRequire(process.cwd() + '/')('@opentelemetry/api'); api = 'found' } catch (e) { api = e.code }
      const dr = new m.MultiClusterKafka({ clusters: { dc1: { kafka: { brokers: ['127.0.0.1:1'] } } } })
      let missing
      try { m.instrumentMetrics(dr) } catch (e) { missing = { name: e.name, code: e.code, path: e.path, message: e.message } }
      const calls = []
      const instrument = { add() {}, record() {} }
      const meter = {
        createCounter: (name) => { calls.push(name); return instrument },
        createHistogram: (name) => { calls.push(name); return instrument },
        createObservableGauge: (name) => { calls.push(name); return {} },
        addBatchObservableCallback: () => calls.push('add callback'),
        removeBatchObservableCallback: () => calls.push('remove callback'),
      }
      m.instrumentMetrics(dr, { meter }).stop()
      console.log(JSON.stringify({ api, missing, calls }))
    `
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: copy, encoding: 'utf8' })
    const result = JSON.parse(out.trim()) as {
      api: string
      missing: { name: string; code: string; path: string; message: string }
      calls: string[]
    }
    expect(result.api).toBe('MODULE_NOT_FOUND')
    expect(result.missing).toMatchObject({ name: 'InvalidOptionError', code: 'ERR_INVALID_OPTION', path: 'metrics.meter' })
    expect(result.missing.message).toContain('npm install @opentelemetry/api')
    expect(result.calls).toContain('kafkajs_dr.cluster.active')
    expect(result.calls).toHaveLength(9 + 2)
    expect(result.calls.slice(-2)).toEqual(['add callback', 'remove callback'])
  })
})
