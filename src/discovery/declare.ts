/**
 * The operator's side of the `declared` policy: declaring the active cluster on every cluster,
 * and reading the declaration in force.
 */
import { hostname } from 'node:os'
import type { Admin, Kafka } from 'kafkajs'
import { disconnectQuietly, FAILOVER_RETRY, readTopicsOnce } from '../cluster/index.js'
import { asKafkaDRError, FailoverError } from '../errors/index.js'
import { errorMessage, logger } from '../util/log.js'
import { withTimeout } from '../util/timeout.js'
import {
  CONTROL_KEY,
  CONTROL_VERSION,
  DEFAULT_CONTROL_TOPIC,
  ensureControlTopic,
  newer,
  readRecord,
  type Declaration,
} from './control-record.js'

const log = logger('discovery')

function parse(value: Buffer | null): Declaration | undefined {
  const read = readRecord(value)
  return 'declaration' in read ? read.declaration : undefined
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
 *
 * @group Discovery
 */
export async function readDeclaration(
  kafka: Kafka,
  topic = DEFAULT_CONTROL_TOPIC,
  timeoutMs = 10_000,
  admin?: Admin,
): Promise<Declaration | undefined> {
  let newest: Declaration | undefined
  try {
    await readTopicsOnce(
      kafka,
      [topic],
      (_topic, _partition, message) => {
        if (message.key?.toString() !== CONTROL_KEY) return
        const d = parse(message.value)
        if (d && newer(d, newest)) newest = d
      },
      { timeoutMs, what: 'control topic', ...(admin === undefined ? {} : { admin }) },
    )
  } catch (error) {
    throw asKafkaDRError(error, `Reading the control topic '${topic}' failed`, { topic })
  }
  return newest
}

/**
 * Options of {@link declareActiveCluster}.
 *
 * @group Discovery
 */
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

/**
 * What {@link declareActiveCluster} did.
 *
 * @group Discovery
 */
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
 *
 * @group Discovery
 */
export async function declareActiveCluster(clusters: Record<string, Kafka>, request: DeclareRequest): Promise<DeclareResult> {
  const topic = request.topic ?? DEFAULT_CONTROL_TOPIC
  const timeoutMs = request.timeoutMs ?? 10_000
  if (!(request.cluster in clusters))
    throw new FailoverError(`Cannot declare unknown cluster '${request.cluster}'`, { cluster: request.cluster })
  // The epoch is the wall clock, not "one above the highest read": reading the control topic
  // needs a consumer group, which a default broker holds for 3 s. Kept above `minEpoch`.
  const epoch = Math.max(Date.now(), (request.minEpoch ?? 0) + 1)
  const declaration: Declaration = { cluster: request.cluster, epoch, declaredAt: Date.now(), reason: request.reason ?? '', by: hostname() }
  const value = JSON.stringify({ version: CONTROL_VERSION, ...declaration })
  const written: string[] = []
  const failed: DeclareResult['failed'] = []
  await Promise.all(
    Object.entries(clusters).map(async ([name, kafka]) => {
      const admin = kafka.admin({ retry: FAILOVER_RETRY })
      const producer = kafka.producer({ retry: FAILOVER_RETRY, allowAutoTopicCreation: false })
      try {
        await withTimeout(
          (async () => {
            await admin.connect()
            await ensureControlTopic(admin, topic)
            await producer.connect()
            await producer.send({ topic, acks: -1, messages: [{ key: CONTROL_KEY, value }] })
          })(),
          timeoutMs,
          `declaring on '${name}'`,
          { cluster: name },
        )
        written.push(name)
      } catch (error) {
        failed.push({ cluster: name, error: errorMessage(error) })
      } finally {
        await Promise.all([disconnectQuietly(producer, 5000), disconnectQuietly(admin, 5000)])
      }
    }),
  )
  if (written.length === 0)
    throw new FailoverError(
      `Declaration of '${request.cluster}' reached no cluster: ${failed.map((f) => `${f.cluster}: ${f.error}`).join('; ')}`,
      { cluster: request.cluster },
    )
  log('declared %s active (epoch %d) on %s', request.cluster, epoch, written.join(', '))
  return { declaration, written, failed }
}
