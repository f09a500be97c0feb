/**
 * The bed's supervisor of MirrorMaker 2: what an operator runs beside any replicator. MM2 in
 * dedicated mode can stop delivering while its process looks fine: after its Connect group's
 * coordinator (a broker of the target cluster) was unreachable for a while, a worker gives up its
 * connectors and tasks, rejoins as a new member and the group's leader then holds the "lost" tasks
 * back for `scheduled.rebalance.max.delay.ms` (5 minutes by default) before handing them out again.
 * So the supervisor watches what matters, each flow's delivery, by MM2's own heartbeats, and
 * restarts MM2 when a flow has not delivered for `stallMs` while everything it needs is up.
 */
import type { Admin } from 'kafkajs'
import type { KafkaBed } from './bed.js'
import { hasRecordSince, HEARTBEATS_TOPIC, newestTimestamp, replicatedHeartbeats } from '../../src/replication/heartbeats.js'
import { livePid } from './processes.js'
import { replicationHold, replicationLocked } from './replication-control.js'

/** Verdict on one flow at one check. */
export type FlowVerdict = 'delivering' | 'waiting' | 'stalled'

/**
 * Decides when a flow has stalled. A flow's clock runs only while everything it needs is up (both
 * clusters answer, MM2 runs, nobody stopped it on purpose): a flow that did not deliver while a
 * cluster was paused did nothing wrong, and after a cluster comes back MM2 gets `stallMs` to catch
 * up before it is judged. A freshly started MM2 gets `startupMs` to deliver its first heartbeat.
 */
export class StallDetector {
  private upSince: number | undefined
  private incarnation: number | undefined
  /** When this supervisor first saw the current MM2 process. */
  private incarnationSince = 0
  /** Flows that delivered since MM2 (this pid) started. */
  private readonly delivered = new Set<string>()

  constructor(
    readonly stallMs: number,
    readonly startupMs: number,
  ) {}

  /** Something a flow needs is down, paused, being restarted or stopped on purpose: the clock starts over. */
  notUp(): void {
    this.upSince = undefined
  }

  /** Everything is up, MM2 being process `mm2Pid`. A new pid is a new MM2: it gets `startupMs` again. */
  up(mm2Pid: number, now: number): void {
    if (mm2Pid !== this.incarnation) {
      this.incarnation = mm2Pid
      this.incarnationSince = now
      this.delivered.clear()
      this.upSince = now
    }
    this.upSince ??= now
  }

  /** How long everything has been up (0 when it is not). */
  upFor(now: number): number {
    return this.upSince === undefined ? 0 : now - this.upSince
  }

  /**
   * The oldest heartbeat timestamp that counts as a delivery now: younger than `stallMs`, and
   * stamped after the current MM2 started (the last heartbeats of the MM2 it replaced do not
   * show that this one works).
   */
  freshSince(now: number): number {
    return Math.max(now - this.stallMs, this.incarnationSince)
  }

  /** One check of a flow: `fresh` when it delivered a heartbeat stamped at or after {@link freshSince}. */
  judge(flow: string, fresh: boolean, now: number): FlowVerdict {
    if (this.upSince === undefined) return 'waiting'
    if (fresh) {
      this.delivered.add(flow)
      return 'delivering'
    }
    const bound = this.delivered.has(flow) ? this.stallMs : this.startupMs
    return now - this.upSince >= bound ? 'stalled' : 'waiting'
  }
}

/** Settings of {@link ReplicationSupervisor}. */
export interface SupervisorOptions {
  /** A flow that delivered nothing this long while everything was up is stalled. */
  stallMs: number
  /** Time a freshly started MM2 has to deliver its first heartbeat on each flow. */
  startupMs: number
  /** Writes one line to the supervisor's log. */
  log: (line: string) => void
}

interface Flow {
  source: string
  target: string
  name: string
}

/** Watches every flow of the bed's MM2 and restarts MM2 when one stalls. */
export class ReplicationSupervisor {
  private readonly detector: StallDetector
  private readonly flows: Flow[]
  private readonly admins = new Map<string, Admin>()

  /** A flow that delivered nothing this long while everything was up is stalled. */
  get stallMs(): number {
    return this.options.stallMs
  }

  constructor(
    private readonly bed: KafkaBed,
    private readonly options: SupervisorOptions,
  ) {
    this.detector = new StallDetector(options.stallMs, options.startupMs)
    const names = bed.clusterNames
    this.flows = names.flatMap((source) =>
      names.filter((t) => t !== source).map((target) => ({ source, target, name: `${source} -> ${target}` })),
    )
  }

  /** One round: check every flow, restart MM2 if one stalled. Never throws. */
  async check(now = Date.now()): Promise<void> {
    try {
      await this.checkOnce(now)
    } catch (error) {
      this.detector.notUp()
      this.options.log(`check failed: ${String(error)}`)
    }
  }

