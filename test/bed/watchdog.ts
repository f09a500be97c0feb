/**
 * The bed's watchdog during a test run: a broker that died on its own, that has not answered for
 * a minute while running, or that a test left hung (SIGSTOP) fails the run at once with a message
 * naming it and its log, instead of letting every later test wait out its timeout.
 *
 * The faults tests inject are not failures: a broker killed or stopped by the bed has no pid file
 * (only the bed's stop removes it), and a pause is judged only when it outlasts every pause a test
 * makes (30 s at most, in the full chaos run).
 */
import { createConnection } from 'node:net'
import { BED_CLUSTERS } from './config.js'
import { livePid, logTail, processState, recordedPid } from './processes.js'

/** What one look at a broker found. */
export type BrokerLook = 'answering' | 'silent' | 'paused' | 'stopped' | 'died'

/** How long a broker may stay in each bad state before the run fails (ms). */
export interface WatchdogLimits {
  /** Its process gone while its pid file says it should run. */
  diedMs: number
  /** SIGSTOPped. */
  pausedMs: number
  /** Running, but no answer to an ApiVersions request. */
  silentMs: number
}

export const DEFAULT_LIMITS: WatchdogLimits = { diedMs: 10_000, pausedMs: 80_000, silentMs: 75_000 }

/** Decides, look by look, when a broker has been in a bad state for too long. */
export class BrokerJudge {
  private readonly since = new Map<string, { look: BrokerLook; at: number }>()

  constructor(private readonly limits: WatchdogLimits = DEFAULT_LIMITS) {}

  /** Records a look; returns what is wrong once a bad state has lasted past its limit. */
  judge(broker: string, look: BrokerLook, now: number): string | undefined {
    const last = this.since.get(broker)
    const since = last?.look === look ? last.at : now
    this.since.set(broker, { look, at: since })
    const lasted = now - since
    const seconds = Math.round(lasted / 1000)
    if (look === 'died' && lasted >= this.limits.diedMs)
      return `${broker} died on its own (its process is gone, nobody stopped it) ${seconds} s ago`
    if (look === 'paused' && lasted >= this.limits.pausedMs)
      return `${broker} has been hung (SIGSTOP) for ${seconds} s: a test left it paused`
    if (look === 'silent' && lasted >= this.limits.silentMs) return `${broker} runs but has not answered a request for ${seconds} s`
    return undefined
  }
}

/** Whether a broker answers an ApiVersions request (v0, the one every broker takes) within `timeoutMs`. */
export function brokerAnswers(port: number, timeoutMs: number): Promise<boolean> {
  const clientId = Buffer.from('kafkajs-dr-bed-watchdog')
  const request = Buffer.alloc(4 + 10 + clientId.length)
  request.writeInt32BE(10 + clientId.length, 0)
  request.writeInt16BE(18, 4) // ApiVersions
  request.writeInt16BE(0, 6)
  request.writeInt32BE(1, 8) // correlation id
  request.writeInt16BE(clientId.length, 12)
  clientId.copy(request, 14)
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    const done = (answered: boolean): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve(answered)
    }
    const timer = setTimeout(() => done(false), timeoutMs)
    socket.once('connect', () => socket.write(request))
    socket.once('data', () => done(true))
    socket.once('error', () => done(false))
    socket.once('close', () => done(false))
  })
}

/** One look at a broker of the bed in `stateDir`. */
export async function lookAt(stateDir: string, broker: string, port: number): Promise<BrokerLook> {
  if (livePid(stateDir, broker) === undefined) return recordedPid(stateDir, broker) === undefined ? 'stopped' : 'died'
  if (processState(stateDir, broker) === 'paused') return 'paused'
  return (await brokerAnswers(port, 5000)) ? 'answering' : 'silent'
}

/**
 * Looks at every broker every `intervalMs` and calls `onFailure` once, with a message and the end
 * of the broker's log, when one has been in a bad state past its limit. Returns a stop function.
 */
export function watchBed(stateDir: string, onFailure: (message: string) => void, intervalMs = 5000, limits = DEFAULT_LIMITS): () => void {
  const judge = new BrokerJudge(limits)
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  const tick = async (): Promise<void> => {
    for (const { name, port } of BED_CLUSTERS) {
      const problem = judge.judge(name, await lookAt(stateDir, name, port), Date.now())
      if (problem !== undefined && !stopped) {
        stopped = true
        onFailure(`${problem}; end of ${stateDir}/logs/${name}.log:\n${await logTail(`${stateDir}/logs/${name}.log`, 20)}`)
        return
      }
    }
    if (!stopped) timer = setTimeout(() => void tick(), intervalMs).unref()
  }
  timer = setTimeout(() => void tick(), intervalMs).unref()
  return () => {
    stopped = true
    clearTimeout(timer)
  }
}
