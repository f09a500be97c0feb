/**
 * The bed's processes (the JVMs and the Node.js supervisor of MirrorMaker 2): started detached
 * (they outlive `npm run bed:up`), remembered by pid file, and recognised by a marker argument so
 * that a reused pid is never mistaken for ours and `down --all` can find strays from another
 * checkout.
 */
import { spawn } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { readdirSync } from 'node:fs'
import { basename } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'

/**
 * Argument every bed process carries: `-Dkafkajs-dr.bed=<state dir>#<process name>` (a system
 * property for a JVM; an ignored argument for the Node.js supervisor).
 */
export const MARKER = '-Dkafkajs-dr.bed='

/** What the OS says of a bed process. */
export type ProcessState = 'running' | 'paused' | 'stopped'

/** A JVM process of the bed. */
export interface JvmSpec {
  /** Process name: dc1, dc2, mm2. */
  name: string
  /** Folder of the bed's state (pid files, logs, data). */
  stateDir: string
  classpath: string
  mainClass: string
  args: string[]
  /** Extra JVM options (heap, log4j). */
  jvmOptions: string[]
  logFile: string
}

function pidFile(stateDir: string, name: string): string {
  return `${stateDir}/${name}.pid`
}

function markerOf(stateDir: string, name: string): string {
  return `${MARKER}${stateDir}#${name}`
}

/** A Node.js process of the bed (the supervisor): `node <nodeOptions> <script> <marker> <args>`. */
export interface NodeSpec {
  name: string
  stateDir: string
  script: string
  /** Options for node itself, e.g. `--import <loader>` to run TypeScript. */
  nodeOptions: string[]
  args: string[]
  env: NodeJS.ProcessEnv
  logFile: string
}

/** The process's arguments, argv[0] first (undefined when it is gone or not readable). */
function argvOf(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    return raw.split('\0').filter((arg, i, all) => arg !== '' || i < all.length - 1)
  } catch {
    return undefined
  }
}

/** Only JVMs and Node.js carry the marker as an argument of their own; a shell or grep that merely mentions it is not ours. */
function isBedRuntime(argv: string[]): boolean {
  const program = basename(argv[0] ?? '')
  return program === 'java' || program.startsWith('node')
}

function osState(pid: number): ProcessState {
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; the state letter follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    if (state === 'Z' || state === 'X') return 'stopped'
    return state === 'T' || state === 't' ? 'paused' : 'running'
  } catch {
    return 'stopped'
  }
}

/** The pid of the bed process `name` if it is alive (running or paused), else undefined. */
export function livePid(stateDir: string, name: string): number | undefined {
  const pid = recordedPid(stateDir, name)
  if (pid === undefined) return undefined
  const argv = argvOf(pid)
  if (argv === undefined || !isBedRuntime(argv) || !argv.includes(markerOf(stateDir, name))) return undefined
  return osState(pid) === 'stopped' ? undefined : pid
}

/**
 * The pid a bed process was started with, while its pid file is there: only a stop by the bed
 * removes that file, so a pid here whose process is gone died on its own.
 */
export function recordedPid(stateDir: string, name: string): number | undefined {
  const file = pidFile(stateDir, name)
  if (!existsSync(file)) return undefined
  const pid = Number(readFileSync(file, 'utf8').trim())
  return Number.isInteger(pid) && pid > 0 ? pid : undefined
}

/** Running, paused or stopped. */
export function processState(stateDir: string, name: string): ProcessState {
  const pid = livePid(stateDir, name)
  return pid === undefined ? 'stopped' : osState(pid)
}

/** Starts the JVM detached, output appended to its log file; returns its pid. */
export async function startJvm(spec: JvmSpec): Promise<number> {
  return spawnDetached(
    spec.name,
    spec.stateDir,
    spec.logFile,
    'java',
    [markerOf(spec.stateDir, spec.name), ...spec.jvmOptions, '-cp', spec.classpath, spec.mainClass, ...spec.args],
    process.env,
  )
}

/** Starts a Node.js script detached (this Node.js binary), output appended to its log file; returns its pid. */
export async function startNode(spec: NodeSpec): Promise<number> {
  return spawnDetached(
    spec.name,
    spec.stateDir,
    spec.logFile,
    process.execPath,
    [...spec.nodeOptions, spec.script, markerOf(spec.stateDir, spec.name), ...spec.args],
    spec.env,
  )
}

async function spawnDetached(
  name: string,
  stateDir: string,
  logFile: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const log = openSync(logFile, 'a')
  try {
    // Detached with no pipe back to us: the process outlives `npm run bed:up`, and a reader of our
    // output (`| tee`) is never kept waiting for it.
    const child = spawn(command, args, { detached: true, stdio: ['ignore', log, log], env })
    const pid = child.pid
    if (pid === undefined) throw new Error(`could not start ${name}`)
    child.unref()
    await writeFile(pidFile(stateDir, name), `${pid}\n`)
    return pid
  } finally {
    closeSync(log)
  }
}

/** Sends `signal` to the bed process; returns false when it was not alive. */
export function signal(stateDir: string, name: string, sig: NodeJS.Signals): boolean {
  const pid = livePid(stateDir, name)
  if (pid === undefined) return false
  process.kill(pid, sig)
  return true
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (osState(pid) === 'stopped') return true
    await delay(50)
  }
  return osState(pid) === 'stopped'
}

/**
 * Stops the process: SIGTERM (after SIGCONT, in case it is paused), SIGKILL after `graceMs`.
 * `graceMs = 0` is kill -9 straight away. Resolves once the process is gone.
 */
export async function stopProcess(stateDir: string, name: string, graceMs: number): Promise<void> {
  const pid = livePid(stateDir, name)
  if (pid !== undefined) {
    if (graceMs > 0) {
      process.kill(pid, 'SIGCONT')
      process.kill(pid, 'SIGTERM')
      if (!(await waitGone(pid, graceMs))) process.kill(pid, 'SIGKILL')
    } else {
      process.kill(pid, 'SIGKILL')
    }
    await waitGone(pid, 10_000)
  }
  await rm(pidFile(stateDir, name), { force: true })
}

/** Every live bed process on the machine, from any checkout: pid and marker value (`<state dir>#<name>`). */
export function allBedProcesses(): Array<{ pid: number; marker: string }> {
  const found: Array<{ pid: number; marker: string }> = []
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid) || pid === process.pid) continue
    const argv = argvOf(pid)
    const marker = argv?.find((arg) => arg.startsWith(MARKER))
    if (argv === undefined || marker === undefined || !isBedRuntime(argv) || osState(pid) === 'stopped') continue
    found.push({ pid, marker: marker.slice(MARKER.length) })
  }
  return found
}

/** The last `lines` lines of a log file, for error messages. */
export async function logTail(file: string, lines = 30): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}
