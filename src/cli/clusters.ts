/**
 * The clusters a command works with: one {@link MultiClusterKafka} built from the configuration
 * (for its kafkajs clients, its replication policy and, for `status`, its discovery), and admins
 * connected on demand, each within the command's `--timeout`.
 *
 * @module
 */
import type { Admin, Kafka } from 'kafkajs'
import { MultiClusterKafka } from '../client/multi-cluster-kafka.js'
import { disconnectQuietly, FAILOVER_RETRY } from '../cluster/index.js'
import { asKafkaDRError, InvalidOptionError } from '../errors/index.js'
import { withTimeout } from '../util/timeout.js'
import type { GlobalOptions } from './types.js'
import { brokersOf, cliClientOptions, type LoadedConfig } from './config.js'
import { CliCommandError, CliUsageError } from './errors.js'
import { short } from './output.js'

/** How long closing the clients may take at the end of a command, in ms. */
const CLOSE_TIMEOUT_MS = 3000

/** The clusters of one command run. */
export class CliClusters {
  /** The client over every cluster (not connected until a command calls `connect()`). */
  readonly dr: MultiClusterKafka
  /** The cluster names, most preferred first. */
  readonly names: string[]
  private readonly admins = new Map<string, Promise<Admin>>()

  private constructor(
    readonly config: LoadedConfig,
    readonly global: GlobalOptions,
  ) {
    try {
      this.dr = new MultiClusterKafka(cliClientOptions(config, global))
    } catch (error) {
      if (error instanceof InvalidOptionError) throw new CliUsageError(`invalid configuration (${config.source}): ${error.message}`)
      throw error
    }
    this.names = this.dr.status().clusters.map((c) => c.name)
  }

  /** Builds the client; an invalid configuration is a {@link CliUsageError}. */
  static create(config: LoadedConfig, global: GlobalOptions): CliClusters {
    return new CliClusters(config, global)
  }

  /** Throws a {@link CliUsageError} unless `name` is a configured cluster. */
  expectCluster(flag: string, name: string): void {
    if (!this.names.includes(name))
      throw new CliUsageError(`${flag}: unknown cluster '${name}'; the configured clusters are ${this.names.join(', ')}`)
  }

  /** The kafkajs client of a cluster. */
  kafka(name: string): Kafka {
    return this.dr.kafka(name)
  }

  /** `'dc1' (127.0.0.1:19092)`, for messages. */
  describe(name: string): string {
    const brokers = brokersOf(this.config.options, name)
    return brokers === undefined ? `'${name}'` : `'${name}' (${brokers.join(',')})`
  }

  /** The bootstrap brokers of a cluster, when the configuration lists them. */
  brokers(name: string): string[] | undefined {
    return brokersOf(this.config.options, name)
  }

  /**
   * A connected admin of `name`, the same one for every call. Rejects with a
   * {@link CliCommandError} (`ERR_UNREACHABLE`) when the cluster cannot be reached within the
   * timeout.
   */
  admin(name: string): Promise<Admin> {
    let admin = this.admins.get(name)
    if (admin === undefined) {
      admin = this.connectAdmin(name)
      this.admins.set(name, admin)
    }
    return admin
  }

  private async connectAdmin(name: string): Promise<Admin> {
    const admin = this.kafka(name).admin({ retry: FAILOVER_RETRY })
    try {
      await withTimeout(admin.connect(), this.global.timeoutMs, `connecting to cluster '${name}'`, { cluster: name })
      return admin
    } catch (error) {
      void disconnectQuietly(admin, 0)
      throw this.unreachable(name, error)
    }
  }

  /** The one-line error for a cluster that could not be reached. */
  unreachable(name: string, error: unknown): CliCommandError {
    if (error instanceof CliCommandError) return error
    const reason = asKafkaDRError(error, 'connection failed', { cluster: name }).message
    return new CliCommandError('ERR_UNREACHABLE', `cannot reach cluster ${this.describe(name)}: ${short(reason, 200)}`, { cause: error })
  }

  /** Disconnects every admin and the client, within a few seconds whatever the clusters' state. */
  async close(): Promise<void> {
    const admins = [...this.admins.values()]
    this.admins.clear()
    await Promise.all([
      ...admins.map(async (pending) => {
        const admin = await pending.catch(() => undefined)
        if (admin !== undefined) await disconnectQuietly(admin, CLOSE_TIMEOUT_MS)
      }),
      withTimeout(this.dr.disconnect(), CLOSE_TIMEOUT_MS, 'disconnecting').catch(() => {}),
    ])
  }
}
