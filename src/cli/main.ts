#!/usr/bin/env node
/**
 * `kafkajs-dr`, the package's command (its `bin`): `status`, `translate`, `declare` and `drill`.
 * Reads the command line, loads the clusters, runs the command and prints a table, or one JSON
 * document with `--json`. A failure is one line on stderr (`kafkajs-dr: ...`) and, with `--json`,
 * `{ "ok": false, "error": { "code", "message" } }` on stdout; a stack trace only with `--debug`.
 *
 * Exit codes: 0 done; 1 failed (a cluster unreachable, an unknown group, a refused commit, a
 * declaration no cluster took); 2 a wrong command line or configuration (nothing attempted); the
 * drill's own codes for `drill` (`drill.ts`: 1 when an acknowledged record was lost).
 *
 * No secret of the configuration is printed: the CLI prints no configuration value, and every
 * write to stdout and stderr is scrubbed of the configuration's secrets (`redact.ts`).
 *
 * @module
 */
import { readFileSync, realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import createDebug from 'debug'
import { KafkaDRError } from '../errors/index.js'
import { causeChain } from '../errors/cause-chain.js'
import { parseCommandLine } from './args.js'
import type { CommandLine, GlobalOptions } from './types.js'
import { CliClusters } from './clusters.js'
import { loadConfig } from './config.js'
import { declare, formatDeclare } from './declare.js'
import { drillCommand } from './drill.js'
import { CliCommandError, CliUsageError, EXIT } from './errors.js'
import { json, short } from './output.js'
import { installRedaction, Redactor } from './redact.js'
import { formatStatus, status } from './status.js'
import { formatTranslate, translate } from './translate.js'
import { USAGE } from './usage.js'

const NAME = 'kafkajs-dr'

/** Runs the command line `argv` (without node and the script); resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const wantsJson = argv.includes('--json')
  let line: CommandLine
  try {
    line = parseCommandLine(argv)
  } catch (error) {
    return fail(error, { json: wantsJson, debug: argv.includes('--debug'), command: undefined })
  }
  switch (line.kind) {
    case 'help':
      process.stdout.write(USAGE[line.command ?? 'main'])
      return EXIT.ok
    case 'version':
      process.stdout.write(`${version()}\n`)
      return EXIT.ok
    case 'drill':
      try {
        return await drillCommand(line.argv)
      } catch (error) {
        return fail(error, { json: false, debug: false, command: 'drill' })
      }
    default:
      return run(line, line.global)
  }
}

async function run(line: Exclude<CommandLine, { kind: 'help' | 'version' | 'drill' }>, global: GlobalOptions): Promise<number> {
  const context = { json: global.json, debug: global.debug, command: line.kind }
  let clusters: CliClusters | undefined
  try {
    const config = await loadConfig(global)
    // Before anything can print (an invalid option's message may hold a value), and for the rest
    // of the process: kafkajs may still log while its clients close.
    installRedaction(new Redactor(config.secrets))
    if (global.debug) createDebug.enable([process.env.DEBUG, 'kafkajs-dr:*'].filter(Boolean).join(','))
    clusters = CliClusters.create(config, global)
    let result: { command: string }
    let text: string
    if (line.kind === 'status') {
      const report = await status(clusters, line.options, global)
      result = report
      text = formatStatus(report)
    } else if (line.kind === 'translate') {
      const report = await translate(clusters, line.options, global)
      result = report
      text = formatTranslate(report)
    } else {
      const report = await declare(clusters, line.options, global)
      result = report
      text = formatDeclare(report)
    }
    process.stdout.write(global.json ? json({ ok: true, ...result }) : text)
    return EXIT.ok
  } catch (error) {
    return fail(error, context)
  } finally {
    await clusters?.close()
  }
}

/** Prints the error: one line on stderr (and the JSON document on stdout with `--json`); returns the exit code. */
function fail(error: unknown, context: { json: boolean; debug: boolean; command: string | undefined }): number {
  const exitCode = error instanceof CliUsageError || error instanceof CliCommandError ? error.exitCode : EXIT.failure
  const code =
    error instanceof CliCommandError || error instanceof KafkaDRError
      ? error.code
      : error instanceof CliUsageError
        ? 'ERR_USAGE'
        : 'ERR_UNEXPECTED'
  const known = error instanceof CliUsageError || error instanceof CliCommandError || error instanceof KafkaDRError
  const message = oneLine(error instanceof Error ? error.message : String(error))
  const text = known
    ? message
    : `unexpected error: ${error instanceof Error ? `${error.name}: ` : ''}${message} (run again with --debug for the stack trace)`
  if (error instanceof CliCommandError && error.text !== undefined && !context.json) process.stdout.write(error.text)
  if (context.json) {
    const result = error instanceof CliCommandError && error.result !== undefined ? { result: error.result } : {}
    process.stdout.write(
      json({ ok: false, ...(context.command === undefined ? {} : { command: context.command }), error: { code, message }, ...result }),
    )
  }
  process.stderr.write(`${NAME}: ${text}\n`)
  if (context.debug) process.stderr.write(stackOf(error))
  return exitCode
}

function oneLine(text: string): string {
  return short(text, 1000)
}

/**
 * The stack of an error and of the errors it wraps: each one's name, message and `at` frames only.
 * Node decorates the stack of a syntax error with the source line, which could be a secret.
 */
function stackOf(error: unknown): string {
  return causeChain(error, 8)
    .map((e, i) => {
      if (!(e instanceof Error)) return `${i === 0 ? '' : 'caused by: '}${String(e)}\n`
      const frames = (e.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l))
      return `${i === 0 ? '' : 'caused by: '}${e.name}: ${oneLine(e.message)}\n${frames.join('\n')}${frames.length > 0 ? '\n' : ''}`
    })
    .join('')
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }
    return pkg.version ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

/** Whether this module is the process's entry point (also through npm's bin symlink). */
function isEntryPoint(): boolean {
  const script = process.argv[1]
  if (script === undefined) return false
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (isEntryPoint()) {
  // The library's timers do not keep a process alive (unref): this one does, until the command is done.
  const keepAlive = setInterval(() => {}, 60_000)
  main(process.argv.slice(2))
    .finally(() => clearInterval(keepAlive))
    .then(
      (code) => {
        // Clients left to finish in the background (a hung broker's sockets) must not keep the
        // process alive once the command is done; stdout is flushed first.
        process.stdout.write('', () => process.exit(code))
      },
      (error: unknown) => {
        process.stderr.write(`${NAME}: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`)
        process.exit(EXIT.failure)
      },
    )
}
