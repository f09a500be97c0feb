/**
 * Active-active with dual-read: services in both datacenters write `orders` to their own
 * cluster, and a consumer in dc1 reads the records of both origins, each from the cluster it was
 * written in (`dualRead: 'direct'`: no wait for MirrorMaker 2), dropping copies it already
 * delivered (`dedupe: true`). When a cluster fails, its origin is read from its replica on the
 * survivor (`dc2.orders` on dc1) from translated positions, and reading moves home when it returns.
 *
 *   npm run bed:up
 *   npx tsx examples/active-active.ts
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
import { MultiClusterKafka } from 'kafkajs-dr'

const { logLevel } = kafkajs

type Site = 'dc1' | 'dc2'

/** Options of {@link activeActive}. */
export interface ActiveActiveOptions {
  brokers: Record<Site, string[]>
  topic: string
  /** The dc1 consumer's group. @default `${topic}-dual-read` */
  groupId?: string
  /** Records each site writes. @default 50 */
  perSite?: number
}

/** What the dc1 consumer delivered. */
export interface ActiveActiveResult {
  /** Every delivery, in order. */
  consumed: Array<{ id: string; cluster: string; originCluster: string }>
  /** Written records never delivered (0 expected). */
  missing: string[]
  /** Deliveries of a record already delivered (0 expected with `dedupe`). */
  duplicates: number
  /** `consumer.status().reading`: where each origin is read. */
  reading: Array<{ origins: string[]; cluster: string | undefined }>
}

/**
 * One datacenter's client: it prefers its own cluster (priority 1) and fails over to the other.
 * Each site's services run their own.
 */
export function siteClient(site: Site, brokers: Record<Site, string[]>): MultiClusterKafka {
  const other: Site = site === 'dc1' ? 'dc2' : 'dc1'
  const kafka = (name: Site) => ({ clientId: `orders-${site}`, brokers: brokers[name], logLevel: logLevel.WARN })
  return new MultiClusterKafka({
    clusters: { [site]: { kafka: kafka(site), priority: 1 }, [other]: { kafka: kafka(other), priority: 2 } },
    localCluster: site,
    discovery: { policy: 'priority', failbackDelayMs: 5000 },
  })
}

/** Both sites write `perSite` records; the dc1 consumer reads all of them, both origins. */
export async function activeActive(options: ActiveActiveOptions): Promise<ActiveActiveResult> {
  const { brokers, topic } = options
  const perSite = options.perSite ?? 50
  const sites = { dc1: siteClient('dc1', brokers), dc2: siteClient('dc2', brokers) }
  for (const [site, dr] of Object.entries(sites)) {
    dr.on('failover:complete', (e) => console.log(`[${site}] now on ${e.to} (${e.kind}: ${e.reason})`))
  }
  await Promise.all(Object.values(sites).map((dr) => dr.connect()))
  console.log(`site dc1 writes to ${sites.dc1.activeCluster}, site dc2 writes to ${sites.dc2.activeCluster}`)
  // The topic exists on both clusters, so the direct reader of each origin has its copy at once.
  await Promise.all((['dc1', 'dc2'] as const).map((site) => createTopic(sites[site], site, topic, 3)))

  const producers = { dc1: sites.dc1.producer(), dc2: sites.dc2.producer() }
  const consumer = sites.dc1.consumer({
    groupId: options.groupId ?? `${topic}-dual-read`,
    dualRead: 'direct', // each origin on its own cluster while it is up
    dedupe: true, // needs the producers' provenance header (on by default)
  })
  consumer.on('consumer:moved', (e) => console.log(`[dc1 consumer] origin ${e.origin ?? '-'} read on ${e.to} (${e.reason})`))
  consumer.on('consumer:deduplicated', (e) =>
    console.log(`[dc1 consumer] dropped ${e.count} copies from ${e.cluster}/${e.topic}[${e.partition}]`),
  )
  const consumed: ActiveActiveResult['consumed'] = []
  const seen = new Set<string>()
  try {
    await Promise.all(Object.values(producers).map((p) => p.connect()))
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({
      // With 'direct', two origins' records may be handled at the same time (one session each).
      eachMessage: async ({ message, cluster, originCluster }) => {
        const id = message.value!.toString()
        consumed.push({ id, cluster, originCluster })
        seen.add(id)
      },
    })

    const written: string[] = []
    await Promise.all(
      (['dc1', 'dc2'] as const).map(async (site) => {
        for (let start = 0; start < perSite; start += 10) {
          const ids = Array.from({ length: Math.min(10, perSite - start) }, (_, j) => `${site}-${start + j}`)
          await producers[site].send({ topic, messages: ids.map((id) => ({ key: id, value: id })) })
          written.push(...ids)
          await delay(50)
        }
      }),
    )
    console.log(`written: ${perSite} records in each datacenter`)

    const deadline = Date.now() + 30_000
    while (written.some((id) => !seen.has(id)) && Date.now() < deadline) await delay(100)
    const missing = written.filter((id) => !seen.has(id))
    const reading = consumer.status().reading.map((lane) => ({ origins: [...lane.origins], cluster: lane.cluster }))
    for (const lane of reading) console.log(`[dc1 consumer] origin ${lane.origins.join(',')} read on ${lane.cluster}`)
    const byPath = new Map<string, number>()
    for (const r of consumed)
      byPath.set(
        `written in ${r.originCluster}, read on ${r.cluster}`,
        (byPath.get(`written in ${r.originCluster}, read on ${r.cluster}`) ?? 0) + 1,
      )
    for (const [path, n] of byPath) console.log(`  ${path}: ${n}`)
    const duplicates = consumed.length - seen.size
    console.log(
      `delivered ${seen.size} of ${written.length}, ${duplicates} duplicates, dedupe status ${JSON.stringify(consumer.status().dedupe)}`,
    )
    return { consumed, missing, duplicates, reading }
  } finally {
    await consumer.disconnect()
    await Promise.all(Object.values(producers).map((p) => p.disconnect()))
    await Promise.all(Object.values(sites).map((dr) => dr.disconnect()))
  }
}

async function createTopic(dr: MultiClusterKafka, cluster: Site, topic: string, numPartitions: number): Promise<void> {
  const admin = dr.kafka(cluster).admin()
  try {
    await admin.connect()
    await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true })
  } finally {
    await admin.disconnect()
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const brokers = {
    dc1: (process.env.DC1_BROKERS ?? '127.0.0.1:19092').split(','),
    dc2: (process.env.DC2_BROKERS ?? '127.0.0.1:29092').split(','),
  }
  activeActive({ brokers, topic: `active-active-${Date.now()}` })
    .then((result) => {
      if (result.missing.length > 0) process.exitCode = 1
    })
    .catch((error: unknown) => {
      console.error(error)
      process.exitCode = 1
    })
}