  /** Disconnects the supervisor's admin clients. */
  async close(): Promise<void> {
    await Promise.all([...this.admins.values()].map((a) => a.disconnect().catch(() => {})))
    this.admins.clear()
  }

  private async checkOnce(now: number): Promise<void> {
    const stateDir = this.bed.stateDir
    const states = this.bed.status()
    const mm2Pid = livePid(stateDir, 'mm2')
    // Paused, killed or stopped on purpose, or being started or stopped by someone: not ours to judge.
    if (
      states.dc1 !== 'running' ||
      states.dc2 !== 'running' ||
      states.mm2 !== 'running' ||
      mm2Pid === undefined ||
      replicationHold(stateDir) !== undefined ||
      replicationLocked(stateDir)
    ) {
      this.detector.notUp()
      return
    }
    this.detector.up(mm2Pid, now)
    const stalled: Flow[] = []
    for (const flow of this.flows) {
      const fresh = await this.delivered(flow, this.detector.freshSince(now))
      if (fresh === undefined) {
        // A cluster does not answer (yet): the flow cannot be judged.
        this.detector.notUp()
        return
      }
      if (this.detector.judge(flow.name, fresh, now) === 'stalled') stalled.push(flow)
    }
    if (stalled.length > 0) await this.restart(stalled, mm2Pid, now)
  }

  /** Whether the flow delivered a heartbeat stamped `since` or later; undefined when a cluster does not answer. */
  private async delivered(flow: Flow, since: number): Promise<boolean | undefined> {
    const admin = await this.admin(flow.target)
    if (admin === undefined) return undefined
    const topic = replicatedHeartbeats(flow.source)
    try {
      return await hasRecordSince(admin, topic, since)
    } catch {
      // No such topic yet (MM2 creates it with its first heartbeat) is "not delivered"; anything
      // else means the cluster does not answer.
      try {
        return (await admin.listTopics()).includes(topic) ? undefined : false
      } catch {
        await this.dropAdmin(flow.target)
        return undefined
      }
    }
  }

  private async restart(stalled: Flow[], mm2Pid: number, now: number): Promise<void> {
    const why = await Promise.all(stalled.map((flow) => this.diagnose(flow, now)))
    const upFor = (this.detector.upFor(now) / 1000).toFixed(1)
    this.options.log(
      `restarting MirrorMaker 2 (pid ${mm2Pid}): ${why.join('; ')}; both clusters and MM2 up for ${upFor} s (bound ${this.options.stallMs} ms)`,
    )
    const restartedAt = Date.now()
    if (!(await this.bed.restartStalledReplication())) {
      this.options.log('left MirrorMaker 2 alone: it was stopped on purpose meanwhile')
      return
    }
    try {
      await this.bed.waitForReplication(120_000)
      this.options.log(`replication delivers both ways again, ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after the restart began`)
    } catch (error) {
      this.options.log(`replication did not deliver within 120 s of the restart: ${String(error).split('\n')[0]}`)
    }
    this.detector.notUp()
  }

  /**
   * "flow dc2 -> dc1 has not delivered: newest dc2.heartbeats on dc1 47.1 s old (MM2's own
   * heartbeats on dc2: 0.6 s old)". The second age tells which part stopped: MM2 writes the
   * heartbeats of a cluster from the flow *into* it, so stale heartbeats on the source point at
   * the opposite flow, fresh ones at this flow's replication.
   */
  private async diagnose(flow: Flow, now: number): Promise<string> {
    const age = async (cluster: string, topic: string): Promise<string> => {
      const admin = await this.admin(cluster)
      const newest = admin === undefined ? undefined : await newestTimestamp(admin, topic, { now }).catch(() => undefined)
      return newest === undefined ? 'none' : `${((now - newest) / 1000).toFixed(1)} s old`
    }
    const replica = replicatedHeartbeats(flow.source)
    return (
      `flow ${flow.name} has not delivered: newest ${replica} on ${flow.target} ${await age(flow.target, replica)} ` +
      `(MM2's own ${HEARTBEATS_TOPIC} on ${flow.source}: ${await age(flow.source, HEARTBEATS_TOPIC)})`
    )
  }

  private async admin(cluster: string): Promise<Admin | undefined> {
    let admin = this.admins.get(cluster)
    if (admin !== undefined) return admin
    admin = this.bed.kafka(cluster, 'kafkajs-dr-bed-supervisor').admin()
    try {
      await admin.connect()
    } catch {
      await admin.disconnect().catch(() => {})
      return undefined
    }
    this.admins.set(cluster, admin)
    return admin
  }

  private async dropAdmin(cluster: string): Promise<void> {
    const admin = this.admins.get(cluster)
    this.admins.delete(cluster)
    await admin?.disconnect().catch(() => {})
  }
}
