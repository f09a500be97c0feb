/**
 * Offset translation as a tool: where should consumer group G resume on the other cluster?
 * `translateOffsets()` reads the checkpoints visible on the target (kafkajs-dr's, written by
 * failover consumers and replicated, and MirrorMaker 2's own), maps each position to the
 * target's copy of the topic and translates it (by record timestamp, by MM2's checkpoints: the
 * largest lower bound wins). Nothing is committed until you pass the result to
 * `commitTranslatedOffsets()`, which Kafka accepts only while the group has no members there.
 *
 * Failover consumers do all this themselves on every switch. The tool is for the rest: plain
 * kafkajs consumers of the same group, a migration, a check before a planned failover.
 *
 *   npm run bed:up
 *   npx tsx examples/translate-offsets.ts                            # demo: a group reads 10 of 20 records on dc1, then is moved to dc2
 *   npx tsx examples/translate-offsets.ts <group> <topic> dc2         # dry run for your group and (logical) topic
 *   npx tsx examples/translate-offsets.ts <group> <topic> dc2 --commit
 *
 * DC1_BROKERS / DC2_BROKERS (comma-separated host:port) point it at other clusters.
 *
 * It imports the library by its package name, as your code will. In this repository
 * `npx tsx` resolves that name to the sources through tsconfig.json's `paths` (no build needed);
 * without that tsconfig it resolves through the package's own `exports` to dist/, which
 * `npm run build` makes.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import kafkajs from 'kafkajs'
import {
  GroupNotEmptyError,
  MultiClusterKafka,
  commitTranslatedOffsets,
  createReplicationPolicy,
  translateOffsets,
  type TranslationResult,
} from 'kafkajs-dr'

const { logLevel } = kafkajs

type Brokers = Record<'dc1' | 'dc2', string[]>
const CLUSTERS = ['dc1', 'dc2'] as const

/** Options of {@link translateGroup}. */
export interface TranslateGroupOptions {
  brokers: Brokers
  group: string
  /** The logical topic (`orders`): every copy of it on the target is translated (`orders`, `dc1.orders`). */
  topic: string
  /** The cluster the group moves to. */
  target: 'dc1' | 'dc2'
  /** Commit the result to the group on the target; otherwise only print it. */
  commit: boolean
}

/** What {@link translateGroup} found and did. */
export interface TranslateGroupResult {
  translation: TranslationResult
  /** The group's committed offsets on the target afterwards, by `topic/partition` (only with `commit`). */
  committed: Record<string, string>
}

/** The tool: translates `group`'s positions onto `target`, prints them, and commits them if asked. */
export async function translateGroup(options: TranslateGroupOptions): Promise<TranslateGroupResult> {
  const { brokers, group, topic, target } = options
  const kafka = new kafkajs.Kafka({ clientId: 'offset-tool', brokers: brokers[target], logLevel: logLevel.WARN })
  const admin = kafka.admin()
  await admin.connect()
  try {
    // The same naming as the replicator: MirrorMaker 2's default, `dc1.orders` on dc2.
    const policy = createReplicationPolicy('prefix', CLUSTERS)
    const translation = await translateOffsets({
      group,
      targetCluster: target,
      admin,
      kafka,
      clusters: CLUSTERS,
      policy,
      topics: policy.physicalTopicsFor(topic, target, CLUSTERS),
      onMissingCheckpoint: 'earliest',
    })
    console.log(`group ${group} on ${target}: ${translation.checkpointsRead} checkpoints read in ${translation.readMs} ms`)
    for (const p of translation.partitions) {
      const from = p.checkpoint
        ? ` (checkpoint: ${p.checkpoint.cluster}/${p.checkpoint.topic}[${p.checkpoint.partition}] offset ${p.checkpoint.offset})`
        : ''
      console.log(`  ${p.topic}[${p.partition}] -> offset ${p.offset} by ${p.method}${from}; candidates ${JSON.stringify(p.candidates)}`)
    }
    if (translation.missingTopics.length > 0) console.log(`  not on ${target}: ${translation.missingTopics.join(', ')}`)
    for (const r of translation.refused) console.log(`  ${r.translator} refused ${r.topic}[${r.partition}]: ${r.error.message}`)

    const committed: Record<string, string> = {}
    if (options.commit) {
      try {
        // With `kafka`, one short-lived member of the group commits every topic at once.
        const done = await commitTranslatedOffsets(admin, translation, { kafka })
        console.log(`committed ${done.partitions} partitions of ${done.topics.join(', ')} in ${done.durationMs} ms`)
      } catch (error) {
        if (error instanceof GroupNotEmptyError)
          console.error(`group ${group} has members on ${target}: stop them (or wait for their session to time out) and run again`)
        throw error
      }
      const topics = translation.partitions.map((p) => p.topic).filter((t, i, all) => all.indexOf(t) === i)
      for (const t of await admin.fetchOffsets({ groupId: group, topics })) {
        for (const p of t.partitions) committed[`${t.topic}/${p.partition}`] = p.offset
      }
    } else {
      console.log('dry run: pass --commit to commit these offsets')
    }
    return { translation, committed }
  } finally {
    await admin.disconnect()
  }
}

