/**
 * One cluster: its kafkajs client, a shared admin for the library's own work (translation,
 * checkpoints), and the health probe. The probe uses an admin of its own that is thrown away
 * after a failure, so a connection stuck on a hung broker never delays the next probe.
 */
import { createConnection } from 'node:net'
import kafkajs, { type Admin, type Kafka, type KafkaConfig, type RetryOptions } from 'kafkajs'
import {
  asAuthenticationError,
  ClusterIdChangedError,
  KafkaClientError,
  NotConnectedError,
  TimeoutError,
  type AuthenticationError,
} from '../errors/index.js'
import { errorMessage, logger } from '../util/log.js'
import { withTimeout } from '../util/timeout.js'
import { mendKafkajsConnection } from './kafkajs-connection-mend.js'
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
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Kafka).producer === 'function' &&
    typeof (value as Kafka).admin === 'function'
  )
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
  private brokers: Array<{ host: string; port: number }> = []
  private probeAdmin: Admin | undefined
  private sharedAdmin: Promise<Admin> | undefined
  /** The probe under way (its admin connecting or asking), until it settles. */
  private probeAttempt: Promise<unknown> | undefined
  /** Until when a teardown here does not wait: one timed out (the cluster hangs), in ms since the epoch. */
  private unresponsiveUntil = 0
  /** Closed by the client's disconnect: no probe or admin from then on. */
  private closed = false
  /** The last probe's refusal (a SASL login, a certificate) that came after it had timed out; cleared by a good probe. */
  private refusal: AuthenticationError | undefined

  constructor(
    /** Cluster name, e.g. `dc1`. */
    readonly name: string,
    /** Lower is preferred. */
    readonly priority: number,
    /** The kafkajs client. */
    readonly kafka: Kafka,
  ) {
    mendKafkajsConnection()
  }

  /**
   * One health probe: a metadata request (`describeCluster`) bounded by `timeoutMs`, and the
   * cluster id compared with the one first seen. A refused SASL login or an untrusted broker
   * certificate fails it with an `AuthenticationError`. Never throws.
   */
  async probe(timeoutMs: number): Promise<ProbeResult> {
    const started = Date.now()
    try {
      await this.assertNotAllRefused(timeoutMs)
      if (this.closed) throw new NotConnectedError(`cluster '${this.name}' (closed)`)
      this.probeAdmin ??= this.kafka.admin({ retry: { retries: 0 } })
      const admin = this.probeAdmin
      const attempt = (async () => {
        await admin.connect()
        return admin.describeCluster()
      })()
      // kafkajs retries a failed TLS handshake with the client's own back-off (about 9 s for a
      // kafkajs instance with its defaults), past the probe's timeout: a refusal that arrives
      // late is kept, and reported by the probes that time out after it.
      attempt.catch((late: unknown) => {
        const refused = asAuthenticationError(late, this.name, `Health probe of '${this.name}' failed`)
        if (refused !== undefined && !this.closed) this.refusal = refused
      })
      this.probeAttempt = attempt
      void attempt
        .finally(() => {
          if (this.probeAttempt === attempt) this.probeAttempt = undefined
        })
        .catch(() => {})
      const { clusterId, brokers } = await withTimeout(attempt, timeoutMs, `health probe of '${this.name}'`, { cluster: this.name })
      // Closed while this probe ran (the client's disconnect does not wait for probes): the
      // admin it connected is not torn down by anyone else.
      if (this.closed) {
        void disconnectWithin(admin, 0)
        throw new NotConnectedError(`cluster '${this.name}' (closed)`)
      }
      this.brokers = brokers.map(({ host, port }) => ({ host, port }))
      this.refusal = undefined
      if (this.clusterId === undefined) this.clusterId = clusterId
      else if (this.clusterId !== clusterId) throw new ClusterIdChangedError(this.name, this.clusterId, clusterId)
      return { ok: true, clusterId, latencyMs: Date.now() - started }
    } catch (error) {
      this.dropProbeAdmin(timeoutMs)
      // A refused login or an untrusted certificate is said as such (AuthenticationError), not
      // left to look like a cluster that does not answer.
      const err =
        asAuthenticationError(error, this.name, `Health probe of '${this.name}' failed`) ??
        (error instanceof TimeoutError ? this.refusal : undefined) ??
        (error instanceof Error ? error : new KafkaClientError(String(error), { cluster: this.name, cause: error }))
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
    const refused = await Promise.all(
      this.brokers.map(
        ({ host, port }) =>
          new Promise<boolean>((resolve) => {
            const socket = createConnection({ host, port })
            const done = (result: boolean): void => {
              socket.destroy()
              resolve(result)
            }
            socket.setTimeout(Math.min(timeoutMs, 500), () => done(false))
            socket.once('connect', () => done(false))
            socket.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED'))
          }),
      ),
    )
    if (refused.every(Boolean)) {
      throw new kafkajs.KafkaJSConnectionError(
        `every broker of '${this.name}' refused the connection (${this.brokers.map((b) => `${b.host}:${b.port}`).join(', ')})`,
      )
    }
  }

  /** The shared, connected admin of this cluster (created on first use, recreated after a failure). */
  async admin(timeoutMs = 10_000): Promise<Admin> {
    if (this.closed) throw new NotConnectedError(`cluster '${this.name}' (closed)`)
    if (!this.sharedAdmin) {
      const admin = this.kafka.admin({ retry: FAILOVER_RETRY })
      const connecting = admin.connect()
      this.sharedAdmin = withTimeout(connecting, timeoutMs, `admin connection to '${this.name}'`, { cluster: this.name }).then(() => admin)
      this.sharedAdmin.catch(() => {
        this.sharedAdmin = undefined
        abandon(admin, connecting, timeoutMs)
      })
    }
    return this.sharedAdmin
  }

  /** Whether a teardown here timed out in the last 30 s: the cluster hangs, as far as anyone knows. */
  get isUnresponsive(): boolean {
    return Date.now() < this.unresponsiveUntil
  }

  /**
   * Disconnects one of this cluster's kafkajs clients, waiting at most `timeoutMs`. Once a
   * teardown here has timed out (the cluster hangs), the ones in the next 30 s do not wait at all:
   * a service shutting down disconnects its consumer, then its producer, then the client, and
   * only the first should pay for a hung cluster. The disconnect itself always goes on in the
   * background. Resolves with whether it finished in time; never throws.
   */
  async teardown(client: { disconnect(): Promise<void> }, timeoutMs: number): Promise<boolean> {
    const waitMs = this.isUnresponsive ? 0 : timeoutMs
    const outcome = await disconnectOutcome(client, waitMs)
    // Only a disconnect that ran out of time says the cluster hangs (one that failed fast does
    // not). Told by the timeout itself: a timer may fire a millisecond early by Date.now().
    if (outcome === 'timed-out' && waitMs > 0) {
      this.unresponsiveUntil = Date.now() + UNRESPONSIVE_MEMORY_MS
      log('teardown on %s did not finish within %d ms: the next ones there do not wait', this.name, waitMs)
    }
    return outcome === 'done'
  }

  /** Closes the probe and shared admins, together bounded by `timeoutMs` (see {@link teardown}). */
  async close(timeoutMs = 5000): Promise<void> {
    this.closed = true
    const deadline = Date.now() + timeoutMs
    const shared = this.sharedAdmin
    this.sharedAdmin = undefined
    const probe = this.probeAdmin
    this.probeAdmin = undefined
    const attempt = this.probeAttempt
    // An admin still connecting is torn down once connected, in the background past the bound.
    const sharedDown = shared?.then(
      (admin) => this.teardown(admin, deadline - Date.now()),
      () => true,
    )
    await Promise.all([
      probe ? this.teardownProbe(probe, attempt, deadline) : undefined,
      sharedDown ? withTimeout(sharedDown, Math.max(0, timeoutMs), 'admin teardown').catch(() => false) : undefined,
    ])
  }

  /**
   * The probe admin's teardown, and then the end of a probe it cut short (a TLS handshake, a
   * request): once the admin is down that probe fails at once, and kafkajs logs it. Waiting for it
   * keeps that log inside `close()`, never after it. A probe on a hung cluster is not waited for.
   */
  private async teardownProbe(probe: Admin, attempt: Promise<unknown> | undefined, deadline: number): Promise<void> {
    const clean = await this.teardown(probe, deadline - Date.now())
    if (clean && attempt !== undefined) await withTimeout(attempt, Math.max(0, deadline - Date.now()), 'interrupted probe').catch(() => {})
    else if (attempt !== undefined) disconnectOnceSettled(probe, attempt, 0)
  }

  private dropProbeAdmin(timeoutMs: number): void {
    const admin = this.probeAdmin
    this.probeAdmin = undefined
    if (admin) abandon(admin, this.probeAttempt, timeoutMs)
  }
}

