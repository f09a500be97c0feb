/**
 * One instance of a consumer group, run as a separate process by consumer-group.test.ts: it reads
 * one logical topic through kafkajs-dr with a handler of `handlerMs` and reports every record it
 * handled (`{"event":"record","id":"a-17","cluster":"dc2","topic":"dc1.orders","partition":3,"offset":"12","at":<ms>}`), its moves
 * and its start (`{"event":"running"}`) on stdout, the splits of its group it sees (`split`,
 * `split-ended`), and with an `instanceId` the members of a former process it removed
 * (`former-instance-removed`) and conflicts (`instance-conflict`), until it is killed; SIGTERM stops it as a deploy does (`disconnect()`, then `{"event":"stopped"}`).
 *
 * Configuration: the JSON in `DR_APP_CONFIG` (see {@link GroupInstanceConfig}).
 */
import { setTimeout as delay } from 'node:timers/promises'
import kafkajs from 'kafkajs'
import { MultiClusterKafka, type DiscoveryFunction } from '../../../src/index.js'

/** What the test passes in `DR_APP_CONFIG`. */
export interface GroupInstanceConfig {
  brokers: { dc1: string[]; dc2: string[] }
  topic: string
  group: string
  checkpointTopic: string
  handlerMs: number
  /**
   * Discovery that chooses `cluster` for `forMs` after the start, then the most preferred cluster
   * that is up (no failback delay): how a test makes instances disagree. Default: the `priority`
   * policy with a 3 s failback delay.
   */
  pin?: { cluster: 'dc1' | 'dc2'; forMs: number }
  /** `groupSplit.yieldAfterMs` (default: the library's). */
  yieldAfterMs?: number
  /** kafkajs' `sessionTimeout` (default: kafkajs', 30 s). */
  sessionTimeoutMs?: number
  /** The consumer's `instanceId` (default: none). */
  instanceId?: string
}

const config = JSON.parse(process.env.DR_APP_CONFIG ?? '{}') as GroupInstanceConfig
/** kafkajs' own log, for a diagnosis: DR_APP_KAFKAJS_LOG=info (or debug) writes it to stderr, a line per entry. */
const kafkajsLog =
  process.env.DR_APP_KAFKAJS_LOG === undefined
    ? {}
    : {
        logLevel: process.env.DR_APP_KAFKAJS_LOG === 'debug' ? kafkajs.logLevel.DEBUG : kafkajs.logLevel.INFO,
        logCreator:
          () =>
          ({ namespace, label, log }: kafkajs.LogEntry) => {
            process.stderr.write(`${new Date().toISOString()} kafkajs ${label} ${namespace} ${JSON.stringify(log)}\n`)
          },
      }
const report = (event: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(event)}\n`)
}

async function main(): Promise<void> {
  const dr = new MultiClusterKafka({
    clusters: {
      dc1: {
        kafka: { clientId: 'group-instance', brokers: config.brokers.dc1, logLevel: kafkajs.logLevel.NOTHING, ...kafkajsLog },
        priority: 1,
      },
      dc2: {
        kafka: { clientId: 'group-instance', brokers: config.brokers.dc2, logLevel: kafkajs.logLevel.NOTHING, ...kafkajsLog },
        priority: 2,
      },
    },
    localCluster: 'dc1',
    discovery: config.pin === undefined ? { policy: 'priority', failbackDelayMs: 3000 } : { policy: pinned(config.pin) },
  })
  await dr.connect()
  const consumer = dr.consumer({
    groupId: config.group,
    checkpoint: { topic: config.checkpointTopic },
    ...(config.yieldAfterMs === undefined ? {} : { groupSplit: { yieldAfterMs: config.yieldAfterMs } }),
    ...(config.sessionTimeoutMs === undefined ? {} : { sessionTimeout: config.sessionTimeoutMs }),
    ...(config.instanceId === undefined ? {} : { instanceId: config.instanceId }),
  })
  consumer.on('consumer:moved', (e) =>
    report({ event: 'moved', from: e.from, cluster: e.to, via: e.via, reason: e.reason, durationMs: e.durationMs, at: e.timestamp }),
  )
  consumer.on('consumer:split', (e) =>
    report({ event: 'split', cluster: e.cluster, elsewhere: e.elsewhere, yieldsAt: e.yieldsAt, at: e.timestamp }),
  )
  consumer.on('consumer:split-ended', (e) =>
    report({ event: 'split-ended', cluster: e.cluster, durationMs: e.durationMs, at: e.timestamp }),
  )
  consumer.on('consumer:former-instance-removed', (e) =>
    report({ event: 'former-instance-removed', cluster: e.cluster, memberIds: e.memberIds, durationMs: e.durationMs, at: e.timestamp }),
  )
  consumer.on('consumer:instance-conflict', (e) =>
    report({ event: 'instance-conflict', cluster: e.cluster, memberIds: e.memberIds, at: e.timestamp }),
  )
  process.once('SIGTERM', () => {
    void consumer
      .disconnect()
      .then(() => dr.disconnect())
      .finally(() => {
        report({ event: 'stopped', at: Date.now() })
        process.exit(0)
      })
  })
  consumer.on('consumer:move-failed', (e) =>
    report({ event: 'move-failed', cluster: e.to, attempt: e.attempt, message: e.error.message, at: e.timestamp }),
  )
  dr.on('failover:start', (e) => report({ event: 'switch', from: e.from, cluster: e.to, at: e.timestamp }))
  // Where a switch's time goes: the fault's detection, the translation (its checkpoint read in it).
  dr.on('cluster:down', (e) => report({ event: 'cluster-down', cluster: e.cluster, at: e.timestamp }))
  dr.on('cluster:up', (e) => report({ event: 'cluster-up', cluster: e.cluster, at: e.timestamp }))
  consumer.on('offsets:translated', (r) =>
    report({
      event: 'translated',
      cluster: r.targetCluster,
      partitions: r.partitions.length,
      durationMs: r.durationMs,
      readMs: r.readMs,
      at: Date.now(),
    }),
  )
  await consumer.connect()
  await consumer.subscribe({ topics: [config.topic], fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ message, cluster, partition, physicalTopic }) => {
      report({
        event: 'record',
        id: message.value!.toString(),
        cluster,
        topic: physicalTopic,
        partition,
        offset: message.offset,
        at: Date.now(),
      })
      await delay(config.handlerMs)
    },
  })
  report({ event: 'running', cluster: consumer.cluster, at: Date.now() })
}

/** See {@link GroupInstanceConfig.pin}. */
function pinned(pin: NonNullable<GroupInstanceConfig['pin']>): DiscoveryFunction {
  const until = Date.now() + pin.forMs
  return (view) => (Date.now() < until ? pin.cluster : view.clusters.find((c) => c.health === 'up')?.name)
}

// Exit: the connected client's timers would keep a failed instance alive, and its test waiting.
main().catch((error: unknown) => {
  report({ event: 'error', message: String(error) })
  process.exit(1)
})
