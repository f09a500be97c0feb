/**
 * The local two-datacenter Kafka bed: clusters dc1 (127.0.0.1:19092) and dc2 (127.0.0.1:29092),
 * one combined KRaft broker+controller each, and MirrorMaker 2 replicating both ways. Real JVMs
 * from Maven Central, no Docker. Tests and the demo use this handle to start the bed and to
 * break it: kill -9, SIGSTOP/SIGCONT, restart, stop and start replication. A supervisor process
 * restarts MirrorMaker 2 when one of its flows stalls (see supervisor.ts), as an operator's would.
 * On demand a second MirrorMaker 2, `mm2-identity`, replicates `identity-*` topics from dc1 to
 * dc2 under the same names ({@link KafkaBed.startIdentityReplication}); nobody supervises it.
 *
 * With `KAFKAJS_DR_DC1_BROKERS` and `KAFKAJS_DR_DC2_BROKERS` set, the handle points at clusters
 * someone else runs (Docker, real clusters); then it starts nothing and cannot inject faults.
 */
import { randomBytes } from 'node:crypto'
import { spawn } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, unwatchFile, watchFile } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { createConnection } from 'node:net'
import { join, resolve } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import kafkajs from 'kafkajs'
import { BED_FILES, DEFAULT_KAFKA_VERSION, checkJava, resolveClasspath } from './classpath.js'
import {
  BED_CLUSTERS,
  IDENTITY_FLOW,
  IDENTITY_TOPIC_PREFIX,
  PORT_OFFSET,
  brokerProperties,
  identityMirrorMakerProperties,
  mirrorMakerProperties,
  parseBrokerProfile,
  profileOfProperties,
  type BedClusterSpec,
  type BrokerProfile,
} from './config.js'
import {
  allBedProcesses,
  livePid,
  logTail,
  processState,
  signal,
  startJvm,
  startNode,
  stopProcess,
  type ProcessState,
} from './processes.js'
import { holdReplication, releaseReplication, replicationHold, replicationLocked, withReplicationLock } from './replication-control.js'
import {
  BED_APP_USER,
  clientConfigFile,
  ensureSecurityMaterial,
  parseBedSecurity,
  readCredentials,
  SCRAM_MECHANISM,
  scramFormatArgs,
  secureClientConfigs,
  securityFiles,
  writeClientConfigs,
  type BedCredentials,
  type BedSecurity,
  type BedUser,
} from './security.js'

const { Kafka, logLevel } = kafkajs

/** Names of the bed's processes that tests break (`mm2-identity`: the optional identity flow). */
export type BedProcess = 'dc1' | 'dc2' | 'mm2' | 'mm2-identity'

/** State of every bed process, the supervisor included. */
export type BedStatus = Record<BedProcess | 'supervisor', ProcessState>

export type { BrokerProfile } from './config.js'
export type { BedSecurity, BedUser } from './security.js'
export { BED_ADMIN_USER, BED_APP_USER } from './security.js'
export { IDENTITY_FLOW, IDENTITY_TOPIC_PREFIX } from './config.js'

/** Topic the bed produces to, on each cluster, to prove that replication flows. */
export const PROBE_TOPIC = 'kafkajs-dr-bed-probe'

/** Topic the bed produces to on dc1, to prove that the identity flow delivers (to the same name on dc2). */
export const IDENTITY_PROBE_TOPIC = `${IDENTITY_TOPIC_PREFIX}${PROBE_TOPIC}`

/** Options of {@link KafkaBed}. */
export interface KafkaBedOptions {
  /** Folder for pid files, logs and data. Default: `<project>/.bed` or `KAFKAJS_DR_BED_DIR`. */
  stateDir?: string
  /** Kafka version. Default: `KAFKA_VERSION` or {@link DEFAULT_KAFKA_VERSION}. */
  kafkaVersion?: string
  /** Print progress lines (and the supervisor's lines, while this process runs). */
  verbose?: boolean
  /**
   * Group settings the brokers should run with (see {@link BrokerProfile}); `up()` switches a
   * running bed to it. Default: `KAFKAJS_DR_BED_GROUP_DEFAULTS` (`1`: `kafka-defaults`, `0`: `bed`),
   * else whatever the bed runs with (`bed` for a new one).
   */
  brokerProfile?: BrokerProfile
  /** The supervisor restarts MirrorMaker 2 when a flow has not delivered for this long. Default 15 s. */
  replicationStallMs?: number
  /**
   * `sasl_ssl`: a SASL_SSL listener on each broker besides the PLAINTEXT one, the StandardAuthorizer,
   * MirrorMaker 2 replicating through SASL_SSL, and `client-config.json` in the state folder (see
   * security.ts); `up()` switches a running bed to it (see {@link KafkaBed.setSecurity}). Default:
   * `KAFKAJS_DR_BED_SECURITY`, else whatever the bed runs with (`none` for a new one).
   */
  security?: BedSecurity
}

/** The security mode asked for by `KAFKAJS_DR_BED_SECURITY`, if any. */
function securityFromEnv(): BedSecurity | undefined {
  const value = process.env.KAFKAJS_DR_BED_SECURITY
  return value === undefined || value === '' ? undefined : parseBedSecurity(value)
}

