/**
 * `npm run drill`: the disaster drill from a clone of the repository. The command of
 * `kafkajs-dr drill` (src/cli/drill.ts), with the local bed where no clusters are given: the same
 * flags, and exits 0 when no acknowledged record was lost, 1 when one was (or the drill failed),
 * 2 for a wrong flag, 130 after Ctrl-C. The first Ctrl-C stops the drill and puts back what it
 * changed; a second one exits at once.
 */
import { pathToFileURL } from 'node:url'
import { drillCommand } from '../src/cli/drill.js'
import { runDrillWithBed } from './run-drill.js'

/** Runs the command with `argv` (without node and the script); resolves with the exit code. */
export function main(argv: readonly string[]): Promise<number> {
  return drillCommand(argv, {
    name: 'drill',
    hint: 'see npm run drill -- --help',
    run: runDrillWithBed,
    withoutClusters: true,
    afterSecondInterrupt: ' (run `npm run bed:down` if the bed was left running)',
  })
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
