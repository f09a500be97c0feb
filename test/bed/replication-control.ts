/**
 * Who may touch MirrorMaker 2, and when. Two parties start and stop it: the bed handle (tests,
 * `bed:up`) and the bed's supervisor, a separate process. Both go through one lock file, so a
 * restart by the supervisor and a test's `stopReplication()` never interleave into two MM2s or a
 * stopped one brought back. A hold file says that MM2 is stopped on purpose (a test stopped or
 * killed it): the supervisor leaves it alone until the hold is lifted by starting MM2 again.
 */
import { existsSync, readFileSync } from 'node:fs'
import { open, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'

const LOCK = 'mm2.lock'
const HOLD = 'mm2.hold'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: alive, but someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function holder(stateDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(stateDir, LOCK), 'utf8').trim())
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

async function olderThan(file: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(file)).mtimeMs > ms
  } catch {
    return false
  }
}

/** Whether a live process holds the MM2 lock (a start, stop or restart of MM2 is under way). */
export function replicationLocked(stateDir: string): boolean {
  const pid = holder(stateDir)
  return pid !== undefined && alive(pid)
}

/**
 * Runs `fn` holding the MM2 lock of the bed in `stateDir`. Waits for the lock up to `timeoutMs`;
 * a lock left by a process that died is taken over. Not reentrant: `fn` must not take it again.
 */
export async function withReplicationLock<T>(stateDir: string, fn: () => Promise<T>, timeoutMs = 180_000): Promise<T> {
  const file = join(stateDir, LOCK)
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const handle = await open(file, 'wx')
      await handle.writeFile(`${process.pid}\n`)
      await handle.close()
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const pid = holder(stateDir)
      // A holder that died (kill -9 of the supervisor, a test process that crashed) never unlocks.
      // An empty file is a holder between creating and writing it, unless it is old.
      if (pid === undefined ? await olderThan(file, 5000) : !alive(pid)) {
        await rm(file, { force: true })
        continue
      }
      if (Date.now() > deadline) throw new Error(`MirrorMaker 2 of ${stateDir} stays locked by pid ${pid ?? '?'} (${file})`)
      await delay(100)
    }
  }
  try {
    return await fn()
  } finally {
    await rm(file, { force: true })
  }
}

/** Marks MM2 as stopped on purpose: the supervisor must not restart it. */
export async function holdReplication(stateDir: string, reason: string): Promise<void> {
  await writeFile(join(stateDir, HOLD), `${reason}\n`)
}

/** Lifts the hold (MM2 is being started again). */
export async function releaseReplication(stateDir: string): Promise<void> {
  await rm(join(stateDir, HOLD), { force: true })
}

/** Why MM2 is held stopped, or undefined when it is not. */
export function replicationHold(stateDir: string): string | undefined {
  const file = join(stateDir, HOLD)
  if (!existsSync(file)) return undefined
  try {
    return readFileSync(file, 'utf8').trim() || 'held'
  } catch {
    return undefined
  }
}
