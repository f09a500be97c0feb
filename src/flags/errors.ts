/** The error of a command line that cannot run, shared by every command of the package. */

/**
 * A command line that cannot run: an unknown flag, a missing or malformed value, a flag given
 * twice. Its message names the flag and the fix, in one line; nothing was attempted (exit code 2).
 */
export class UsageError extends Error {
  /** The process exit code. */
  readonly exitCode: number = 2
}
UsageError.prototype.name = 'UsageError'
