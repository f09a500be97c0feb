/**
 * The drill on the local bed (test/bed): started if it is not up (its jars downloaded in the
 * open on the first run), faults injected by killing, pausing and restarting its real processes,
 * and stopped afterwards only if the drill started it. The bed's MirrorMaker 2 supervisor writes
 * a line when it restarts a stalled flow; those lines go into the timeline, as an operator's
 * pager would.
 */
import { existsSync, readFileSync, statSync, unwatchFile, watchFile } from 'node:fs'
import { KafkaBed, type BedProcess } from '../test/bed/bed.js'
import { bedJarsPresent, downloadBedJars } from './bed-jars.js'
import type { DrillEnvironment, FaultContext, FaultEnded, FaultInjected } from '../src/drill/environment.js'
import type { ClusterAddress, FaultKind } from '../src/drill/options.js'
import type { DrillTimeline } from '../src/drill/timeline.js'
import { writeGarbage } from './garbage.js'
import { sleep } from '../src/drill/wait.js'

/** What is broken now, so that {@link LocalBedEnvironment.close} can mend it after a Ctrl-C. */
interface InEffect {
  target?: { name: BedProcess; how: 'killed' | 'paused' }
  /** `all-down`: the other cluster, killed too. */
  survivor?: BedProcess
  replicationStopped?: boolean
}

/** `flap`: how long each hang lasts, and the answering spell between two. */
const FLAP_DOWN_MS = 3000
const FLAP_UP_MS = 2000
/** `all-down`: the survivor is started first, the preferred cluster this much later. */
const ALL_DOWN_STAGGER_MS = 5000
/** `garbage-then-kill`: time for MirrorMaker 2 to copy the garbage before the kill. */
const GARBAGE_REPLICATION_MS = 3000

/** The local bed as the drill's environment. */
export class LocalBedEnvironment implements DrillEnvironment {
  readonly kind = 'local-bed'
  readonly clusters: ClusterAddress[]
  readonly facts: Record<string, unknown>
  private readonly inEffect: InEffect = {}
  private stopWatching: (() => void) | undefined

  private constructor(
    private readonly bed: KafkaBed,
    private readonly startedBed: boolean,
    private readonly keepBed: boolean,
  ) {
    this.clusters = Object.entries(bed.brokers).map(([name, brokers]) => ({ name, brokers }))
    this.facts = {
      kafkaVersion: bed.kafkaVersion,
      brokerGroupSettings: bed.brokerProfile,
      stateDir: bed.stateDir,
      startedByDrill: startedBed,
      keptRunning: !startedBed || keepBed,
      supervisorStallMs: bed.replicationStallMs,
    }
  }

  /**
   * Brings the bed up (downloading its jars first when they are missing) and returns it as an
   * environment. `bed` is a handle to use instead of a new one (the test suite's).
   */
  static async prepare(
    options: { keepBed: boolean; bed?: KafkaBed },
    log: (line: string) => void,
    signal: AbortSignal,
  ): Promise<LocalBedEnvironment> {
    const bed = options.bed ?? new KafkaBed()
    const states = Object.entries(bed.status())
      .filter(([name]) => name !== 'mm2-identity')
      .map(([, state]) => state)
    // Started by the drill only when nothing of it ran: a bed half up (a cluster left stopped by
    // an earlier test) is someone's, and is mended but not taken down.
    const startedBed = states.every((s) => s === 'stopped')
    if (!bed.isUp()) {
      if (!bedJarsPresent(bed.kafkaVersion)) await downloadBedJars(bed.kafkaVersion, (line) => log(`[bed] ${line}`))
      log(
        `[bed] starting the local bed: Kafka ${bed.kafkaVersion} clusters ${Object.keys(bed.brokers).join(' and ')} (KRaft) and MirrorMaker 2 both ways; about 20 s`,
      )
    }
    const started = Date.now()
    const ticker = setInterval(
      () => log(`[bed] waiting for the clusters and for replication both ways (${Math.round((Date.now() - started) / 1000)} s)`),
      10_000,
    )
    const environment = new LocalBedEnvironment(bed, startedBed, options.keepBed)
    try {
      // Also on a bed that is up: it returns once replication delivers both ways.
      await bed.up()
    } catch (error) {
      clearInterval(ticker)
      await environment.close(log)
      throw error
    } finally {
      clearInterval(ticker)
    }
    if (signal.aborted) {
      await environment.close(log)
      signal.throwIfAborted()
    }
    log(
      `[bed] up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${environment.clusters.map((c) => `${c.name} ${c.brokers.join(',')}`).join(', ')}; logs in ${bed.stateDir}/logs`,
    )
    return environment
  }

