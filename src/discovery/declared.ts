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
 *
 * Control record (topic `kafkajs-dr.control`, compacted, one partition): key `active` (UTF-8),
 * value UTF-8 JSON `{ "version": 1, "cluster": "dc2", "epoch": 7, "declaredAt": 1764072000000,
 * "reason": "drill", "by": "ops-host" }`. JSON because it is rare, small and read by people.
 */
import { hostname } from 'node:os'
import type { Admin, Kafka } from 'kafkajs'
import { disconnectQuietly, FAILOVER_RETRY, readTopicsOnce, type ClusterConnection } from '../cluster/index.js'
import { TopicTail } from '../cluster/topic-tail.js'
import { asKafkaDRError, FailoverError } from '../errors/index.js'
import { errorMessage, logger } from '../util/log.js'
import { withTimeout } from '../util/timeout.js'
import { mostPreferredUp } from './policies.js'
import type { DiscoveryPolicy, DiscoveryView } from './types.js'

const log = logger('discovery')
const KEY = 'active'
const VERSION = 1

/** The default control topic. Its name avoids MirrorMaker 2's default exclusions. */
export const DEFAULT_CONTROL_TOPIC = 'kafkajs-dr.control'

/** An operator's declaration of the active cluster. */
export interface Declaration {
  /** The cluster to make active. */
  cluster: string
  /** Higher wins. */
  epoch: number
  /** When it was declared (ms since epoch). */
  declaredAt: number
  /** Why. */
  reason: string
  /** Who or which host declared it. */
  by: string
}

/** Newest first: highest epoch, then latest declaration, then cluster name for a stable order. */
function newer(a: Declaration, b: Declaration | undefined): boolean {
  if (!b) return true
  return a.epoch !== b.epoch ? a.epoch > b.epoch : a.declaredAt !== b.declaredAt ? a.declaredAt > b.declaredAt : a.cluster > b.cluster
}

function parse(value: Buffer | null): Declaration | undefined {
  const read = readRecord(value)
  return 'declaration' in read ? read.declaration : undefined
}

/** A control record's declaration, or why it holds none (`null` value: a deletion, not an error). */
function readRecord(value: Buffer | null): { declaration: Declaration } | { ignored: string | undefined } {
  if (!value) return { ignored: undefined }
  let d: Partial<Declaration> & { version?: unknown }
  try {
    d = JSON.parse(value.toString('utf8')) as typeof d
  } catch {
    return { ignored: `not JSON (${value.length} bytes)` }
  }
  if (typeof d !== 'object' || d === null) return { ignored: 'not a JSON object' }
  if (d.version !== VERSION) return { ignored: `format version ${JSON.stringify(d.version)} (this release reads ${VERSION})` }
  if (typeof d.cluster !== 'string' || typeof d.epoch !== 'number') return { ignored: 'no cluster or epoch' }
  return { declaration: { cluster: d.cluster, epoch: d.epoch, declaredAt: d.declaredAt ?? 0, reason: d.reason ?? '', by: d.by ?? '' } }
}

/** A control record the declared policy skipped, for the client's `declaration:ignored` event. */
export interface IgnoredDeclaration {
  /** The cluster whose control topic held it. */
  cluster: string
  /** Why it was skipped, in words. */
  reason: string
}

/**
 * The newest declaration in the control topic of one cluster, if any.
 *
 * @param admin - A connected admin of the same cluster to reuse for the watermarks; without it a
 *   temporary one is connected.
 * @throws `TimeoutError` when the topic cannot be read in time; `KafkaClientError` (kafkajs' error
 *   as `cause`) when the cluster does not answer.
 * @example
 * ```ts
 * const inForce = await readDeclaration(kafka2)
 * if (inForce) console.log(`${inForce.cluster} declared active by ${inForce.by}: ${inForce.reason}`)
 * ```
 */
export async function readDeclaration(kafka: Kafka, topic = DEFAULT_CONTROL_TOPIC, timeoutMs = 10_000, admin?: Admin): Promise<Declaration | undefined> {
  let newest: Declaration | undefined
  try {
    await readTopicsOnce(kafka, [topic], (_topic, _partition, message) => {
      if (message.key?.toString() !== KEY) return
      const d = parse(message.value)
      if (d && newer(d, newest)) newest = d
    }, { timeoutMs, what: 'control topic', ...(admin === undefined ? {} : { admin }) })
  } catch (error) {
    throw asKafkaDRError(error, `Reading the control topic '${topic}' failed`, { topic })
  }
  return newest
}

