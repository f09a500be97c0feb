/**
 * The `declared` policy: the active cluster is whatever an operator last declared in a control
 * topic. A declaration is written to every reachable cluster; its epoch is the wall-clock time of
 * the declaration (ms), so a later declaration wins. Readers take the highest epoch found on any
 * reachable cluster. Every instance reads the same records, so all agree, and no instance moves
 * on its own: there is no split brain.
 *
 * Each instance follows the control topic of every cluster with one long-lived reader (a
 * {@link TopicTail}) from `connect()` on: a declaration reaches it as soon as it is written, and a
 * poll costs the brokers a metadata and an offsets request, never a group join (a broker with
 * Kafka's default `group.initial.rebalance.delay.ms` holds every join of a new group for 3 s).
 */
import type { ClusterConnection } from '../cluster/index.js'
import { TopicTail } from '../cluster/topic-tail.js'
import { errorMessage, logger } from '../util/log.js'
import { withTimeout } from '../util/timeout.js'
import { CONTROL_KEY, ensureControlTopic, newer, readRecord, type Declaration } from './control-record.js'
import { mostPreferredUp } from './policies.js'
import type { DiscoveryPolicy, DiscoveryView } from './types.js'

const log = logger('discovery')

/** A control record the declared policy skipped, for the client's `declaration:ignored` event. */
export interface IgnoredDeclaration {
  /** The cluster whose control topic held it. */
  cluster: string
  /** Why it was skipped, in words. */
  reason: string
}

/**
 * Follows the newest declaration on the healthy clusters. Before any declaration exists it
 * behaves like `sticky`. A declared cluster that is down stays active: only an operator moves
 * the instances (that is the point of this policy).
 */
export class DeclaredPolicy implements DiscoveryPolicy {
  readonly name = 'declared'
  private newest: Declaration | undefined
  private readonly tails = new Map<string, TopicTail>()
  /** Clusters whose control topic has been read up to its end once. */
  private readonly caughtUp = new Set<string>()

  constructor(
    private readonly clusters: readonly ClusterConnection[],
    private readonly topic: string,
    private readonly timeoutMs: number,
    private readonly onIgnored: (ignored: IgnoredDeclaration) => void = () => {},
  ) {}

  decide = async (view: DiscoveryView): Promise<string | undefined> => {
    const up = view.clusters.filter((c) => c.health === 'up').map((c) => this.clusters.find((k) => k.name === c.name)!)
    // Whatever the tails have read by now, and on each healthy cluster everything written before
    // this round: without that, the first round would decide before the declaration was read.
    await Promise.all(up.map((cluster) => this.catchUp(cluster)))
    if (this.newest) return this.newest.cluster
    const active = view.clusters.find((c) => c.name === view.active)
    return active?.health === 'up' ? active.name : mostPreferredUp(view)
  }

  /**
   * Creates the control topic where it is missing and starts following it on every cluster, so
   * that the tails have joined before the first declaration (a tail that has to join when the
   * topic first appears would add the join's delay to following it).
   */
  async start(): Promise<void> {
    await Promise.all(
      this.clusters.map(async (cluster) => {
        try {
          await withTimeout(
            (async () => ensureControlTopic(await cluster.admin(this.timeoutMs), this.topic))(),
            this.timeoutMs,
            `creating ${this.topic} on '${cluster.name}'`,
            { cluster: cluster.name },
          )
        } catch (error) {
          log('could not create the control topic on %s (created by the first declaration): %s', cluster.name, errorMessage(error))
        }
        this.tailOf(cluster)
      }),
    )
  }

  async stop(): Promise<void> {
    const tails = [...this.tails.values()]
    this.tails.clear()
    this.caughtUp.clear()
    await Promise.all(tails.map((t) => t.close()))
  }

  /**
   * The first time a cluster is healthy, waits until its tail has read what the control topic
   * holds; after that the tail receives each declaration as it is written, and a round reads
   * memory only (no request per poll).
   */
  private async catchUp(cluster: ClusterConnection): Promise<void> {
    if (this.caughtUp.has(cluster.name)) return
    try {
      await this.tailOf(cluster).caughtUp(this.timeoutMs)
      this.caughtUp.add(cluster.name)
    } catch (error) {
      log('could not read the control topic on %s: %s', cluster.name, errorMessage(error))
    }
  }

  private ignore(cluster: string, reason: string): void {
    log('control topic on %s: %s: ignored', cluster, reason)
    this.onIgnored({ cluster, reason })
  }

  private tailOf(cluster: ClusterConnection): TopicTail {
    let tail = this.tails.get(cluster.name)
    if (!tail) {
      tail = new TopicTail({
        cluster: cluster.name,
        kafka: cluster.kafka,
        // The cluster's shared admin: this runs every round, a connection per round would be waste.
        admin: () => cluster.admin(this.timeoutMs),
        what: 'control topic',
        requestTimeoutMs: this.timeoutMs,
        onRecord: (_topic, _partition, message) => {
          if (message.key?.toString() !== CONTROL_KEY) return
          const read = readRecord(message.value)
          if ('ignored' in read) {
            if (read.ignored !== undefined) this.ignore(cluster.name, `record at offset ${message.offset}: ${read.ignored}`)
            return
          }
          const found = read.declaration
          // A declaration of a cluster this client does not know could never be acted on, and with
          // a high epoch it would outrank every later, valid one.
          if (!this.clusters.some((c) => c.name === found.cluster)) {
            this.ignore(cluster.name, `record at offset ${message.offset} declares unknown cluster '${found.cluster}'`)
            return
          }
          if (newer(found, this.newest)) {
            log('declaration from %s: %s active (epoch %d, %s)', cluster.name, found.cluster, found.epoch, found.reason)
            this.newest = found
          }
        },
      })
      tail.want([this.topic])
      this.tails.set(cluster.name, tail)
    }
    return tail
  }
}