  /** Puts the bed supervisor's lines (MirrorMaker 2 restarts) into the timeline. */
  watch(timeline: DrillTimeline): void {
    const file = this.bed.logFile('supervisor')
    let offset = existsSync(file) ? statSync(file).size : 0
    const onChange = (current: { size: number }): void => {
      if (current.size < offset) offset = 0
      if (current.size === offset) return
      const text = readFileSync(file).subarray(offset, current.size).toString('utf8')
      offset = current.size
      for (const line of text.split('\n'))
        if (line.trim() !== '') timeline.add({ type: 'supervisor', detail: `bed supervisor: ${line.trim()}` })
    }
    watchFile(file, { interval: 500, persistent: false }, onChange)
    this.stopWatching = () => unwatchFile(file, onChange)
  }

  async injectFault(fault: FaultKind, target: string, context: FaultContext): Promise<FaultInjected> {
    const name = this.bedProcess(target)
    const at = Date.now()
    switch (fault) {
      case 'kill':
        this.inEffect.target = { name, how: 'killed' }
        await this.bed.kill(name)
        return { at, action: `kill -9 ${target}`, timing: 'injected' }
      case 'hang':
        this.inEffect.target = { name, how: 'paused' }
        this.bed.pause(name)
        return { at, action: `SIGSTOP ${target} (hung: sockets open, no answers)`, timing: 'injected' }
      case 'replication-stop':
        this.inEffect.replicationStopped = true
        context.log('[bed] stopping MirrorMaker 2 (graceful, up to 15 s)')
        await this.bed.stopReplication()
        return { at, action: 'MirrorMaker 2 stopped', timing: 'injected' }
      case 'both':
        this.inEffect.target = { name, how: 'killed' }
        this.inEffect.replicationStopped = true
        await Promise.all([this.bed.kill(name), this.bed.kill('mm2')])
        return { at, action: `kill -9 ${target} and MirrorMaker 2`, timing: 'injected' }
      case 'flap':
        for (let i = 1; i <= context.settings.flaps; i++) {
          this.inEffect.target = { name, how: 'paused' }
          this.bed.pause(name)
          context.timeline.add({
            type: 'fault',
            cluster: target,
            detail: `flap ${i}/${context.settings.flaps}: SIGSTOP ${target} for ${FLAP_DOWN_MS} ms`,
          })
          await sleep(FLAP_DOWN_MS, context.signal)
          this.bed.resume(name)
          this.inEffect.target = undefined
          if (i < context.settings.flaps) await sleep(FLAP_UP_MS, context.signal)
        }
        return {
          at,
          action: `${context.settings.flaps} flaps of ${target}: SIGSTOP ${FLAP_DOWN_MS} ms, SIGCONT ${FLAP_UP_MS} ms`,
          timing: 'injected',
        }
      case 'lag-then-kill': {
        this.inEffect.replicationStopped = true
        context.log(`[bed] stopping MirrorMaker 2; ${target} is killed ${context.settings.lagBeforeKillMs / 1000} s later`)
        await this.bed.stopReplication()
        context.timeline.add({ type: 'fault', detail: 'MirrorMaker 2 stopped (replication lag grows)' })
        await sleep(context.settings.lagBeforeKillMs, context.signal)
        const replicationAtFault = await context.sampleReplication()
        this.inEffect.target = { name, how: 'killed' }
        const killedAt = Date.now()
        await this.bed.kill(name)
        return {
          at: killedAt,
          action: `MirrorMaker 2 stopped for ${context.settings.lagBeforeKillMs / 1000} s, then kill -9 ${target}`,
          timing: 'injected',
          replicationAtFault,
        }
      }
      case 'all-down': {
        const survivor = this.other(name)
        this.inEffect.target = { name, how: 'killed' }
        this.inEffect.survivor = survivor
        await Promise.all([this.bed.kill(name), this.bed.kill(survivor)])
        return { at, action: `kill -9 ${target} and ${survivor}`, timing: 'injected' }
      }
      case 'standby-restart': {
        const standby = this.other(name)
        context.log(`[bed] restarting ${standby} (graceful stop, start)`)
        await this.bed.restart(standby, 'graceful')
        context.timeline.add({ type: 'restore', cluster: standby, detail: `${standby} restarted` })
        return { at, action: `broker restart of the standby ${standby}`, timing: 'injected' }
      }
      case 'garbage-then-kill': {
        const written = await writeGarbage(this.bed, target, this.other(name), context.service)
        context.timeline.add({ type: 'fault', detail: `garbage written: ${written}` })
        await sleep(GARBAGE_REPLICATION_MS, context.signal)
        this.inEffect.target = { name, how: 'killed' }
        const killedAt = Date.now()
        await this.bed.kill(name)
        return {
          at: killedAt,
          action: `garbage in the checkpoint and control topics (${written}), then kill -9 ${target}`,
          timing: 'injected',
        }
      }
    }
  }

