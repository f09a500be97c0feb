/**
 * One application instance with the `declared` discovery policy, run as a separate process by
 * consumer-failover-kafka-defaults.test.ts. It reports its active cluster at start and after
 * every switch (`{"event":"active","cluster":"dc2","at":<ms>}`) and runs until it is killed.
 *
 * Configuration: the JSON in `DR_APP_CONFIG`: `{ brokers: { dc1, dc2 }, controlTopic }`.
 */
import kafkajs from 'kafkajs'
import { MultiClusterKafka } from '../../../src/index.js'

interface InstanceConfig {
  brokers: { dc1: string[]; dc2: string[] }
  controlTopic: string
}

const config = JSON.parse(process.env.DR_APP_CONFIG ?? '{}') as InstanceConfig
const report = (event: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(event)}\n`)
}

async function main(): Promise<void> {
  const dr = new MultiClusterKafka({
    clusters: {
      dc1: { kafka: { clientId: 'declared-instance', brokers: config.brokers.dc1, logLevel: kafkajs.logLevel.NOTHING }, priority: 1 },
      dc2: { kafka: { clientId: 'declared-instance', brokers: config.brokers.dc2, logLevel: kafkajs.logLevel.NOTHING }, priority: 2 },
    },
    localCluster: 'dc1',
    discovery: { policy: 'declared', controlTopic: config.controlTopic },
  })
  dr.on('failover:complete', (e) => report({ event: 'active', cluster: e.to, at: Date.now() }))
  await dr.connect()
  report({ event: 'active', cluster: dr.activeCluster, at: Date.now() })
}

// Exit: the connected client's timers would keep a failed instance alive, and its test waiting.
main().catch((error: unknown) => {
  report({ event: 'error', message: String(error) })
  process.exit(1)
})
