/**
 * A discovery function of your own: the active cluster comes from a source you already run (an
 * HTTP health or routing endpoint, DNS, Consul, a feature flag). Here the example serves a tiny
 * HTTP endpoint on 127.0.0.1 itself (`GET /active` answers `{"active":"dc1"}`), and the client
 * asks it after every probe round. Changing the endpoint's answer moves the client.
 *
 *   npm run bed:up
 *   npx tsx examples/custom-discovery.ts
 *
 * DC1_BROKERS / DC2_BROKERS (comma-separated host:port) point it at other clusters.
 *
 * It imports the library by its package name, as your code will. In this repository
 * `npx tsx` resolves that name to the sources through tsconfig.json's `paths` (no build needed);
 * without that tsconfig it resolves through the package's own `exports` to dist/, which
 * `npm run build` makes.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import kafkajs from 'kafkajs'
import { MultiClusterKafka, stickyPolicy, type DiscoveryFunction } from 'kafkajs-dr'

const { logLevel } = kafkajs

/**
 * The decision, called after every probe round with each cluster's health. Returns the cluster
 * to make active, or `undefined` to keep things as they are. Follow the endpoint while the
 * cluster it names is up; when it names a cluster that is down, or does not answer, stay on a
 * healthy active cluster, else take the most preferred healthy one.
 */
export function fromEndpoint(url: string, timeoutMs = 500): DiscoveryFunction {
  return async (view) => {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
      const { active } = (await response.json()) as { active?: string }
      if (view.clusters.some((c) => c.name === active && c.health === 'up')) return active
    } catch {
      // The endpoint is down or slow: decide from health alone.
    }
    // Stay on the active cluster while it is up, else the most preferred healthy one.
    return stickyPolicy(view)
  }
}

/** A routing endpoint: `GET /active` answers `{"active": <cluster>}`. */
export async function startEndpoint(initial: string): Promise<{ url: string; set: (cluster: string) => void; close: () => Promise<void> }> {
  let active = initial
  const server = createServer((request, response) => {
    if (request.url !== '/active') return void response.writeHead(404).end()
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ active }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/active`,
    set: (cluster) => {
      active = cluster
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/** What {@link customDiscovery} saw. */
export interface CustomDiscoveryResult {
  /** The policy's name in `status()`. */
  policy: string
  /** Active cluster after connect, after the endpoint said dc2, after it said dc1 again. */
  active: Array<string | undefined>
  /** Every change of the active cluster. */
  switches: Array<{ from: string | undefined; to: string }>
}

/** Starts the endpoint and a client following it, then turns the endpoint to dc2 and back. */
export async function customDiscovery(brokers: { dc1: string[]; dc2: string[] }): Promise<CustomDiscoveryResult> {
  const endpoint = await startEndpoint('dc1')
  const dr = new MultiClusterKafka({
    clusters: {
      dc1: { kafka: { clientId: 'custom-discovery', brokers: brokers.dc1, logLevel: logLevel.WARN }, priority: 1 },
      dc2: { kafka: { clientId: 'custom-discovery', brokers: brokers.dc2, logLevel: logLevel.WARN }, priority: 2 },
    },
    discovery: { policy: fromEndpoint(endpoint.url) },
  })
  const switches: CustomDiscoveryResult['switches'] = []
  dr.on('failover:complete', (e) => {
    switches.push({ from: e.from, to: e.to })
    console.log(`now on ${e.to} (${e.reason}) after ${e.durationMs} ms`)
  })
  const follow = async (cluster: string): Promise<string | undefined> => {
    endpoint.set(cluster)
    console.log(`endpoint now answers ${cluster}`)
    const deadline = Date.now() + 15_000
    while ((dr.activeCluster !== cluster || dr.status().switching) && Date.now() < deadline) await delay(50)
    return dr.activeCluster
  }
  try {
    await dr.connect()
    console.log(`connected; active cluster ${dr.activeCluster} (policy ${dr.status().policy})`)
    const active = [dr.activeCluster, await follow('dc2'), await follow('dc1')]
    return { policy: dr.status().policy, active, switches }
  } finally {
    await dr.disconnect()
    await endpoint.close()
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const brokers = {
    dc1: (process.env.DC1_BROKERS ?? '127.0.0.1:19092').split(','),
    dc2: (process.env.DC2_BROKERS ?? '127.0.0.1:29092').split(','),
  }
  customDiscovery(brokers).catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
