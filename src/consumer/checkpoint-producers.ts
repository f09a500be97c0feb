/**
 * One producer per cluster for a consumer's checkpoints, connected in the background: the
 * checkpoint writer only uses those that are connected, so a dead cluster's never holds a tick.
 *
 * @module
 */
import type { Producer } from 'kafkajs'
import { FAILOVER_RETRY, type FailoverContext } from '../cluster/index.js'
import { NotConnectedError } from '../errors/index.js'
import { ConnectOnce } from '../util/connect-once.js'
import { errorMessage, logger } from '../util/log.js'
import { withTimeout } from '../util/timeout.js'

const log = logger('consumer')

interface Entry {
  producer: Producer
  connection: ConnectOnce
}

/** The checkpoint producers of one consumer; see the module description. */
export class CheckpointProducers {
  private readonly entries = new Map<string, Entry>()
  private closed = false

  constructor(private readonly ctx: FailoverContext) {}

  /** The producer of `cluster` if it is connected; starts connecting it otherwise. */
  connected(cluster: string): Producer | undefined {
    const entry = this.entry(cluster)
    return entry.connection.connected ? entry.producer : undefined
  }

  /** Waits (up to `timeoutMs`) for the producer of `cluster` to connect. */
  async ready(cluster: string, timeoutMs: number): Promise<void> {
    const { connection } = this.entry(cluster)
    if (!connection.connected) await withTimeout(connection.connect(), timeoutMs, `checkpoint producer of '${cluster}'`, { cluster })
  }

  /** Disconnects every producer, all at once, each bounded by `timeoutMs` (see `ClusterConnection.teardown`). */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true
    const entries = [...this.entries]
    this.entries.clear()
    await Promise.all(
      entries.map(([cluster, { producer, connection }]) =>
        connection.close((ms) => this.ctx.connection(cluster).teardown(producer, ms), timeoutMs),
      ),
    )
  }

  private entry(cluster: string): Entry {
    // A background preparation that outlived close() must not open a producer nobody closes.
    if (this.closed) throw new NotConnectedError('checkpoint producers (closed)')
    let entry = this.entries.get(cluster)
    if (!entry) {
      const producer = this.ctx.connection(cluster).kafka.producer({ retry: FAILOVER_RETRY, allowAutoTopicCreation: false })
      entry = {
        producer,
        connection: new ConnectOnce(producer, (error) => log('checkpoint producer for %s: %s', cluster, errorMessage(error))),
      }
      this.entries.set(cluster, entry)
    }
    // Connecting in the background: the writer takes only connected producers.
    if (!entry.connection.connected) void entry.connection.connect()
    return entry
  }
}