/** Creates the control topic (compacted, one partition) unless it exists. */
async function ensureControlTopic(admin: Admin, topic: string): Promise<void> {
  // Checked first: creating a topic that exists makes kafkajs log the broker's refusal at ERROR
  // level on every connect, which reads as a fault to whoever watches the logs.
  if ((await admin.listTopics()).includes(topic)) return
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }], waitForLeaders: true })
}

/** Options of {@link declareActiveCluster}. */
export interface DeclareRequest {
  /** The cluster to make active. */
  cluster: string
  /** Why, for people reading the record. */
  reason?: string
  /** @default DEFAULT_CONTROL_TOPIC */
  topic?: string
  /** Per-cluster deadline, in ms. @default 10000 */
  timeoutMs?: number
  /**
   * The epoch must be above this one (for example the epoch of the declaration in force, from
   * {@link readDeclaration}), whatever this host's clock says.
   *
   * @default 0
   */
  minEpoch?: number
}

/** What {@link declareActiveCluster} did. */
export interface DeclareResult {
  /** The declaration written (its epoch is one above the highest read). */
  declaration: Declaration
  /** Clusters the declaration was written to. */
  written: string[]
  /** Clusters that could not be reached, with the error. */
  failed: Array<{
    /** Name of the cluster that could not be written. */
    cluster: string
    /** The error's message. */
    error: string
  }>
}

/**
 * Declares `request.cluster` active for every instance using the `declared` policy: writes a
 * declaration whose epoch is the current time in ms (above `request.minEpoch`) to every reachable
 * cluster. The newest declaration wins, so declare from hosts with synchronized clocks: one made
 * from a host whose clock is behind by more than the time since the previous declaration loses
 * to it (pass `minEpoch` to rule that out). Rejects when no cluster could be written. Used by
 * operators' tools (the CLI) and drills.
 *
 * @example
 * ```ts
 * await declareActiveCluster({ dc1: kafka1, dc2: kafka2 }, { cluster: 'dc2', reason: 'dc1 maintenance' })
 * ```
 */
export async function declareActiveCluster(clusters: Record<string, Kafka>, request: DeclareRequest): Promise<DeclareResult> {
  const topic = request.topic ?? DEFAULT_CONTROL_TOPIC
  const timeoutMs = request.timeoutMs ?? 10_000
  if (!(request.cluster in clusters)) throw new FailoverError(`Cannot declare unknown cluster '${request.cluster}'`, { cluster: request.cluster })
  // The epoch is the wall clock, not "one above the highest read": reading the control topic
  // needs a consumer group, which a default broker holds for 3 s. Kept above `minEpoch`.
  const epoch = Math.max(Date.now(), (request.minEpoch ?? 0) + 1)
  const declaration: Declaration = { cluster: request.cluster, epoch, declaredAt: Date.now(), reason: request.reason ?? '', by: hostname() }
  const value = JSON.stringify({ version: VERSION, ...declaration })
  const written: string[] = []
  const failed: DeclareResult['failed'] = []
  await Promise.all(Object.entries(clusters).map(async ([name, kafka]) => {
    const admin = kafka.admin({ retry: FAILOVER_RETRY })
    const producer = kafka.producer({ retry: FAILOVER_RETRY, allowAutoTopicCreation: false })
    try {
      await withTimeout((async () => {
        await admin.connect()
        await ensureControlTopic(admin, topic)
        await producer.connect()
        await producer.send({ topic, acks: -1, messages: [{ key: KEY, value }] })
      })(), timeoutMs, `declaring on '${name}'`, { cluster: name })
      written.push(name)
    } catch (error) {
      failed.push({ cluster: name, error: errorMessage(error) })
    } finally {
      await Promise.all([disconnectQuietly(producer, 5000), disconnectQuietly(admin, 5000)])
    }
  }))
  if (written.length === 0) throw new FailoverError(`Declaration of '${request.cluster}' reached no cluster: ${failed.map((f) => `${f.cluster}: ${f.error}`).join('; ')}`, { cluster: request.cluster })
  log('declared %s active (epoch %d) on %s', request.cluster, epoch, written.join(', '))
  return { declaration, written, failed }
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
    await Promise.all(this.clusters.map(async (cluster) => {
      try {
        await withTimeout((async () => ensureControlTopic(await cluster.admin(this.timeoutMs), this.topic))(), this.timeoutMs, `creating ${this.topic} on '${cluster.name}'`, { cluster: cluster.name })
      } catch (error) {
        log('could not create the control topic on %s (created by the first declaration): %s', cluster.name, errorMessage(error))
      }
      this.tailOf(cluster)
    }))
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
          if (message.key?.toString() !== KEY) return
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
