/**
 * `kafkajs-dr drill`: the disaster drill of `npm run drill`, one entry point for both.
 *
 * The drill lives in the repository's `drill/` folder, outside the published package: it runs
 * the local two-datacenter bed of `test/bed/` (Kafka jars fetched with Maven, MirrorMaker 2, a
 * supervisor), which is no part of a library install. So the command runs it when the CLI runs
 * from a clone of the repository (`npm run cli -- drill`, or `dist/cli/main.js` after a build):
 * as `npm run drill` does, with tsx, in the clone's folder (where the bed keeps its state), every
 * argument after the word `drill` passed on. From an installed package it says where the drill
 * is, and exits 1.
 *
 * @module
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { CliCommandError } from './errors.js'

/** Where the drill's entry point is in a clone, relative to the package's root. */
const DRILL_ENTRY = 'drill/cli.ts'

/** The clone's root and the tsx loader, when the CLI runs from a clone with its dev dependencies. */
export function locateDrill(root = fileURLToPath(new URL('../../', import.meta.url))): { root: string, entry: string, loader: string | undefined } | undefined {
  const entry = `${root}${DRILL_ENTRY}`
  if (!existsSync(entry)) return undefined
  let loader: string | undefined
  try {
    loader = createRequire(`${root}package.json`).resolve('tsx')
  } catch {
    loader = undefined
  }
  return { root, entry, loader }
}

/** Runs the drill with `argv`; resolves with its exit code. */
export async function drill(argv: readonly string[]): Promise<number> {
  const found = locateDrill()
  if (found === undefined) {
    throw new CliCommandError('ERR_DRILL_UNAVAILABLE', 'the drill runs from a clone of the kafkajs-dr repository, with the local two-datacenter bed it needs (Java 17+, Maven): clone it, then npm install && npm run drill')
  }
  if (found.loader === undefined) {
    throw new CliCommandError('ERR_DRILL_UNAVAILABLE', `the drill needs the repository's development dependencies (tsx): run npm install in ${found.root}`)
  }
  const child = spawn(process.execPath, ['--import', pathToFileURL(found.loader).href, found.entry, ...argv], { cwd: found.root, stdio: 'inherit' })
  // Ctrl-C reaches the drill from the terminal (the whole process group): it stops and puts back
  // what it changed, and this process waits for it. A SIGTERM sent to this process alone is passed on.
  const onInterrupt = (): void => {}
  const onTerminate = (): void => { child.kill('SIGTERM') }
  process.on('SIGINT', onInterrupt)
  process.on('SIGTERM', onTerminate)
  try {
    return await new Promise<number>((resolve, reject) => {
      child.on('error', reject)
      child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)))
    })
  } finally {
    process.off('SIGINT', onInterrupt)
    process.off('SIGTERM', onTerminate)
  }
}
