/**
 * The soak: a service of several instance processes (soak/app.ts: a producer and a group member
 * each, through kafkajs-dr) runs on the local bed for a long time while a fault strikes every
 * interval, rotating kill -9 and SIGSTOP of the active cluster, flaps, MirrorMaker 2 stopped and a
 * restart of the standby; each strikes at a random moment of its interval, so that over the run
 * it meets every phase of the library's periodic tasks. The harness counts every record
 * acknowledged and handled, and each instance samples its memory.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { createTopic } from '../bench/common.js'
import type { KafkaBed } from '../test/bed/bed.js'
import type { MemorySample, SoakAppConfig } from './app.js'
import type { SoakFault, SoakObservations } from './report.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const APP = fileURLToPath(new URL('./app.ts', import.meta.url))

/** How the soak runs. */
export interface SoakOptions {
  minutes: number
  instances: number
  partitions: number
  /** Records per second, all instances together. */
  rate: number
  /** A fault every this many ms; each lasts a quarter of it. */
  faultEveryMs: number
  /** Each instance samples its memory this often. */
  sampleEveryMs: number
  /** Memory before this much of the run is left out of the slopes (caches fill, the JIT settles). */
  warmupMs: number
}

/** The defaults of a run of `minutes`: the shape for an hour, a denser one for a few minutes. */
export function soakOptions(minutes: number): SoakOptions {
  const long = minutes >= 20
  return {
    minutes,
    instances: 4,
    partitions: 12,
    rate: 200,
    faultEveryMs: long ? 120_000 : 60_000,
    sampleEveryMs: long ? 30_000 : 10_000,
    warmupMs: Math.min(600_000, minutes * 60_000 * 0.4),
  }
}

/** The faults in the order they rotate. */
export const ROTATION = ['kill', 'hang', 'flaps', 'replication-stop', 'standby-restart'] as const

/** An instance process and what it reported. */
class Instance {
  readonly memory: MemorySample[] = []
  private readonly child: ChildProcess
  private readonly exited: Promise<void>
  private stderr = ''
  running = false
  drained = false
  /** The process exited (on its own, or after a stop), and how. */
  gone = false
  exit = ''

  constructor(
    readonly n: number,
    config: SoakAppConfig,
    onEvent: (n: number, event: Record<string, unknown>) => void,
  ) {
    this.child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', APP], {
      cwd: ROOT,
      env: { ...process.env, DR_APP_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      let event: Record<string, unknown>
      try {
        event = JSON.parse(line) as Record<string, unknown>
      } catch {
        return
      }
      if (event.event === 'running') this.running = true
      if (event.event === 'drained') this.drained = true
      if (event.event === 'memory') this.memory.push(event as unknown as MemorySample)
      onEvent(n, event)
    })
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000)
    })
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.gone = true
        this.exit = signal ?? `code ${code}`
        resolve()
      }),
    )
  }

  get lastStderr(): string {
    return this.stderr
  }

  signal(name: NodeJS.Signals): void {
    if (!this.gone) this.child.kill(name)
  }

  async stop(timeoutMs = 30_000): Promise<void> {
    this.signal('SIGTERM')
    const timer = setTimeout(() => this.signal('SIGKILL'), timeoutMs)
    await this.exited
    clearTimeout(timer)
  }
}

