/**
 * `npm run drill`: the disaster drill from the command line. Reads the flags, runs the drill,
 * and exits 0 when no acknowledged record was lost, 1 when one was (or the drill failed), 2 for a
 * wrong flag, 130 after Ctrl-C. The first Ctrl-C stops the drill and puts back what it changed;
 * a second one exits at once.
 */
import { pathToFileURL } from 'node:url'
import { MissingPrerequisiteError } from '../test/bed/classpath.js'
import { DrillUsageError, USAGE, parseArgs } from '../src/drill/options.js'
import { runDrillWithBed } from './run-drill.js'

/** Signals this close to the first Ctrl-C are the same Ctrl-C, relayed. */
const SAME_INTERRUPT_MS = 1500

/** Runs the command with `argv` (without node and the script); resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs(argv)
  } catch (error) {
    if (!(error instanceof DrillUsageError)) throw error
    process.stderr.write(`drill: ${error.message}\n`)
    return 2
  }
  if (parsed.help) {
    process.stdout.write(USAGE)
    return 0
  }
  const controller = new AbortController()
  let interruptedAt = 0
  const onInterrupt = (): void => {
    // One Ctrl-C can arrive more than once: the terminal signals the whole process group, and npm
    // and tsx relay it to this process as well. A second one counts only a moment later.
    if (controller.signal.aborted && Date.now() - interruptedAt < SAME_INTERRUPT_MS) return
    if (controller.signal.aborted) {
      process.stderr.write('\ndrill: second Ctrl-C, exiting now (run `npm run bed:down` if the bed was left running)\n')
      process.exit(130)
    }
    process.stderr.write('\ndrill: Ctrl-C, stopping...\n')
    interruptedAt = Date.now()
    controller.abort()
  }
  process.on('SIGINT', onInterrupt)
  process.on('SIGTERM', onInterrupt)
  try {
    const { exitCode } = await runDrillWithBed(parsed.options, { signal: controller.signal })
    return exitCode
  } catch (error) {
    if (controller.signal.aborted) return 130
    process.stderr.write(`drill: ${error instanceof MissingPrerequisiteError || error instanceof Error ? error.message : String(error)}\n`)
    return 1
  } finally {
    process.off('SIGINT', onInterrupt)
    process.off('SIGTERM', onInterrupt)
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      // Clients left to finish in the background (a hung broker's sockets) must not keep the
      // process alive once the drill is over.
      process.exit(code)
    },
    (error: unknown) => {
      console.error(error)
      process.exit(1)
    },
  )
}
