/**
 * The `declared` policy: no instance moves on its own; an operator declares the active cluster
 * and every instance follows it, so all instances agree (no split brain, even when instances
 * see the clusters' health differently). A declaration is a record in the control topic
 * (`kafkajs-dr.control`), written to every reachable cluster; the newest epoch (its wall-clock
 * time in ms) wins.
 *
 *   npm run bed:up
 *   npx tsx examples/declared-policy.ts                     # two instances; declares dc2, then dc1 back
 *   npx tsx examples/declared-policy.ts declare dc2 "dc1 maintenance"   # the operator's switch alone
 *   npx tsx examples/declared-policy.ts show                # the declaration in force on each cluster
 *
 * CONTROL_TOPIC chooses the control topic (default `kafkajs-dr.control`); DC1_BROKERS /
 * DC2_BROKERS (comma-separated host:port) point it at other clusters.
 *
 * It imports the library by its package name, as your code will. In this repository
 * `npx tsx` resolves that name to the sources through tsconfig.json's `paths` (no build needed);
 * without that tsconfig it resolves through the package's own `exports` to dist/, which
 * `npm run build` makes.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import kafkajs, { type Kafka } from 'kafkajs'
import { DEFAULT_CONTROL_TOPIC, MultiClusterKafka, declareActiveCluster, readDeclaration, type DeclareResult } from 'kafkajs-dr'

const { logLevel } = kafkajs

type Brokers = { dc1: string[]; dc2: string[] }

/** Plain kafkajs clients of both clusters: all an operator's tool needs. */
function operatorClients(brokers: Brokers): Record<string, Kafka> {
  return {
    dc1: new kafkajs.Kafka({ clientId: 'dr-operator', brokers: brokers.dc1, logLevel: logLevel.WARN }),
    dc2: new kafkajs.Kafka({ clientId: 'dr-operator', brokers: brokers.dc2, logLevel: logLevel.WARN }),
  }
}

/**
 * The operator's switch: writes the declaration to every reachable cluster. Resolves when at
 * least one cluster took it (`failed` lists the others); rejects when none did.
 */
export async function declare(
  brokers: Brokers,
  cluster: string,
  reason: string,
  controlTopic = DEFAULT_CONTROL_TOPIC,
): Promise<DeclareResult> {
  const result = await declareActiveCluster(operatorClients(brokers), { cluster, reason, topic: controlTopic })
  console.log(
    `declared ${cluster} active (epoch ${result.declaration.epoch}) on ${result.written.join(', ')}${result.failed.length > 0 ? `; not on ${result.failed.map((f) => `${f.cluster} (${f.error})`).join(', ')}` : ''}`,
  )
  return result
}

/** An application instance whose active cluster is whatever the operator declared. */
export function declaredInstance(brokers: Brokers, name: string, controlTopic = DEFAULT_CONTROL_TOPIC): MultiClusterKafka {
  const dr = new MultiClusterKafka({
    clusters: {
      dc1: { kafka: { clientId: name, brokers: brokers.dc1, logLevel: logLevel.WARN }, priority: 1 },
      dc2: { kafka: { clientId: name, brokers: brokers.dc2, logLevel: logLevel.WARN }, priority: 2 },
    },
    // Before any declaration exists the policy behaves like `sticky`: the most preferred healthy cluster.
    // `connect()` creates the control topic where it is missing; when it exists, kafkajs logs
    // "Topic creation errors" at ERROR level (harmless, as for each declaration).
    discovery: { policy: 'declared', controlTopic },
  })
  dr.on('failover:complete', (e) => console.log(`[${name}] now on ${e.to} (${e.reason}) after ${e.durationMs} ms`))
  return dr
}

/** What {@link declaredPolicy} saw. */
export interface DeclaredPolicyResult {
  /** Each instance's active cluster at the start. */
  initial: Array<string | undefined>
  /** From the start of each declaration until every instance was on its cluster, in ms. */
  followedMs: { toDc2: number; backToDc1: number }
}

/** Starts `instances` instances, declares dc2 active, then dc1, and waits for all to follow each time. */
export async function declaredPolicy(brokers: Brokers, controlTopic = DEFAULT_CONTROL_TOPIC, instances = 2): Promise<DeclaredPolicyResult> {
  const apps = Array.from({ length: instances }, (_, i) => declaredInstance(brokers, `instance-${i + 1}`, controlTopic))
  try {
    await Promise.all(apps.map((dr) => dr.connect()))
    const initial = apps.map((dr) => dr.activeCluster)
    console.log(`instances start on ${initial.join(', ')}`)
    const switchTo = async (cluster: string, reason: string): Promise<number> => {
      const started = Date.now()
      await declare(brokers, cluster, reason, controlTopic)
      while (apps.some((dr) => dr.activeCluster !== cluster || dr.status().switching)) {
        if (Date.now() - started > 30_000) throw new Error(`instances did not follow the declaration of ${cluster} within 30 s`)
        await delay(50)
      }
      const ms = Date.now() - started
      console.log(`every instance on ${cluster} ${ms} ms after the declaration began`)
      return ms
    }
    const toDc2 = await switchTo('dc2', 'planned maintenance of dc1')
    const backToDc1 = await switchTo('dc1', 'maintenance over')
    return { initial, followedMs: { toDc2, backToDc1 } }
  } finally {
    await Promise.all(apps.map((dr) => dr.disconnect()))
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const brokers = {
    dc1: (process.env.DC1_BROKERS ?? '127.0.0.1:19092').split(','),
    dc2: (process.env.DC2_BROKERS ?? '127.0.0.1:29092').split(','),
  }
  const controlTopic = process.env.CONTROL_TOPIC ?? DEFAULT_CONTROL_TOPIC
  const [command, cluster, reason] = process.argv.slice(2)
  const run = async (): Promise<void> => {
    if (command === 'declare') {
      if (!cluster) throw new Error('usage: declared-policy.ts declare <cluster> [reason]')
      await declare(brokers, cluster, reason ?? 'operator', controlTopic)
    } else if (command === 'show') {
      for (const [name, kafka] of Object.entries(operatorClients(brokers))) {
        const d = await readDeclaration(kafka, controlTopic).catch((error: unknown) => `unreadable: ${(error as Error).message}`)
        console.log(`${name}: ${d === undefined ? 'no declaration' : JSON.stringify(d)}`)
      }
    } else {
      await declaredPolicy(brokers, controlTopic)
    }
  }
  run().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