/** How long a cluster whose teardown timed out is remembered as unresponsive, in ms. */
const UNRESPONSIVE_MEMORY_MS = 30_000

/**
 * Disconnects a client given up on, now and again once `settled` (its connect or request) has: on
 * a hung cluster, kafkajs goes on connecting after the first disconnect (its retries are not
 * stopped by it) and keeps the sockets it opens when the cluster wakes up. A soak found 11 such
 * sockets left open per 30 s hang, still open after the client's disconnect.
 */
function abandon(client: { disconnect(): Promise<void> }, settled: Promise<unknown> | undefined, timeoutMs: number): void {
  void disconnectQuietly(client, timeoutMs)
  if (settled !== undefined) disconnectOnceSettled(client, settled, timeoutMs)
}

/** The second half of {@link abandon}, for a client whose first disconnect was done already. */
function disconnectOnceSettled(client: { disconnect(): Promise<void> }, settled: Promise<unknown>, timeoutMs: number): void {
  const again = (): Promise<void> => disconnectQuietly(client, timeoutMs)
  void settled.then(again, again)
}

/**
 * Disconnects a kafkajs client without ever throwing or hanging longer than `timeoutMs`: tearing
 * down a client of a dead or hung cluster can take seconds or never finish (kafkajs #1596, #767).
 */
export async function disconnectQuietly(client: { disconnect(): Promise<void> }, timeoutMs: number): Promise<void> {
  await disconnectWithin(client, timeoutMs)
}

/**
 * Disconnects a kafkajs client, waiting at most `timeoutMs` (0 or less: not at all; the
 * disconnect goes on in the background). Resolves with whether it finished cleanly in time.
 */
export async function disconnectWithin(client: { disconnect(): Promise<void> }, timeoutMs: number): Promise<boolean> {
  return (await disconnectOutcome(client, timeoutMs)) === 'done'
}

/** {@link disconnectWithin}, telling a disconnect that failed from one that ran out of time. */
async function disconnectOutcome(client: { disconnect(): Promise<void> }, timeoutMs: number): Promise<'done' | 'failed' | 'timed-out'> {
  const disconnecting = Promise.resolve().then(() => client.disconnect())
  if (timeoutMs <= 0) {
    disconnecting.catch((error: unknown) => log('disconnect did not finish cleanly: %s', errorMessage(error)))
    return 'timed-out'
  }
  try {
    await withTimeout(disconnecting, timeoutMs, 'disconnect')
    return 'done'
  } catch (error) {
    log('disconnect did not finish cleanly: %s', errorMessage(error))
    return error instanceof TimeoutError ? 'timed-out' : 'failed'
  }
}
