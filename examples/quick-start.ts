/**
 * Quick start: one multi-cluster client over two datacenters, a producer and a consumer that
 * follow the active cluster. Run it against the local bed (`npm run bed:up`):
 *
 *   npx tsx examples/quick-start.ts
 *
 * Point it elsewhere with DC1_BROKERS / DC2_BROKERS (comma-separated host:port).
 *
 * It imports the library by its package name, as your code will. In this repository
 * `npx tsx` resolves that name to the sources through tsconfig.json's `paths` (no build needed);
 * without that tsconfig it resolves through the package's own `exports` to dist/, which
 * `npm run build` makes.
 */
import { pathToFileURL } from 'node:url'
import kafkajs from 'kafkajs'
import { MultiClusterKafka } from 'kafkajs-dr'

const { Kafka, logLevel } = kafkajs

/** What the example did. */
export interface QuickStartResult {
  active: string | undefined
  produced: number
  consumed: Array<{ key: string; cluster: string; originCluster: string }>
}

/** Produces `count` records to `topic` and reads them back through the failover consumer. */
export async function quickStart(brokers: { dc1: string[]; dc2: string[] }, topic: string, count = 10): Promise<QuickStartResult> {
  const dr = new MultiClusterKafka({
    clusters: {
      dc1: { kafka: new Kafka({ clientId: 'quick-start', brokers: brokers.dc1, logLevel: logLevel.WARN }), priority: 1 },
      dc2: { kafka: new Kafka({ clientId: 'quick-start', brokers: brokers.dc2, logLevel: logLevel.WARN }), priority: 2 },
    },
    localCluster: 'dc1',
  })
  dr.on('cluster:down', (e) => console.log(`cluster ${e.cluster} is down: ${e.error?.message ?? ''}`))
  dr.on('failover:complete', (e) => console.log(`now on ${e.to} (${e.kind}: ${e.reason}) after ${e.durationMs} ms`))
  await dr.connect()
  console.log(`active cluster: ${dr.activeCluster}`)

  const producer = dr.producer()
  const consumer = dr.consumer({ groupId: `${topic}-readers` })
  const consumed: QuickStartResult['consumed'] = []
  try {
    await producer.connect()
    await producer.send({
      topic,
      messages: Array.from({ length: count }, (_, i) => ({ key: `order-${i}`, value: JSON.stringify({ id: i }) })),
    })
    console.log(`sent ${count} records to ${topic}`)

    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message, cluster, originCluster }) => {
          consumed.push({ key: message.key!.toString(), cluster, originCluster })
          if (consumed.length >= count) resolve()
        },
      })
    })
    await done
    console.log(`read ${consumed.length} records; status:`, JSON.stringify(dr.status().clusters.map((c) => ({ [c.name]: c.health }))))
    return { active: dr.activeCluster, produced: count, consumed }
  } finally {
    await consumer.disconnect()
    await producer.disconnect()
    await dr.disconnect()
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const brokers = {
    dc1: (process.env.DC1_BROKERS ?? '127.0.0.1:19092').split(','),
    dc2: (process.env.DC2_BROKERS ?? '127.0.0.1:29092').split(','),
  }
  quickStart(brokers, `quick-start-${Date.now()}`).catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
