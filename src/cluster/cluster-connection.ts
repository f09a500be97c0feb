/**
 * One cluster: its kafkajs client, a shared admin for the library's own work (translation,
 * checkpoints), and the health probe. The probe uses an admin of its own that is thrown away
 * after a failure, so a connection stuck on a hung broker never delays the next probe.
 */
import { createConnection } from 'node:net'
import kafkajs, { type Admin, type Kafka, type KafkaConfig, type RetryOptions } from 'kafkajs'
import { ClusterIdChangedError, KafkaClientError } from '../errors.js'
import { errorMessage, logger } from '../util/log.js'
import { withTimeout } from '../util/timeout.js'
import type { ProbeResult } from './types.js'

const log = logger('cluster')

/**
 * In-cluster retries for the clients kafkajs-dr creates. kafkajs' default (5 retries, ~9 s of
 * back-off) hides a dead cluster for too long; across clusters, p-retry decides instead.
 */
export const FAILOVER_RETRY: RetryOptions = { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 }

/** Defaults applied to a cluster given as a kafkajs config (only where the config is silent). */
const CONFIG_DEFAULTS: Partial<KafkaConfig> = {
  connectionTimeout: 1000,
  requestTimeout: 10_000,
  retry: FAILOVER_RETRY,
  logLevel: kafkajs.logLevel.WARN,
}

/** Whether `value` is a kafkajs `Kafka` instance rather than a config. */
export function isKafkaInstance(value: unknown): value is Kafka {
  return typeof value === 'object' && value !== null && typeof (value as Kafka).producer === 'function' && typeof (value as Kafka).admin === 'function'
}

/** Builds a kafkajs client from a config with failover-friendly defaults. */
export function kafkaFromConfig(config: KafkaConfig): Kafka {
  return new kafkajs.Kafka({ ...CONFIG_DEFAULTS, ...config })
}

/** A named cluster with its client, probe and shared admin. */
export class ClusterConnection {
  /** The cluster id seen first; every later probe must see the same. */
  clusterId: string | undefined
  /** Broker addresses from the last good probe, for the fast refused-connection check. */
  private brokers: Array<{ host: string, port: number }> = []
  private probeAdmin: Admin | undefined
  private sharedAdmin: Promise<Admin> | undefined

  constructor(
    /** Cluster name, e.g. `dc1`. */
    readonly name: string,
    /** Lower is preferred. */
    readonly priority: number,
    /** The kafkajs client. */
    readonly kafka: Kafka,
  ) {}

  /**
   * One health probe: a metadata request (`describeCluster`) bounded by `timeoutMs`, and the
   * cluster id compared with the one first seen. Never throws.
   */
  async probe(timeoutMs: number): Promise<ProbeResult> {
    const started = Date.now()
    try {
      await this.assertNotAllRefused(timeoutMs)
      this.probeAdmin ??= this.kafka.admin({ retry: { retries: 0 } })
      const admin = this.probeAdmin
      const { clusterId, brokers } = await withTimeout((async () => {
        await admin.connect()
        return admin.describeCluster()
      })(), timeoutMs, `health probe of '${this.name}'`, { cluster: this.name })
      this.brokers = brokers.map(({ host, port }) => ({ host, port }))
      if (this.clusterId === undefined) this.clusterId = clusterId
      else if (this.clusterId !== clusterId) throw new ClusterIdChangedError(this.name, this.clusterId, clusterId)
      return { ok: true, clusterId, latencyMs: Date.now() - started }
    } catch (error) {
      this.dropProbeAdmin(timeoutMs)
      const err = error instanceof Error ? error : new KafkaClientError(String(error), { cluster: this.name, cause: error })
      log('probe of %s failed: %s', this.name, errorMessage(err))
      return { ok: false, error: err, latencyMs: Date.now() - started }
    }
  }

  /**
   * Fails at once when every broker seen before refuses TCP connections (a dead process). kafkajs
   * connects through the client's own retry settings (about 4.5 s of back-off by default, and an
   * instance's settings cannot be changed), so without this a dead cluster would look merely slow.
   * A hung broker still accepts connections: that case is left to the probe timeout.
   */
  private async assertNotAllRefused(timeoutMs: number): Promise<void> {
    if (this.brokers.length === 0) return
    const refused = await Promise.all(this.brokers.map(({ host, port }) => new Promise<boolean>((resolve) => {
      const socket = createConnection({ host, port })
      const done = (result: boolean): void => { socket.destroy(); resolve(result) }
      socket.setTimeout(Math.min(timeoutMs, 500), () => done(false))
      socket.once('connect', () => done(false))
      socket.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED'))
    })))
    if (refused.every(Boolean)) {
      throw new kafkajs.KafkaJSConnectionError(`every broker of '${this.name}' refused the connection (${this.brokers.map((b) => `${b.host}:${b.port}`).join(', ')})`)
    }
  }

  /** The shared, connected admin of this cluster (created on first use, recreated after a failure). */
  async admin(timeoutMs = 10_000): Promise<Admin> {
    if (!this.sharedAdmin) {
      const admin = this.kafka.admin({ retry: FAILOVER_RETRY })
      this.sharedAdmin = withTimeout(admin.connect(), timeoutMs, `admin connection to '${this.name}'`, { cluster: this.name }).then(() => admin)
      this.sharedAdmin.catch(() => {
        this.sharedAdmin = undefined
        void disconnectQuietly(admin, timeoutMs)
      })
    }
    return this.sharedAdmin
  }

  /** Closes the probe and shared admins, each bounded by `timeoutMs`. */
  async close(timeoutMs = 5000): Promise<void> {
    const shared = this.sharedAdmin
    this.sharedAdmin = undefined
    const probe = this.probeAdmin
    this.probeAdmin = undefined
    await Promise.all([
      probe ? disconnectQuietly(probe, timeoutMs) : undefined,
      shared?.then((admin) => disconnectQuietly(admin, timeoutMs), () => {}),
    ])
  }

  private dropProbeAdmin(timeoutMs: number): void {
    const admin = this.probeAdmin
    this.probeAdmin = undefined
    if (admin) void disconnectQuietly(admin, timeoutMs)
  }
}

/**
 * Disconnects a kafkajs client without ever throwing or hanging longer than `timeoutMs`: tearing
 * down a client of a dead or hung cluster can take seconds or never finish (kafkajs #1596, #767).
 */
export async function disconnectQuietly(client: { disconnect(): Promise<void> }, timeoutMs: number): Promise<void> {
  try {
    await withTimeout(client.disconnect(), timeoutMs, 'disconnect')
  } catch (error) {
    log('disconnect did not finish cleanly: %s', errorMessage(error))
  }
}
