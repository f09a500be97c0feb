/**
 * vega and vega-lite, which draw the drill's picture, are optional peer dependencies: the package's
 * command and its drill must load where they are not installed, and say what to install for the
 * picture. Runs against a fresh build of the package whose `node_modules` holds every installed
 * package but those two.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildFreshPackage, type FreshPackage } from './fresh-package.js'

let pkg: FreshPackage

describe('without vega and vega-lite installed (a fresh build)', () => {
  beforeAll(() => {
    pkg = buildFreshPackage({ without: ['vega', 'vega-lite'] })
  }, 120_000)

  afterAll(() => {
    pkg?.remove()
  })

  it('imports neither statically anywhere', () => {
    const files = readdirSync(pkg.dist, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && e.name.endsWith('.js'))
      .map((e) => join(e.parentPath, e.name))
    for (const file of files) {
      const code = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '')
      expect(code, relative(pkg.dist, file)).not.toMatch(/\b(?:import|export)\b[^;]*?\bfrom\s*['"]vega(?:-lite)?['"]/)
    }
  })

  it('runs kafkajs-dr drill --help, and the picture says what to install', () => {
    const help = execFileSync(process.execPath, [join(pkg.dist, 'cli', 'main.js'), 'drill', '--help'], { cwd: pkg.dir, encoding: 'utf8' })
    expect(help).toContain('kafkajs-dr drill --config FILE [options]')
    const chart = pathToFileURL(join(pkg.dist, 'drill', 'chart.js')).href
    const script = `const { renderChart } = await import(${JSON.stringify(chart)}); renderChart({}).then(() => console.log('drawn'), (e) => console.log(e.message))`
    expect(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: pkg.dir, encoding: 'utf8' }).trim()).toBe(
      'the picture needs vega and vega-lite, optional peer dependencies of kafkajs-dr: npm install vega vega-lite',
    )
  })
})
