/**
 * The CLI's own errors. Everything the library throws is a `KafkaDRError`; the CLI adds two small
 * classes for what only a command line has: a command line it cannot run (exit 2) and a command
 * that ran and failed for a reason it states in one line (exit 1). Neither is part of the
 * package's public API.
 *
 * @module
 */

/** Exit codes of the `kafkajs-dr` command. */
export const EXIT = {
  /** The command did what it was asked. */
  ok: 0,
  /** The command failed: a cluster could not be reached, an unknown group, a refused commit, a declaration no cluster took. */
  failure: 1,
  /** The command line or the configuration is wrong: nothing was attempted. */
  usage: 2,
  /** Interrupted by Ctrl-C. */
  interrupted: 130,
} as const

/**
 * A command line the CLI cannot run: an unknown command or flag, a missing or malformed value, an
 * unknown cluster name, a configuration file that cannot be read or is invalid. Exit code 2. The
 * usage error of every command line of the package (`src/flags/`), the drill's included.
 */
export { UsageError as CliUsageError } from '../flags/errors.js'

/**
 * A command that ran and failed for a reason its message states in one line (an unknown group,
 * no cluster reachable). Exit code 1. `result` (and `text`, for people) is what the command had
 * found when it failed: `translate --apply` refused by a group with members still shows the
 * translation.
 */
export class CliCommandError extends Error {
  /** The process exit code. */
  readonly exitCode: number = EXIT.failure
  /** What the command had found when it failed (for `--json`). */
  readonly result: unknown
  /** The same for people, printed on stdout before the error's line. */
  readonly text: string | undefined
  /** A short stable code for `--json` (`ERR_UNKNOWN_GROUP`, `ERR_UNREACHABLE`, ...). */
  readonly code: string

  constructor(code: string, message: string, options: { cause?: unknown; result?: unknown; text?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.result = options.result
    this.text = options.text
  }
}
CliCommandError.prototype.name = 'CliCommandError'
