/**
 * `npm run chaos [-- --quick] [--only 1,4] [--out DIR] [--markdown FILE]`: every chaos scenario on
 * the local bed, a table at the end; exits 1 when a scenario failed, 2 for a wrong flag, 130 after
 * Ctrl-C (which stops the scenario under way and puts the bed back).
 */
import { pathToFileURL } from 'node:url'
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

/** A wrong flag. */
class ChaosUsageError extends Error {
  override name = 'ChaosUsageError'
}

/** Reads the flags. */
export function parseChaosArgs(argv: readonly string[]): ChaosOptions | 'help' {
  const options: ChaosOptions = { quick: false, only: [], outDir: 'chaos-out', markdown: undefined }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!
    const value = (): string => {
      const v = argv[++i]
      if (v === undefined || v.startsWith('--')) throw new ChaosUsageError(`${flag} needs a value`)
      return v
    }
    switch (flag) {
      case '--quick': options.quick = true; break
      case '--only':
        options.only = value().split(',').map((id) => {
          const n = Number(id)
          if (!SCENARIOS.some((s) => s.id === n)) throw new ChaosUsageError(`--only: no scenario '${id}' (there are ${SCENARIOS.map((s) => s.id).join(', ')})`)
          return n
        })
        break
      case '--out': options.outDir = value(); break
      case '--markdown': options.markdown = value(); break
      case '--help': case '-h': return 'help'
      default: throw new ChaosUsageError(`unknown option '${flag}' (see npm run chaos -- --help)`)
    }
  }
  return options
}

async function main(argv: readonly string[]): Promise<number> {
  let options
  try {
    options = parseChaosArgs(argv)
  } catch (error) {
    if (!(error instanceof ChaosUsageError)) throw error
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
  const log = (line: string): void => { process.stdout.write(`${line}\n`) }
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
  main(process.argv.slice(2)).then((code) => process.exit(code), (error: unknown) => {
    console.error(error)
    process.exit(1)
  })
}