/** The profile asked for by `KAFKAJS_DR_BED_GROUP_DEFAULTS`, if any. */
function profileFromEnv(): BrokerProfile | undefined {
  const value = process.env.KAFKAJS_DR_BED_GROUP_DEFAULTS
  if (value === undefined || value === '') return undefined
  return ['1', 'true', 'yes'].includes(value.toLowerCase()) ? 'kafka-defaults' : 'bed'
}

/** Thrown when a fault is asked of a bed whose clusters someone else runs. */
export class FaultInjectionUnavailableError extends Error {
  override name = 'FaultInjectionUnavailableError'
}

const BROKER_JVM = [
  '-Xms128m',
  '-Xmx512m',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:TieredStopAtLevel=1',
  '-XX:+ExitOnOutOfMemoryError',
  '-Djava.awt.headless=true',
]
const MM2_JVM = [
  '-Xms128m',
  '-Xmx384m',
  '-XX:+UseG1GC',
  '-XX:TieredStopAtLevel=1',
  '-XX:+ExitOnOutOfMemoryError',
  '-Djava.awt.headless=true',
]
/** One flow, one task, no heartbeats or checkpoints: about 25 MB live after a full GC, so a smaller heap than the main MM2's (128 MB ran out while scanning plugins at start). */
const MM2_IDENTITY_JVM = [
  '-Xms32m',
  '-Xmx192m',
  '-XX:+UseG1GC',
  '-XX:TieredStopAtLevel=1',
  '-XX:+ExitOnOutOfMemoryError',
  '-Djava.awt.headless=true',
]
/** File in the state folder naming the profile the brokers were configured with. */
const PROFILE_FILE = 'broker-profile'
/** File in the state folder naming the security mode the storage was formatted with. */
const SECURITY_FILE = 'security-mode'

/** A handle on the bed (local or external). */
export class KafkaBed {
  /** Whether the handle may start, kill, pause and restart processes. */
  readonly canInjectFaults: boolean
  /** Bootstrap brokers per cluster name. */
  readonly brokers: Readonly<Record<string, string[]>>
  readonly stateDir: string
  readonly kafkaVersion: string
  /** The supervisor restarts MirrorMaker 2 when a flow has not delivered for this long. */
  readonly replicationStallMs: number
  private readonly verbose: boolean
  private readonly requestedProfile: BrokerProfile | undefined
  private readonly requestedSecurity: BedSecurity | undefined
  private classpath?: string
  private material?: Promise<BedCredentials>
  private stopFollowing?: () => void

  constructor(options: KafkaBedOptions = {}) {
    this.stateDir = resolve(options.stateDir ?? process.env.KAFKAJS_DR_BED_DIR ?? join(process.cwd(), '.bed'))
    this.kafkaVersion = options.kafkaVersion ?? process.env.KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION
    this.verbose = options.verbose ?? false
    this.requestedProfile = options.brokerProfile ?? profileFromEnv()
    this.requestedSecurity = options.security ?? securityFromEnv()
    this.replicationStallMs = options.replicationStallMs ?? 15_000
    const dc1 = process.env.KAFKAJS_DR_DC1_BROKERS
    const dc2 = process.env.KAFKAJS_DR_DC2_BROKERS
    this.canInjectFaults = !(dc1 && dc2)
    this.brokers =
      dc1 && dc2
        ? { dc1: dc1.split(','), dc2: dc2.split(',') }
        : Object.fromEntries(BED_CLUSTERS.map((c) => [c.name, [`127.0.0.1:${c.port}`]]))
  }

  /** Names of the clusters. */
  get clusterNames(): string[] {
    return Object.keys(this.brokers)
  }

  /**
   * The group settings the brokers run with: `bed` (group.initial.rebalance.delay.ms=0) or
   * `kafka-defaults` (Kafka's 3000); `external` for clusters someone else runs. Read from the
   * state folder, so every handle on the bed sees a switch made by another.
   */
  get brokerProfile(): BrokerProfile | 'external' {
    if (!this.canInjectFaults) return 'external'
    return this.storedProfile() ?? this.requestedProfile ?? 'bed'
  }

  /**
   * Runs both brokers with another profile: rewrites their server.properties and restarts them
   * gracefully (data kept), MirrorMaker 2 stopped meanwhile, then waits until both clusters
   * answer and replication delivers both ways again (unless replication was stopped on purpose:
   * then it stays stopped; the identity flow, when it ran, is stopped and started the same way).
   * Nothing happens when the profile is the current one. Afterwards both
   * brokers run, even one that was stopped or paused before.
   */
  async setBrokerProfile(profile: BrokerProfile): Promise<{ changed: boolean; ms: number }> {
    this.assertLocal('change the broker profile')
    const started = Date.now()
    const current = this.storedProfile()
    if (current === profile) return { changed: false, ms: 0 }
    if (current === undefined) {
      // Never started: the first start uses it.
      await mkdir(this.stateDir, { recursive: true })
      await writeFile(join(this.stateDir, PROFILE_FILE), `${profile}\n`)
      return { changed: false, ms: Date.now() - started }
    }
    this.log(`switching the brokers to the '${profile}' group settings (graceful restart of dc1 and dc2)`)
    await this.restartBrokersWith(`broker profile switch to ${profile}`, () => writeFile(join(this.stateDir, PROFILE_FILE), `${profile}\n`))
    return { changed: true, ms: Date.now() - started }
  }