/**
 * The demo: a failover consumer of `group` processes the first `processed` records of `topic`
 * on dc1 and stops (its checkpoints reach dc2 directly and through MirrorMaker 2); more records
 * follow; once MirrorMaker 2 has copied them to dc2, the tool moves the group there.
 */
export async function translateOffsetsDemo(
  brokers: Brokers,
  topic: string,
  group: string,
  processed = 10,
  total = 20,
): Promise<TranslateGroupResult> {
  const dr = new MultiClusterKafka({
    clusters: {
      dc1: { kafka: { clientId: 'offset-demo', brokers: brokers.dc1, logLevel: logLevel.WARN }, priority: 1 },
      dc2: { kafka: { clientId: 'offset-demo', brokers: brokers.dc2, logLevel: logLevel.WARN }, priority: 2 },
    },
  })
  await dr.connect()
  const producer = dr.producer()
  try {
    await producer.connect()
    const send = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        await producer.send({ topic, messages: [{ key: `order-${i}`, value: String(i) }] })
        await delay(5) // distinct timestamps, so that the timestamp translation is exact
      }
    }
    await send(0, processed)
    const consumer = dr.consumer({ groupId: group })
    consumer.on('consumer:disconnected', (e) =>
      console.log(`consumer stopped; last checkpoints written to ${e.finalCheckpoint.writtenTo.join(', ')}`),
    )
    let seen = 0
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({
      eachMessage: async () => {
        seen++
      },
    })
    while (seen < processed) await delay(50)
    await consumer.disconnect()
    console.log(`group ${group} processed ${seen} records on dc1`)
    await send(processed, total)
  } finally {
    await producer.disconnect()
    await dr.disconnect()
  }

  // In a real failover the tool takes whatever has arrived; here, wait for MirrorMaker 2's copy.
  const replica = createReplicationPolicy('prefix', CLUSTERS).physicalTopic(topic, 'dc1', 'dc2')
  await waitForRecords(brokers.dc2, replica, total)
  return translateGroup({ brokers, group, topic, target: 'dc2', commit: true })
}

async function waitForRecords(brokers: string[], topic: string, count: number, timeoutMs = 30_000): Promise<void> {
  const admin = new kafkajs.Kafka({ clientId: 'offset-demo', brokers, logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const offsets = await admin.fetchTopicOffsets(topic).catch(() => [])
      if (offsets.reduce((sum, p) => sum + Number(p.high), 0) >= count) return
      if (Date.now() > deadline) throw new Error(`${topic} did not get ${count} records within ${timeoutMs} ms: is MirrorMaker 2 running?`)
      await delay(250)
    }
  } finally {
    await admin.disconnect()
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const brokers = {
    dc1: (process.env.DC1_BROKERS ?? '127.0.0.1:19092').split(','),
    dc2: (process.env.DC2_BROKERS ?? '127.0.0.1:29092').split(','),
  }
  const [group, topic, target] = process.argv.slice(2).filter((a) => !a.startsWith('--'))
  const run =
    group && topic
      ? translateGroup({ brokers, group, topic, target: target === 'dc1' ? 'dc1' : 'dc2', commit: process.argv.includes('--commit') })
      : translateOffsetsDemo(brokers, `translate-demo-${Date.now()}`, `translate-demo-${Date.now()}`)
  run.catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