  async endFault(fault: FaultKind, target: string, context: FaultContext): Promise<FaultEnded> {
    const startedAt = Date.now()
    const name = this.bedProcess(target)
    const back = (detail: string): number => context.timeline.add({ type: 'restore', cluster: target, detail }).at
    let at = startedAt
    if (fault === 'all-down') {
      const survivor = this.inEffect.survivor!
      context.log(`[bed] starting ${survivor} again; ${target} ${ALL_DOWN_STAGGER_MS / 1000} s after it`)
      await this.bed.start(survivor)
      this.inEffect.survivor = undefined
      back(`${survivor} started`)
      await sleep(ALL_DOWN_STAGGER_MS, context.signal)
    }
    if (fault === 'kill' || fault === 'both' || fault === 'lag-then-kill' || fault === 'all-down' || fault === 'garbage-then-kill') {
      context.log(`[bed] starting ${target} again (same data)`)
      await this.bed.start(name)
      this.inEffect.target = undefined
      at = back(`${target} started`)
    }
    if (fault === 'hang') {
      this.bed.resume(name)
      this.inEffect.target = undefined
      at = back(`SIGCONT ${target}`)
    }
    if (fault === 'replication-stop' || fault === 'both' || fault === 'lag-then-kill') {
      context.log('[bed] starting MirrorMaker 2 again; waiting until it delivers both ways')
      await this.bed.startReplication()
      this.inEffect.replicationStopped = false
      const replicating = back('MirrorMaker 2 delivers again')
      if (fault === 'replication-stop') at = replicating
    }
    const action = {
      kill: `${target} started`,
      hang: `SIGCONT ${target}`,
      'replication-stop': 'MirrorMaker 2 started',
      both: `${target} and MirrorMaker 2 started`,
      flap: `${target} answering since its last flap`,
      'lag-then-kill': `${target} and MirrorMaker 2 started`,
      'all-down': `both clusters started, ${target} last`,
      'standby-restart': 'the standby restarted during the fault',
      'garbage-then-kill': `${target} started`,
    }[fault]
    // The failback is timed from the cluster's return; replication's return is its own event.
    return { startedAt, at, action }
  }

  async close(log: (line: string) => void): Promise<void> {
    this.stopWatching?.()
    try {
      const { target, survivor, replicationStopped } = this.inEffect
      if (target?.how === 'paused') this.bed.resume(target.name)
      if (this.startedBed && !this.keepBed) {
        log('[bed] stopping the local bed (the drill started it; --keep-bed keeps it)')
        await this.bed.down()
        return
      }
      if (survivor !== undefined) {
        log(`[bed] starting ${survivor} again`)
        await this.bed.start(survivor)
      }
      if (target?.how === 'killed') {
        log(`[bed] starting ${target.name} again`)
        await this.bed.start(target.name)
      }
      if (replicationStopped === true) {
        log('[bed] starting MirrorMaker 2 again')
        await this.bed.startReplication()
      }
    } catch (error) {
      log(`[bed] could not put the bed back as it was: ${error instanceof Error ? error.message : String(error)} (npm run bed:up mends it)`)
    }
  }

  /** The bed's other cluster. */
  private other(cluster: 'dc1' | 'dc2'): 'dc1' | 'dc2' {
    return cluster === 'dc1' ? 'dc2' : 'dc1'
  }

  private bedProcess(cluster: string): 'dc1' | 'dc2' {
    if (cluster !== 'dc1' && cluster !== 'dc2') throw new Error(`the bed has no cluster '${cluster}'`)
    return cluster
  }
}