  /**
   * Runs both brokers in another security mode (see {@link KafkaBedOptions.security}): rewrites
   * their server.properties and restarts them gracefully (data kept), as
   * {@link setBrokerProfile} does; MirrorMaker 2 then replicates through the listeners of that
   * mode. Switching a bed formatted without security to `sasl_ssl` adds its SCRAM users with
   * `kafka-configs` (a new bed gets them from `kafka-storage format --add-scram`). Nothing happens
   * when the mode is the current one.
   */
  async setSecurity(security: BedSecurity): Promise<{ changed: boolean; ms: number }> {
    this.assertLocal('change the security mode')
    const started = Date.now()
    const current = this.storedSecurity()
    if (current === security) return { changed: false, ms: 0 }
    if (current === undefined) {
      await mkdir(this.stateDir, { recursive: true })
      await writeFile(join(this.stateDir, SECURITY_FILE), `${security}\n`)
      return { changed: false, ms: Date.now() - started }
    }
    this.log(`switching the brokers to security '${security}' (graceful restart of dc1 and dc2)`)
    await this.restartBrokersWith(
      `security switch to ${security}`,
      () => writeFile(join(this.stateDir, SECURITY_FILE), `${security}\n`),
      async () => {
        if (security !== 'sasl_ssl') return
        const credentials = await this.securityMaterial()
        // Over the PLAINTEXT listener, whose user is a super user.
        await Promise.all(
          BED_CLUSTERS.map(async (c) => {
            for (const [user, password] of Object.entries(credentials)) {
              await this.runToCompletion(`${c.name}-scram`, 'kafka.admin.ConfigCommand', [
                '--bootstrap-server',
                `127.0.0.1:${c.port}`,
                '--alter',
                '--entity-type',
                'users',
                '--entity-name',
                user,
                '--add-config',
                `${SCRAM_MECHANISM}=[password=${password}]`,
              ])
            }
          }),
        )
      },
    )
    return { changed: true, ms: Date.now() - started }
  }

  /**
   * Stops MirrorMaker 2 (both flows) and the brokers gracefully, runs `apply` (which changes what
   * {@link ensureCluster} writes), starts the brokers, runs `afterStart` once they answer, then
   * starts MirrorMaker 2 again unless it was stopped on purpose before.
   */
  private async restartBrokersWith(reason: string, apply: () => Promise<void>, afterStart?: () => Promise<void>): Promise<void> {
    this.classpath ??= await resolveClasspath(this.kafkaVersion)
    await mkdir(join(this.stateDir, 'logs'), { recursive: true })
    // MM2 is stopped first: restarting the brokers under a running MM2 makes its workers lose
    // their Connect group and wait out scheduled.rebalance.max.delay.ms before replicating again.
    const replicationHeld = replicationHold(this.stateDir) !== undefined
    const identityRan = processState(this.stateDir, 'mm2-identity') !== 'stopped'
    await withReplicationLock(this.stateDir, async () => {
      await holdReplication(this.stateDir, reason)
      await stopProcess(this.stateDir, 'mm2', 15_000)
    })
    await stopProcess(this.stateDir, 'mm2-identity', 15_000)
    await Promise.all(BED_CLUSTERS.map((c) => stopProcess(this.stateDir, c.name, 30_000)))
    await apply()
    await Promise.all(BED_CLUSTERS.map((c) => this.ensureCluster(c)))
    await Promise.all(BED_CLUSTERS.map((c) => this.waitClusterReady(c.name, 60_000)))
    await afterStart?.()
    if (!replicationHeld) {
      await this.startReplicator()
      await this.waitForReplication(120_000)
    }
    if (identityRan) await this.startIdentityReplication()
  }

  /**
   * The security mode the bed runs with (`none` or `sasl_ssl`, from the state folder), `external`
   * for clusters someone else runs.
   */
  get security(): BedSecurity | 'external' {
    if (!this.canInjectFaults) return 'external'
    return this.storedSecurity() ?? this.requestedSecurity ?? 'none'
  }

  /**
   * The kafkajs config with which `user` reaches one cluster's SASL_SSL listener (the content of
   * `client-config.json` for {@link BED_APP_USER}). Only in the security mode.
   */
  secureKafkaConfig(cluster: string, user: BedUser = BED_APP_USER): kafkajs.KafkaConfig {
    if (this.security !== 'sasl_ssl')
      throw new Error(`the bed in ${this.stateDir} runs without security: start it with \`npm run bed:up -- --security sasl_ssl\``)
    const spec = BED_CLUSTERS.find((c) => c.name === cluster)
    if (spec === undefined) throw new Error(`unknown bed cluster '${cluster}'`)
    const ca = readFileSync(securityFiles(this.stateDir).caCert, 'utf8')
    return secureClientConfigs([spec], ca, readCredentials(this.stateDir), user)[cluster]!
  }

  /** Where the bed wrote the kafkajs configs of its SASL_SSL listeners for {@link BED_APP_USER} (security mode). */
  get clientConfigFile(): string {
    return clientConfigFile(this.stateDir)
  }

  /** A kafkajs client for one cluster, quiet and quick to give up (for tests and tooling). */
  kafka(cluster: string, clientId = 'kafkajs-dr-bed'): kafkajs.Kafka {
    const brokers = this.brokers[cluster]
    if (!brokers) throw new Error(`unknown bed cluster '${cluster}'`)
    return new Kafka({
      clientId,
      brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      requestTimeout: 5000,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
    })
  }

