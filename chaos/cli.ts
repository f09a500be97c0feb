/**
 * `npm run chaos [-- --quick] [--only 1,4] [--out DIR] [--markdown FILE]`: every chaos scenario on
 * the local bed, a table at the end; exits 1 when a scenario failed, 2 for a wrong flag, 130 after
 * Ctrl-C (which stops the scenario under way and puts the bed back).
 */
import { pathToFileURL } from 'node:url'
import { readFlags, UsageError } from '../src/flags/index.js'
import { runChaos, type ChaosOptions } from './run-chaos.js'
import { SCENARIOS } from './scenarios.js'

const USAGE = `npm run chaos -- [--quick] [--only N[,N...]] [--out DIR] [--markdown FILE]

Runs each chaos scenario as a drill on the local bed and prints a table:
${SCENARIOS.map((s) => `  ${s.id}. ${s.title}`).join('\n')}

  --quick          the short form of each scenario (a few minutes in all; what CI runs)
  --only N,...     only these scenarios
  --out DIR        folder for each scenario's drill report and picture (default: chaos-out)
  --markdown FILE  also write the table as a Markdown page (e.g. docs/chaos.md)
`

const FLAGS = {
  '--quick': { value: false },
  '--only': { value: true },
  '--out': { value: true },
  '--markdown': { value: true },
  '--help': { value: false, repeat: true, short: 'h' },
} as const

/** Reads the flags (util.parseArgs, src/flags); throws a UsageError for a wrong one. */
export function parseChaosArgs(argv: readonly string[]): ChaosOptions | 'help' {
  const { values, switches } = readFlags(argv, FLAGS, { hint: 'see npm run chaos -- --help' })
  if (switches.has('--help')) return 'help'
  const only = values.get('--only')?.[0]
  return {
    quick: switches.has('--quick'),
    only:
      only === undefined
        ? []
        : only.split(',').map((id) => {
            const n = Number(id)
            if (!SCENARIOS.some((s) => s.id === n))
              throw new UsageError(`--only: no scenario '${id}' (there are ${SCENARIOS.map((s) => s.id).join(', ')})`)
            return n
          }),
    outDir: values.get('--out')?.[0] ?? 'chaos-out',
    markdown: values.get('--markdown')?.[0],
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let options
  try {
    options = parseChaosArgs(argv)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    process.stderr.write(`chaos: ${error.message}\n`)
    return 2
  }
  if (options === 'help') {
    process.stdout.write(USAGE)
    return 0
  }
  const controller = new AbortController()
  const onInterrupt = (): void => controller.abort()
  process.on('SIGINT', onInterrupt)
  process.on('SIGTERM', onInterrupt)
  const log = (line: string): void => {
    process.stdout.write(`${line}\n`)
  }
  try {
    const run = await runChaos(options, log, controller.signal)
    return run.passed ? 0 : 1
  } catch (error) {
    if (controller.signal.aborted) return 130
    process.stderr.write(`chaos: ${error instanceof Error ? error.message : String(error)}\n`)
    return 1
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // Clients left to finish in the background must not keep the process alive at the end.
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error)
      process.exit(1)
    },
  )
}
