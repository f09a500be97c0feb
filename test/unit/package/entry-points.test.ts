/**
 * The published entry point loads the way users load it: `import` (ESM) and, on Node versions
 * that load ES modules from `require()` (20.19+, 22.12+), `require`. Runs against a fresh build
 * of the package (fresh-package.ts).
 */
import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildFreshPackage, type FreshPackage } from './fresh-package.js'

let pkg: FreshPackage

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: pkg.dir, encoding: 'utf8' }).trim()
}

describe('package entry points (a fresh build)', () => {
  beforeAll(() => {
    pkg = buildFreshPackage()
  }, 120_000)

  afterAll(() => {
    pkg?.remove()
  })

  it('loads with import through the exports map', () => {
    expect(
      node([
        '--input-type=module',
        '-e',
        "const m = await import('kafkajs-dr'); console.log(typeof m.MultiClusterKafka, typeof m.KafkaDRError)",
      ]),
    ).toBe('function function')
  })

  it('loads with require on Node versions that load ES modules from require (20.19+)', () => {
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number]
    const supported = (major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major >= 23
    const script = "try { console.log(typeof require('kafkajs-dr').MultiClusterKafka) } catch (e) { console.log(e.code) }"
    // Older Node versions refuse with ERR_REQUIRE_ESM: the package is ESM-only.
    expect(node(['-e', script])).toBe(supported ? 'function' : 'ERR_REQUIRE_ESM')
  })
})