  /**
   * Starts whatever is not running (and resumes what is paused); returns once both clusters
   * answer and replication works both ways. Idempotent.
   */
  async up(): Promise<{ ms: number }> {
    const started = Date.now()
    if (!this.canInjectFaults) {
      await Promise.all(this.clusterNames.map((name) => this.waitClusterReady(name, 60_000)))
      return { ms: Date.now() - started }
    }
    await checkJava()
    this.log(`resolving Kafka ${this.kafkaVersion} jars (Maven Central, cached in ~/.m2)`)
    this.classpath ??= await resolveClasspath(this.kafkaVersion)
    await mkdir(join(this.stateDir, 'logs'), { recursive: true })
    const storedSecurity = this.storedSecurity()
    if (storedSecurity === undefined) {
      await writeFile(join(this.stateDir, SECURITY_FILE), `${this.requestedSecurity ?? 'none'}\n`)
    } else if (this.requestedSecurity !== undefined && this.requestedSecurity !== storedSecurity) {
      await this.setSecurity(this.requestedSecurity)
    }
    const stored = this.storedProfile()
    if (stored === undefined) {
      await writeFile(join(this.stateDir, PROFILE_FILE), `${this.requestedProfile ?? 'bed'}\n`)
    } else if (this.requestedProfile !== undefined && this.requestedProfile !== stored) {
      await this.setBrokerProfile(this.requestedProfile)
    }
    await Promise.all(BED_CLUSTERS.map((c) => this.ensureCluster(c)))
    await Promise.all(BED_CLUSTERS.map((c) => this.waitClusterReady(c.name, 60_000)))
    if (this.security === 'sasl_ssl') await writeClientConfigs(this.stateDir, BED_CLUSTERS, readCredentials(this.stateDir))
    await this.ensureProbeTopics()
    await this.startReplicator()
    await this.ensureSupervisor()
    // The identity flow is optional: started only by startIdentityReplication(), but not left paused.
    if (processState(this.stateDir, 'mm2-identity') === 'paused') signal(this.stateDir, 'mm2-identity', 'SIGCONT')
    await this.waitForReplication(120_000)
    return { ms: Date.now() - started }
  }