/** Runs the soak on `bed` (started if it is not up); `log` gets progress lines. */
export async function runSoak(
  options: SoakOptions,
  bed: KafkaBed,
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<SoakObservations> {
  await bed.up()
  const id = randomBytes(4).toString('hex')
  const topic = `kafkajs-dr-soak-${id}`
  // The bench's: it tries again when a just-restarted broker answers the leader wait with UNKNOWN_TOPIC_OR_PARTITION.
  await Promise.all((['dc1', 'dc2'] as const).map((cluster) => createTopic(cluster, topic, options.partitions)))
  const acked = new Set<string>()
  const handled = new Map<string, number>()
  const repeats: number[] = []
  const rejected: SoakObservations['rejected'] = []
  const warnings: SoakObservations['warnings'] = []
  const onEvent = (n: number, e: Record<string, unknown>): void => {
    switch (e.event) {
      case 'acked':
        for (const rid of e.ids as string[]) acked.add(rid)
        break
      case 'rejected':
        rejected.push({ count: (e.ids as string[]).length, at: e.at as number, message: String(e.message) })
        log(`[soak] instance ${n}: ${(e.ids as string[]).length} records rejected: ${String(e.message)}`)
        break
      case 'r': {
        const rid = e.id as string
        const count = (handled.get(rid) ?? 0) + 1
        handled.set(rid, count)
        if (count > 1) repeats.push(Date.now())
        break
      }
      case 'warning':
        warnings.push({ instance: n, name: String(e.name), message: String(e.message) })
        log(
          `[soak] instance ${n}: warning ${String(e.name)}: ${String(e.message)}\n${(typeof e.stack === 'string' ? e.stack : '').split('\n').slice(1, 12).join('\n')}`,
        )
        break
      case 'error':
        log(`[soak] instance ${n} failed: ${String(e.message)}`)
        break
    }
  }
  const config = (n: number): SoakAppConfig => ({
    brokers: { ...bed.brokers },
    topic,
    group: `kafkajs-dr-soak-${id}`,
    instance: n,
    rate: options.rate / options.instances,
    memoryEveryMs: options.sampleEveryMs,
  })
  const instances = Array.from({ length: options.instances }, (_, n) => new Instance(n, config(n), onEvent))
  const faults: SoakFault[] = []
  const incidents: string[] = []
  const startedAt = Date.now()
  const minute = (at: number): string => ((at - startedAt) / 60_000).toFixed(1)
  const reported = new Set<Instance>()
  /** An instance that exited on its own is an incident; the others go on. */
  const noteExits = (): void => {
    for (const i of instances) {
      if (!i.gone || reported.has(i)) continue
      reported.add(i)
      incidents.push(`instance ${i.n} exited at ${minute(Date.now())} min (${i.exit}): ${i.lastStderr.trim().split('\n').at(-1) ?? ''}`)
      log(`[soak] ${incidents.at(-1)!}`)
    }
  }
  try {
    await until('every instance running', () => instances.every((i) => i.running), 120_000, signal, instances)
    log(
      `[soak] ${options.instances} instances running on ${topic} (${options.partitions} partitions, ${options.rate} records/s); ${options.minutes} minutes, a fault every ${options.faultEveryMs / 1000} s`,
    )
    const endsAt = startedAt + options.minutes * 60_000
    for (let slot = 0; ; slot++) {
      // Each fault in its own interval, at a random moment of its first half; one that could not
      // end before the run does (a slow recovery of the last one included) is not started.
      const slotStart = Math.max(startedAt + (slot + 1) * options.faultEveryMs, Date.now())
      if (slotStart + options.faultEveryMs > endsAt + 1000) break
      await sleep(slotStart + Math.random() * (options.faultEveryMs / 2) - Date.now(), signal)
      const kind = ROTATION[slot % ROTATION.length]!
      try {
        faults.push(await strike(bed, kind, options.faultEveryMs / 4, signal))
        // Whatever the fault left (a supervisor's restart under way), the next starts from a whole bed.
        await bed.up()
      } catch (error) {
        if (signal.aborted) throw error
        incidents.push(`the bed failed during fault ${kind} at ${minute(Date.now())} min: ${String(error)}`)
        log(`[soak] ${incidents.at(-1)!}`)
      }
      noteExits()
      const f = faults.at(-1)
      if (f !== undefined)
        log(`[soak] ${minute(f.at)} min: ${f.detail}; acknowledged ${acked.size}, handled ${handled.size}, repeats ${repeats.length}`)
    }
    await sleep(endsAt - Date.now(), signal)
    // The drain: no new sends; every send under way settles; every acknowledged record handled.
    for (const i of instances) i.signal('SIGUSR2')
    const live = (): Instance[] => instances.filter((i) => !i.gone)
    try {
      await until(
        "every instance's sends settled and every acknowledged record handled",
        () => live().every((i) => i.drained) && [...acked].every((rid) => handled.has(rid)),
        300_000,
        signal,
        [],
      )
    } catch (error) {
      if (signal.aborted) throw error
      incidents.push(`the drain did not end: ${String(error)}`)
    }
    noteExits()
  } finally {
    await Promise.all(instances.map((i) => i.stop()))
  }
  const lost = [...acked].filter((rid) => !handled.has(rid))
  return {
    startedAt,
    endedAt: Date.now(),
    measuredFrom: startedAt + options.warmupMs,
    faults,
    acked: acked.size,
    lost,
    rejected,
    repeats,
    handled: handled.size,
    memory: instances.map((i) => i.memory),
    warnings,
    incidents,
  }
}

/** Causes one fault of `kind` that lasts about `outageMs`, and ends it (also when interrupted). */
async function strike(bed: KafkaBed, kind: (typeof ROTATION)[number], outageMs: number, signal: AbortSignal): Promise<SoakFault> {
  const at = Date.now()
  const seconds = Math.round(outageMs / 1000)
  switch (kind) {
    case 'kill':
      await bed.kill('dc1')
      try {
        await sleep(outageMs, signal)
      } finally {
        await bed.start('dc1')
      }
      return { kind, at, endedAt: Date.now(), detail: `kill -9 of dc1, started again ${seconds} s later` }
    case 'hang':
      bed.pause('dc1')
      try {
        await sleep(outageMs, signal)
      } finally {
        bed.resume('dc1')
      }
      return { kind, at, endedAt: Date.now(), detail: `SIGSTOP of dc1 for ${seconds} s` }
    case 'flaps': {
      const flaps = Math.max(2, Math.round(outageMs / 5000))
      for (let i = 0; i < flaps; i++) {
        bed.pause('dc1')
        try {
          await sleep(3000, signal)
        } finally {
          bed.resume('dc1')
        }
        await sleep(2000, signal)
      }
      return { kind, at, endedAt: Date.now(), detail: `${flaps} flaps of dc1 (SIGSTOP 3 s, SIGCONT 2 s)` }
    }
    case 'replication-stop':
      await bed.stopReplication()
      try {
        await sleep(outageMs, signal)
      } finally {
        await bed.startReplication()
      }
      return { kind, at, endedAt: Date.now(), detail: `MirrorMaker 2 stopped for ${seconds} s` }
    case 'standby-restart':
      await bed.restart('dc2')
      return { kind, at, endedAt: Date.now(), detail: 'graceful restart of the standby dc2' }
  }
}

async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms > 0) await delay(ms, undefined, { signal })
}

/** Polls `check` every 250 ms; rejects after `timeoutMs` or when an instance exited on its own. */
async function until(
  what: string,
  check: () => boolean,
  timeoutMs: number,
  signal: AbortSignal,
  instances: readonly Instance[],
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    const gone = instances.find((i) => i.gone)
    if (gone !== undefined) throw new Error(`instance ${gone.n} exited before ${what}: ${gone.lastStderr}`)
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`)
    await sleep(250, signal)
  }
}
