/**
 * An application run as a separate process by the integration tests (its script bundled to
 * JavaScript, then `node --enable-source-maps <bundle>`), as a service runs in production: its own
 * kafkajs clients, killed with kill -9 when a test says so.
 * The script reads its configuration from `DR_APP_CONFIG` (JSON) and reports progress as one JSON
 * object per line on stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { waitFor } from '../helpers.js'
import { bundledApp } from './app-bundle.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))

/** One line an application reported. */
export interface AppEvent {
  event: string
  id?: string
  cluster?: string
  at?: number
  size?: number
  flushed?: number
  total?: number
  message?: string
  reason?: string
  via?: string
  durationMs?: number
  elsewhere?: Record<string, number>
  yieldsAt?: number
  partition?: number
  memberIds?: string[]
  partitions?: number
  readMs?: number
  topic?: string
  offset?: string
}

/**
 * The application: one node process (tsx as a loader, not a wrapper process, so that a signal
 * reaches the application itself), in a process group of its own, so that kill -9 reaches
 * anything it started too.
 */
export class AppProcess {
  readonly events: AppEvent[] = []
  private readonly child: ChildProcess
  private readonly exited: Promise<void>
  private exitedWith: string | undefined
  private stderr = ''

  /** @param script - absolute path of the application's script */
  constructor(script: string, config: unknown) {
    this.child = spawn(process.execPath, ['--enable-source-maps', bundledApp(script)], {
      cwd: ROOT,
      env: { ...process.env, DR_APP_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as AppEvent)
      } catch {
        this.stderr += `${line}\n`
      }
    })
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000)
      // DR_APP_LOG_DIR: keep each application's whole stderr (DEBUG=kafkajs-dr:* output) for diagnosis.
      if (process.env.DR_APP_LOG_DIR) appendFileSync(join(process.env.DR_APP_LOG_DIR, `app-${this.child.pid}.log`), chunk)
    })
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.exitedWith = signal ?? `code ${code}`
        resolve()
      }),
    )
  }

  /** The first event matching `match`; fails if the process exits first. */
  next(what: string, match: (e: AppEvent) => boolean, timeoutMs = 120_000): Promise<AppEvent> {
    return waitFor(
      what,
      () => {
        const found = this.events.find(match)
        if (found) return found
        if (this.exitedWith !== undefined)
          throw new Error(`the application exited (${this.exitedWith}) before ${what}; stderr:\n${this.stderr}`)
        return undefined
      },
      timeoutMs,
      50,
    )
  }

  /** SIGTERM to the application (a deploy's stop); kill -9 if it has not exited within `timeoutMs`. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (this.exitedWith !== undefined) return
    try {
      process.kill(this.child.pid!, 'SIGTERM')
    } catch {
      return
    }
    const timer = setTimeout(() => void this.kill(), timeoutMs)
    await this.exited
    clearTimeout(timer)
  }

  /** kill -9 of the whole process group. */
  async kill(): Promise<void> {
    if (this.exitedWith !== undefined) return
    try {
      process.kill(-this.child.pid!, 'SIGKILL')
    } catch {
      // already gone
    }
    await this.exited
  }
}