  /** Stops every process the bed started and removes its data and logs. */
  async down(): Promise<void> {
    if (!this.canInjectFaults) return
    this.stopFollowing?.()
    // The supervisor first, so that it cannot restart MM2 while the bed goes down.
    await stopProcess(this.stateDir, 'supervisor', 5000)
    await Promise.all((['mm2', 'mm2-identity', 'dc1', 'dc2'] as const).map((name) => stopProcess(this.stateDir, name, 0)))
    // Whatever else carries this bed's marker: a process started while its pid file was replaced.
    for (const { pid, marker } of allBedProcesses()) {
      if (!marker.startsWith(`${this.stateDir}#`)) continue
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        /* already gone */
      }
    }
    await rm(this.stateDir, { recursive: true, force: true })
  }

  /** State of each process. */
  status(): BedStatus {
    const state = (name: string): ProcessState => processState(this.stateDir, name)
    return {
      dc1: state('dc1'),
      dc2: state('dc2'),
      mm2: state('mm2'),
      'mm2-identity': state('mm2-identity'),
      supervisor: state('supervisor'),
    }
  }

  /** Whether both clusters and MirrorMaker 2 run (the supervisor and the optional identity flow aside). */
  isUp(): boolean {
    const { dc1, dc2, mm2 } = this.status()
    return dc1 === 'running' && dc2 === 'running' && mm2 === 'running'
  }

  /** kill -9 a process: the datacenter dies without a goodbye. MM2 killed so stays down (the supervisor leaves it) until started. */
  async kill(name: BedProcess): Promise<void> {
    this.assertLocal('kill')
    if (name === 'mm2') await this.stopReplicator('killed by the bed handle', 0)
    else await stopProcess(this.stateDir, name, 0)
  }

  /** SIGSTOP: the process hangs, its sockets stay open, it answers nothing. */
  pause(name: BedProcess): void {
    this.assertLocal('pause')
    if (!signal(this.stateDir, name, 'SIGSTOP')) throw new Error(`${name} is not running`)
  }

  /** SIGCONT: a paused process carries on. */
  resume(name: BedProcess): void {
    this.assertLocal('resume')
    if (!signal(this.stateDir, name, 'SIGCONT')) throw new Error(`${name} is not running`)
  }

  /** Graceful stop (SIGTERM, then SIGKILL after 15 s). MM2 stopped so stays down (the supervisor leaves it) until started. */
  async stop(name: BedProcess): Promise<void> {
    this.assertLocal('stop')
    if (name === 'mm2') await this.stopReplicator('stopped by the bed handle', 15_000)
    else await stopProcess(this.stateDir, name, 15_000)
  }

  /** Starts one process if it is not running and waits until it is ready. */
  async start(name: BedProcess): Promise<void> {
    this.assertLocal('start')
    this.classpath ??= await resolveClasspath(this.kafkaVersion)
    if (name === 'mm2') {
      await this.startReplicator()
      await this.waitForReplication(120_000)
      return
    }
    if (name === 'mm2-identity') {
      await this.startIdentityReplication()
      return
    }
    const spec = BED_CLUSTERS.find((c) => c.name === name)!
    await this.ensureCluster(spec)
    await this.waitClusterReady(name, 60_000)
  }

  /** Kill (or stop gracefully) and start again with the same data. */
  async restart(name: BedProcess, how: 'kill' | 'graceful' = 'graceful'): Promise<void> {
    await (how === 'kill' ? this.kill(name) : this.stop(name))
    await this.start(name)
  }

  /** Stops MirrorMaker 2; the supervisor leaves it stopped until {@link startReplication}. */
  async stopReplication(): Promise<void> {
    await this.stop('mm2')
  }

  /** Starts MirrorMaker 2 and waits until records flow both ways. */
  async startReplication(): Promise<void> {
    await this.start('mm2')
  }

  /**
   * Starts the identity flow, `mm2-identity` (a second MirrorMaker 2 with
   * IdentityReplicationPolicy: topics `identity-*` from dc1 to the same names on dc2), and waits
   * until it delivers. A main MirrorMaker 2 started with another configuration (from an older
   * checkout, one that still replicates `identity-*` topics) is restarted first. Idempotent; the
   * flow runs until {@link stopIdentityReplication} or `bed:down`.
   */
  async startIdentityReplication(): Promise<void> {
    this.assertLocal('start the identity flow')
    this.classpath ??= await resolveClasspath(this.kafkaVersion)
    const restartedMain = await withReplicationLock(this.stateDir, async () => {
      const stale = await this.stopStaleMirrorMaker()
      if (stale) await this.ensureMirrorMaker()
      await this.ensureIdentityMirrorMaker()
      return stale
    })
    await this.ensureTopic(IDENTITY_FLOW.source, IDENTITY_PROBE_TOPIC)
    await Promise.all([this.waitForIdentityReplication(120_000), restartedMain ? this.waitForReplication(120_000) : undefined])
  }

  /** Stops the identity flow gracefully (SIGTERM, then SIGKILL after 15 s); nothing restarts it. */
  async stopIdentityReplication(): Promise<void> {
    await this.stop('mm2-identity')
  }

  /**
   * Resolves once a record produced to {@link IDENTITY_PROBE_TOPIC} on dc1 has reached the topic
   * of the same name on dc2. Fails early when `mm2-identity` is not running.
   */
  async waitForIdentityReplication(timeoutMs: number): Promise<void> {
    await this.waitFlow(IDENTITY_FLOW.source, IDENTITY_FLOW.target, timeoutMs, {
      topic: IDENTITY_PROBE_TOPIC,
      replica: IDENTITY_PROBE_TOPIC,
      process: 'mm2-identity',
      assertComing: () => {
        if (livePid(this.stateDir, 'mm2-identity') === undefined) {
          throw new Error(`mm2-identity is not running (start it with startIdentityReplication()); see ${this.logFile('mm2-identity')}`)
        }
      },
    })
  }

  /**
   * For the supervisor: restarts MirrorMaker 2 (graceful stop, start) unless it is held stopped on
   * purpose; false when it left MM2 alone. Does not wait for replication.
   * @internal
   */
  async restartStalledReplication(): Promise<boolean> {
    this.assertLocal('restart MirrorMaker 2')
    this.classpath ??= await resolveClasspath(this.kafkaVersion)
    return withReplicationLock(this.stateDir, async () => {
      if (replicationHold(this.stateDir) !== undefined) return false
      await stopProcess(this.stateDir, 'mm2', 15_000)
      await this.ensureMirrorMaker()
      return true
    })
  }

  /**
   * Resolves once a record produced on each cluster has reached the other one. Waits through a
   * restart of MirrorMaker 2 by the supervisor; fails early when MM2 is not running and nobody is
   * starting it.
   */
  async waitForReplication(timeoutMs: number): Promise<void> {
    const names = this.clusterNames
    await Promise.all(
      names.flatMap((source) => names.filter((t) => t !== source).map((target) => this.waitFlow(source, target, timeoutMs))),
    )
  }

  private async waitFlow(
    source: string,
    target: string,
    timeoutMs: number,
    flow: FlowProbe = {
      topic: PROBE_TOPIC,
      replica: `${source}.${PROBE_TOPIC}`,
      process: 'mm2',
      assertComing: () => this.assertReplicatorComing(),
    },
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs
    const { topic, replica } = flow
    const before = await this.highWatermark(target, replica)
    const producer = this.kafka(source).producer({ allowAutoTopicCreation: true })
    await producer.connect()
    try {
      // A broker that has just (re)started answers metadata before it leads its partitions
      // (NOT_LEADER_OR_FOLLOWER): try again until it does, within the deadline.
      for (;;) {
        try {
          await producer.send({ topic, messages: [{ value: `probe ${Date.now()}` }] })
          break
        } catch (error) {
          if (Date.now() >= deadline) throw error
          await delay(500)
        }
      }
    } finally {
      await producer.disconnect()
    }
    while (Date.now() < deadline) {
      if ((await this.highWatermark(target, replica)) > before) return
      flow.assertComing()
      await delay(250)
    }
    throw new Error(
      `replication ${source} -> ${target} (${flow.process}) did not deliver within ${timeoutMs} ms; ${flow.process} log:\n${await logTail(this.logFile(flow.process))}`,
    )
  }

  /** Sum of a topic's high watermarks on one cluster (0 when it does not exist yet). */
  async highWatermark(cluster: string, topic: string): Promise<number> {
    const admin = this.kafka(cluster).admin()
    try {
      await admin.connect()
      const offsets = await admin.fetchTopicOffsets(topic)
      return offsets.reduce((sum, p) => sum + Number(p.high), 0)
    } catch {
      return 0
    } finally {
      await admin.disconnect()
    }
  }

  private async ensureProbeTopics(): Promise<void> {
    await Promise.all(this.clusterNames.map((name) => this.ensureTopic(name, PROBE_TOPIC)))
  }

  /** Creates a one-partition topic unless it exists. */
  private async ensureTopic(cluster: string, topic: string): Promise<void> {
    const admin = this.kafka(cluster).admin()
    await admin.connect()
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true })
    } finally {
      await admin.disconnect()
    }
  }

  private async ensureCluster(cluster: BedClusterSpec): Promise<void> {
    const state = processState(this.stateDir, cluster.name)
    if (state === 'paused') signal(this.stateDir, cluster.name, 'SIGCONT')
    if (state !== 'stopped') return
    await this.assertPortFree(cluster.port, cluster.name)
    const secured = this.security === 'sasl_ssl'
    if (secured) await this.assertPortFree(cluster.securePort, `${cluster.name} (SASL_SSL)`)
    const credentials = secured ? await this.securityMaterial() : undefined
    const dataDir = join(this.stateDir, cluster.name, 'data')
    const config = join(this.stateDir, cluster.name, 'server.properties')
    await mkdir(dataDir, { recursive: true })
    await writeFile(
      config,
      brokerProperties(
        cluster,
        dataDir,
        this.storedProfile() ?? this.requestedProfile ?? 'bed',
        secured ? securityFiles(this.stateDir) : undefined,
      ),
      { mode: 0o600 },
    )
    if (!existsSync(join(dataDir, 'meta.properties'))) {
      this.log(`${cluster.name}: formatting storage${secured ? ' (with SCRAM users)' : ''}`)
      await this.runToCompletion(`${cluster.name}-format`, 'kafka.tools.StorageTool', [
        'format',
        '-t',
        kafkaUuid(),
        '-c',
        config,
        ...(credentials === undefined ? [] : scramFormatArgs(credentials)),
      ])
    }
    this.log(
      `${cluster.name}: starting broker on 127.0.0.1:${cluster.port}${secured ? ` (SASL_SSL on 127.0.0.1:${cluster.securePort})` : ''}`,
    )
    await startJvm({
      name: cluster.name,
      stateDir: this.stateDir,
      classpath: this.classpath!,
      mainClass: 'kafka.Kafka',
      args: [config],
      jvmOptions: [...BROKER_JVM, `-Dlog4j2.configurationFile=${BED_FILES.log4j}`],
      logFile: this.logFile(cluster.name),
    })
  }

  /** Starts MM2 if it is not running, lifting a hold: for whoever wants replication back. */
  private async startReplicator(): Promise<void> {
    await withReplicationLock(this.stateDir, async () => {
      await releaseReplication(this.stateDir)
      await this.ensureMirrorMaker()
    })
  }

  /** Stops MM2 on purpose: the supervisor must leave it stopped. */
  private async stopReplicator(reason: string, graceMs: number): Promise<void> {
    await withReplicationLock(this.stateDir, async () => {
      await holdReplication(this.stateDir, reason)
      await stopProcess(this.stateDir, 'mm2', graceMs)
    })
  }

  /**
   * Stops MM2 if it runs with a configuration other than the one this code writes (started from
   * an older checkout, or before a change of config.ts); true when it did. Only with the MM2 lock held.
   */
  private async stopStaleMirrorMaker(): Promise<boolean> {
    if (processState(this.stateDir, 'mm2') === 'stopped') return false
    const config = join(this.stateDir, 'mm2.properties')
    const current = existsSync(config) ? readFileSync(config, 'utf8') : undefined
    if (current === this.mirrorMakerConfig()) return false
    this.log('mm2: its configuration has changed (mm2.properties): restarting MirrorMaker 2')
    await stopProcess(this.stateDir, 'mm2', 15_000)
    return true
  }

  /** The security mode's certificates and passwords, made once (both clusters start at the same time). */
  private securityMaterial(): Promise<BedCredentials> {
    this.material ??= ensureSecurityMaterial(this.stateDir)
    this.material.catch(() => {
      this.material = undefined
    })
    return this.material
  }

  /** mm2.properties as this code writes it for the bed's security mode. */
  private mirrorMakerConfig(): string {
    return mirrorMakerProperties(
      BED_CLUSTERS,
      this.security === 'sasl_ssl' ? { files: securityFiles(this.stateDir), credentials: readCredentials(this.stateDir) } : undefined,
    )
  }

  /** Only with the MM2 lock held. */
  private async ensureMirrorMaker(): Promise<void> {
    await this.stopStaleMirrorMaker()
    const state = processState(this.stateDir, 'mm2')
    if (state === 'paused') signal(this.stateDir, 'mm2', 'SIGCONT')
    if (state !== 'stopped') return
    const config = join(this.stateDir, 'mm2.properties')
    await writeFile(config, this.mirrorMakerConfig(), { mode: 0o600 })
    this.log(`mm2: starting MirrorMaker 2 (dc1 <-> dc2${this.security === 'sasl_ssl' ? ', through SASL_SSL' : ''})`)
    await startJvm({
      name: 'mm2',
      stateDir: this.stateDir,
      classpath: this.classpath!,
      mainClass: 'org.apache.kafka.connect.mirror.MirrorMaker',
      args: [config],
      jvmOptions: [...MM2_JVM, `-Dlog4j2.configurationFile=${BED_FILES.log4j}`],
      logFile: this.logFile('mm2'),
    })
  }

  /** Starts the identity flow's MirrorMaker 2 if it is not running (resumes it if paused). */
  private async ensureIdentityMirrorMaker(): Promise<void> {
    const state = processState(this.stateDir, 'mm2-identity')
    if (state === 'paused') signal(this.stateDir, 'mm2-identity', 'SIGCONT')
    if (state !== 'stopped') return
    const config = join(this.stateDir, 'mm2-identity.properties')
    await writeFile(config, identityMirrorMakerProperties(BED_CLUSTERS))
    this.log(
      `mm2-identity: starting MirrorMaker 2 with IdentityReplicationPolicy (${IDENTITY_FLOW.source} -> ${IDENTITY_FLOW.target}, topics ${IDENTITY_TOPIC_PREFIX}*)`,
    )
    await startJvm({
      name: 'mm2-identity',
      stateDir: this.stateDir,
      classpath: this.classpath!,
      mainClass: 'org.apache.kafka.connect.mirror.MirrorMaker',
      args: [config],
      jvmOptions: [...MM2_IDENTITY_JVM, `-Dlog4j2.configurationFile=${BED_FILES.log4j}`],
      logFile: this.logFile('mm2-identity'),
    })
  }

  /** Starts the supervisor if it is not running; with `verbose`, its lines are echoed while this process runs. */
  private async ensureSupervisor(): Promise<void> {
    const state = processState(this.stateDir, 'supervisor')
    if (state === 'paused') signal(this.stateDir, 'supervisor', 'SIGCONT')
    if (state === 'stopped') {
      this.log(
        `supervisor: restarts MirrorMaker 2 when a flow has not delivered for ${this.replicationStallMs} ms (log: ${this.logFile('supervisor')})`,
      )
      const env: NodeJS.ProcessEnv = { ...process.env, KAFKA_VERSION: this.kafkaVersion, KAFKAJS_DR_BED_PORT_OFFSET: String(PORT_OFFSET) }
      delete env.KAFKAJS_DR_DC1_BROKERS
      delete env.KAFKAJS_DR_DC2_BROKERS
      await startNode({
        name: 'supervisor',
        stateDir: this.stateDir,
        script: BED_FILES.supervisor,
        // TypeScript, run with tsx's loader given by absolute path: `--import tsx` would resolve
        // from the caller's folder.
        nodeOptions: ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href],
        args: [this.stateDir, `--stall-ms=${this.replicationStallMs}`],
        env,
        logFile: this.logFile('supervisor'),
      })
    }
    if (this.verbose) this.followSupervisorLog()
  }

  /** Echoes new lines of the supervisor's log to stdout, without keeping this process alive. */
  private followSupervisorLog(): void {
    if (this.stopFollowing !== undefined) return
    const file = this.logFile('supervisor')
    let offset = existsSync(file) ? statSync(file).size : 0
    const onChange = (current: { size: number }): void => {
      if (current.size < offset) offset = 0
      if (current.size === offset) return
      const fd = openSync(file, 'r')
      const chunk = Buffer.alloc(current.size - offset)
      try {
        readSync(fd, chunk, 0, chunk.length, offset)
      } finally {
        closeSync(fd)
      }
      offset = current.size
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') console.log(`[bed] supervisor: ${line}`)
    }
    watchFile(file, { interval: 1000, persistent: false }, onChange)
    this.stopFollowing = () => unwatchFile(file, onChange)
  }

  private async runToCompletion(name: string, mainClass: string, args: string[]): Promise<void> {
    const log = this.logFile(name)
    const fd = openSync(log, 'a')
    try {
      const code = await new Promise<number | null>((resolvePromise, reject) => {
        const child = spawn(
          'java',
          [
            '-Xmx256m',
            '-XX:TieredStopAtLevel=1',
            `-Dlog4j2.configurationFile=${BED_FILES.log4j}`,
            '-cp',
            this.classpath!,
            mainClass,
            ...args,
          ],
          { stdio: ['ignore', fd, fd] },
        )
        child.on('error', reject)
        child.on('exit', resolvePromise)
      })
      if (code !== 0) throw new Error(`${name} failed (exit ${code}); end of ${log}:\n${await logTail(log)}`)
    } finally {
      closeSync(fd)
    }
  }

  /** Waits until a cluster answers a metadata request. */
  async waitClusterReady(name: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    let lastError: unknown
    while (Date.now() < deadline) {
      if (this.canInjectFaults) this.assertAlive(name as BedProcess)
      const admin = this.kafka(name).admin()
      try {
        await admin.connect()
        await admin.describeCluster()
        // A fresh KRaft node answers metadata before it can create topics; listing topics goes
        // through the controller too.
        await admin.listTopics()
        // And a restarted one, still loading its partitions, serves a new topic's metadata only
        // seconds after its creation (a test's next topic then looks unknown): wait that out.
        if (this.canInjectFaults) await this.assertServesNewTopics(admin, deadline)
        return
      } catch (error) {
        lastError = error
      } finally {
        await admin.disconnect().catch(() => {})
      }
      await delay(200)
    }
    const tail = this.canInjectFaults ? `\nend of ${this.logFile(name)}:\n${await logTail(this.logFile(name))}` : ''
    throw new Error(`${name} did not become ready within ${timeoutMs} ms: ${String(lastError)}${tail}`)
  }

  /** Creates a topic and waits until the broker serves its metadata (then deletes it); throws if not by `deadline`. */
  private async assertServesNewTopics(admin: kafkajs.Admin, deadline: number): Promise<void> {
    // `.replica`: a name MirrorMaker 2 leaves alone (`topics.exclude`), so no copy is left behind.
    const topic = `${PROBE_TOPIC}-ready-${randomBytes(4).toString('hex')}.replica`
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: false })
    for (;;) {
      try {
        await admin.fetchTopicMetadata({ topics: [topic] })
        break
      } catch (error) {
        if (Date.now() >= deadline) throw error
        await delay(50)
      }
    }
    await admin.deleteTopics({ topics: [topic] })
  }

  private assertAlive(name: BedProcess): void {
    if (livePid(this.stateDir, name) === undefined) {
      throw new Error(`${name} exited during start-up; see ${this.logFile(name)}`)
    }
  }

  /** Throws when MM2 is not running and nobody is starting it: replication cannot come. */
  private assertReplicatorComing(): void {
    if (livePid(this.stateDir, 'mm2') !== undefined) return
    // The supervisor is restarting it (stopped, not yet started): keep waiting.
    if (replicationLocked(this.stateDir)) return
    // It may have finished the restart between the two looks.
    if (livePid(this.stateDir, 'mm2') !== undefined) return
    const hold = replicationHold(this.stateDir)
    throw new Error(
      hold !== undefined
        ? `mm2 is stopped on purpose (${hold}): replication cannot deliver`
        : `mm2 is not running (it exited?); see ${this.logFile('mm2')}`,
    )
  }

  /** The security mode the bed was first started with; undefined before that (or for a bed started before modes were recorded: none). */
  private storedSecurity(): BedSecurity | undefined {
    try {
      return parseBedSecurity(readFileSync(join(this.stateDir, SECURITY_FILE), 'utf8').trim())
    } catch {
      return existsSync(join(this.stateDir, BED_CLUSTERS[0]!.name, 'server.properties')) ? 'none' : undefined
    }
  }

  /** The profile the brokers were last configured with; undefined before the bed's first start. */
  private storedProfile(): BrokerProfile | undefined {
    try {
      return parseBrokerProfile(readFileSync(join(this.stateDir, PROFILE_FILE), 'utf8').trim())
    } catch {
      // A bed started before profiles were recorded: its server.properties tells.
      const config = join(this.stateDir, BED_CLUSTERS[0]!.name, 'server.properties')
      return existsSync(config) ? profileOfProperties(readFileSync(config, 'utf8')) : undefined
    }
  }

  private async assertPortFree(port: number, owner: string): Promise<void> {
    const inUse = (): Promise<boolean> =>
      new Promise<boolean>((resolvePromise) => {
        const socket = createConnection({ host: '127.0.0.1', port })
        socket.once('connect', () => {
          socket.destroy()
          resolvePromise(true)
        })
        socket.once('error', () => resolvePromise(false))
      })
    // A process of ours that just exited may hold its listener for a moment longer.
    for (let i = 0; i < 50 && (await inUse()); i++) await delay(100)
    if (!(await inUse())) return
    const strays = allBedProcesses().filter((p) => !p.marker.startsWith(`${this.stateDir}#`))
    const hint =
      strays.length > 0
        ? `a bed from another folder is running (${strays.map((s) => s.marker).join(', ')}): run \`npm run bed:down -- --all\``
        : 'another program is listening there'
    throw new Error(`cannot start ${owner}: 127.0.0.1:${port} is in use; ${hint}`)
  }

  private assertLocal(what: string): void {
    if (!this.canInjectFaults) {
      throw new FaultInjectionUnavailableError(
        `cannot ${what}: the bed points at external clusters (KAFKAJS_DR_DC1_BROKERS/KAFKAJS_DR_DC2_BROKERS), so fault injection is unavailable`,
      )
    }
  }

  /** Log file of a bed process. */
  logFile(name: string): string {
    return join(this.stateDir, 'logs', `${name}.log`)
  }

  private log(line: string): void {
    if (this.verbose) console.log(`[bed] ${line}`)
  }
}

/** What {@link KafkaBed.waitFlow} produces to, where it looks for the copy, and who brings it. */
interface FlowProbe {
  /** Topic produced to on the source. */
  topic: string
  /** Its copy on the target. */
  replica: string
  /** The MirrorMaker 2 of the flow (for the log in an error). */
  process: 'mm2' | 'mm2-identity'
  /** Throws when the copy cannot come (the flow's MM2 is not running and nobody starts it). */
  assertComing: () => void
}

/** Stops every bed process on this machine, whichever checkout started it. */
export async function killAllBeds(): Promise<number> {
  const strays = allBedProcesses()
  for (const { pid } of strays) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      /* already gone */
    }
  }
  await delay(strays.length > 0 ? 500 : 0)
  return strays.length
}

/**
 * A random Kafka cluster id: 16 bytes, base64url without padding (Kafka's Uuid format). Never
 * starting with '-', as Kafka's own `Uuid.randomUuid()` ensures: the storage tool would read such
 * an id as an option (one format in 64 failed so).
 */
export function kafkaUuid(): string {
  let id: string
  do id = randomBytes(16).toString('base64url')
  while (id.startsWith('-'))
  return id
}
