/**
 * A fresh build of the published package in a folder of its own: `dist/` compiled from today's
 * sources with the build's tsconfig, `package.json` beside it, and a `node_modules` that links the
 * installed packages (all of them, or all but those `without` names). The package tests run
 * against it, never against a `dist/` left by an earlier build, however they are started.
 */
import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../..', import.meta.url))

/** A built copy of the package; `remove()` deletes it. */
export interface FreshPackage {
  /** The package's folder (its `package.json`, `dist/`, `node_modules/`). */
  dir: string
  dist: string
  remove: () => void
}

/** Builds the package into a new temporary folder (about 10 s: one `tsc`). */
export function buildFreshPackage(options: { without?: string[] } = {}): FreshPackage {
  const parent = mkdtempSync(join(tmpdir(), 'kafkajs-dr-package-'))
  const dir = join(parent, 'kafkajs-dr')
  const dist = join(dir, 'dist')
  execFileSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', dist],
    { cwd: root, stdio: 'pipe' },
  )
  cpSync(join(root, 'package.json'), join(dir, 'package.json'))
  mkdirSync(join(dir, 'node_modules'))
  // Linked one by one, so that a package can be left out (Node resolves a linked file from its
  // real path, so dist/ itself is compiled here rather than linked).
  for (const entry of readdirSync(join(root, 'node_modules'))) {
    if (entry.startsWith('.') || options.without?.includes(entry)) continue
    symlinkSync(join(root, 'node_modules', entry), join(dir, 'node_modules', entry))
  }
  return { dir, dist, remove: () => rmSync(parent, { recursive: true, force: true }) }
}
