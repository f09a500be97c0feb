/**
 * One instance of a consumer group, run as a separate process by consumer-group.test.ts: it reads
 * one logical topic through kafkajs-dr with a handler of `handlerMs` and reports every record it
 * handled (`{"event":"record","id":"a-17","cluster":"dc2","at":<ms>}`), its moves and its start
 * (`{"event":"running"}`) on stdout, until it is killed.
 *
 * Configuration: the JSON in `DR_APP_CONFIG` (see {@link GroupInstanceConfig}).
 */
import { setTimeout as delay } from 'node:timers/promises'
import kafkajs from 'kafkajs'
import { MultiClusterKafka } from '../../../src/index.js'

/** What the test passes in `DR_APP_CONFIG`. */
export interface GroupInstanceConfig {
  brokers: { dc1: string[], dc2: string[] }
  topic: string
  group: string
  checkpointTopic: string
  handlerMs: number
}

const config = JSON.parse(process.env.DR_APP_CONFIG ?? '{}') as GroupInstanceConfig
const report = (event: Record<string, unknown>): void => { process.stdout.write(`${JSON.stringify(event)}\n`) }

async function main(): Promise<void> {
  const dr = new MultiClusterKafka({
    clusters: {
      dc1: { kafka: { clientId: 'group-instance', brokers: config.brokers.dc1, logLevel: kafkajs.logLevel.NOTHING }, priority: 1 },
      dc2: { kafka: { clientId: 'group-instance', brokers: config.brokers.dc2, logLevel: kafkajs.logLevel.NOTHING }, priority: 2 },
    },
    localCluster: 'dc1',
    discovery: { policy: 'priority', failbackDelayMs: 3000 },
  })
  await dr.connect()
  const consumer = dr.consumer({ groupId: config.group, checkpoint: { topic: config.checkpointTopic } })
  consumer.on('consumer:moved', (e) => report({ event: 'moved', from: e.from, cluster: e.to, via: e.via, at: e.timestamp }))
  consumer.on('consumer:move-failed', (e) => report({ event: 'move-failed', cluster: e.to, attempt: e.attempt, message: e.error.message, at: e.timestamp }))
  dr.on('failover:start', (e) => report({ event: 'switch', from: e.from, cluster: e.to, at: e.timestamp }))
  await consumer.connect()
  await consumer.subscribe({ topics: [config.topic], fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ message, cluster }) => {
      report({ event: 'record', id: message.value!.toString(), cluster, at: Date.now() })
      await delay(config.handlerMs)
    },
  })
  report({ event: 'running', cluster: consumer.cluster, at: Date.now() })
}

main().catch((error: unknown) => {
  report({ event: 'error', message: String(error) })
  process.exitCode = 1
})
