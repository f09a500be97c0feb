/**
 * `npm run test:node -- [--majors 22,24] [--unit-only]`: the unit tests, the examples and a
 * consumer group's kill -9 failover (its instance processes on the same Node.js) under other
 * Node.js versions, each the newest release of its major from the npm registry (node-binary.ts).
 * The bed is started once for all of them (and stopped after, if this started it). Prints one
 * line per version and exits 1 if any test failed, 2 for a wrong flag.
 */
import { spawn } from 'node:child_process'
import { dirname, delimiter } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { integrationBed } from '../bed/global-setup.js'
import { nodeBinary } from './node-binary.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const VITEST = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url))
/** What runs under each version besides the unit tests: the examples, and a group's failover. */
const INTEGRATION_FILES = ['test/integration/examples.test.ts', 'test/integration/consumer-group.test.ts']

/** What the flags ask for. */
export interface NodeVersionsArgs {
  majors: number[]
  unitOnly: boolean
}

/** Reads the flags; throws on a wrong one. */
export function parseNodeVersionsArgs(argv: readonly string[]): NodeVersionsArgs {
  const args: NodeVersionsArgs = { majors: [22, 24], unitOnly: false }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    if (flag === '--unit-only') args.unitOnly = true
    else if (flag === '--majors') {
      const text = argv[++i] ?? ''
      const majors = text.split(',').map(Number)
      if (text === '' || majors.some((m) => !Number.isInteger(m) || m < 20))
        throw new Error(`--majors: Node.js majors of 20 or later, comma-separated (e.g. 22,24), got '${text}'`)
      args.majors = majors
    } else throw new Error(`unknown option '${flag}' (usage: npm run test:node -- [--majors 22,24] [--unit-only])`)
  }
  return args
}

/** Runs vitest under `node`; resolves with its exit code and how long it took. */
function vitest(node: string, args: readonly string[]): Promise<{ code: number; ms: number }> {
  const started = Date.now()
  // The version's own directory first on PATH: whatever the tests start by name runs on it too.
  const env = { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ''}` }
  return new Promise((resolve) => {
    const child = spawn(node, [VITEST, 'run', ...args], { cwd: ROOT, env, stdio: 'inherit' })
    child.once('exit', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), ms: Date.now() - started }))
  })
}

async function main(argv: readonly string[]): Promise<number> {
  let args
  try {
    args = parseNodeVersionsArgs(argv)
  } catch (error) {
    process.stderr.write(`test:node: ${(error as Error).message}\n`)
    return 2
  }
  const binaries = []
  for (const major of args.majors) binaries.push(await nodeBinary(major))
  const lines: string[] = []
  let failed = false
  for (const { version, path } of binaries) {
    const unit = await vitest(path, ['--project', 'unit'])
    failed ||= unit.code !== 0
    lines.push(`Node ${version}: unit tests ${unit.code === 0 ? 'passed' : 'FAILED'} (${(unit.ms / 1000).toFixed(0)} s)`)
  }
  if (!args.unitOnly) {
    // The integration projects' own bed, so that each vitest run below reuses it as it is.
    const bed = integrationBed()
    const startedBed = bed.canInjectFaults && !bed.isUp()
    try {
      await bed.up()
      for (const { version, path } of binaries) {
        const integration = await vitest(path, ['--project', 'integration', ...INTEGRATION_FILES])
        failed ||= integration.code !== 0
        lines.push(
          `Node ${version}: examples and a group's kill -9 failover ${integration.code === 0 ? 'passed' : 'FAILED'} (${(integration.ms / 1000).toFixed(0)} s)`,
        )
      }
    } finally {
      if (startedBed) await bed.down()
    }
  }
  process.stdout.write(`\n${lines.join('\n')}\n`)
  return failed ? 1 : 0
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  void main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`test:node: ${error instanceof Error ? error.message : String(error)}\n`)
      process.exit(1)
    },
  )
}
