/**
 * A test application compiled to one JavaScript file, as services run in production: started
 * with plain `node`, it is up in about 0.25 s where `node --import tsx` takes over 1 s (more under
 * load), and start-up is part of what the restart tests measure.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildSync } from 'esbuild'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
/** Inside the project, so that the bundle's imports of kafkajs and the like resolve. */
const OUT_DIR = join(ROOT, 'node_modules', '.cache', 'kafkajs-dr-apps')

const bundles = new Map<string, string>()

/** The path of `script` bundled (packages left as imports), built once per content. */
export function bundledApp(script: string): string {
  const known = bundles.get(script)
  if (known !== undefined) return known
  const { outputFiles } = buildSync({
    entryPoints: [script],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    write: false,
    logLevel: 'warning',
  })
  const code = outputFiles[0]!.contents
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16)
  const path = join(OUT_DIR, `${basename(script, '.ts')}-${hash}.mjs`)
  if (!existsSync(path)) {
    mkdirSync(OUT_DIR, { recursive: true })
    // Written aside and renamed: another test process may be writing the same bundle.
    const aside = `${path}.${process.pid}.tmp`
    writeFileSync(aside, code)
    renameSync(aside, path)
  }
  bundles.set(script, path)
  return path
}
