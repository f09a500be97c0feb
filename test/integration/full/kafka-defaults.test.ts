/**
 * On brokers with Kafka's default group settings (`group.initial.rebalance.delay.ms=3000`), the
 * faults beyond the per-change suite's hang (consumer-failover-kafka-defaults.test.ts): the
 * consumer drill with kill -9, and three declared-policy instances following a declaration.
 * The brokers are restarted into that profile for this file; the next file that needs the run's
 * settings restarts them back (setup-broker-profile.ts), and these files run last.
 */
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { declareActiveCluster } from '../../../src/index.js'
import { AppProcess } from '../apps/app-process.js'
import { consumerDrill } from '../consumer-drill.js'
import { bed, unique } from '../helpers.js'

const INSTANCE = fileURLToPath(new URL('../apps/declared-instance.ts', import.meta.url))

describe.skipIf(!bed().canInjectFaults)("on Kafka's default group settings (group.initial.rebalance.delay.ms=3000)", () => {
  beforeAll(async () => {
    const { ms } = await bed().setBrokerProfile('kafka-defaults')
    console.log(`[kafka-defaults] brokers restarted with Kafka's default group settings in ${ms} ms`)
  }, 300_000)

  it('consumer: kill -9 of dc1 mid-stream, on to dc2 and back, nothing lost', async () => {
    await consumerDrill('kill', 'kafka-defaults kill')
  }, 600_000)

  it('declared policy: three instances in separate processes follow a declaration and its reversal', async () => {
    const controlTopic = unique('control')
    const config = { brokers: { dc1: bed().brokers.dc1!, dc2: bed().brokers.dc2! }, controlTopic }
    const instances = Array.from({ length: 3 }, () => new AppProcess(INSTANCE, config))
    const kafkas = { dc1: bed().kafka('dc1', `declare-${randomBytes(3).toString('hex')}`), dc2: bed().kafka('dc2') }
    try {
      await Promise.all(instances.map((i) => i.next('instance on dc1', (e) => e.event === 'active' && e.cluster === 'dc1', 60_000)))
      const figures: string[] = []
      for (const cluster of ['dc2', 'dc1']) {
        const started = Date.now()
        await declareActiveCluster(kafkas, { cluster, reason: 'kafka-defaults drill', topic: controlTopic })
        const declareMs = Date.now() - started
        const switched = await Promise.all(
          instances.map((i) =>
            i.next(`instance on ${cluster}`, (e) => e.event === 'active' && e.cluster === cluster && e.at! >= started, 30_000),
          ),
        )
        const lastMs = Math.max(...switched.map((e) => e.at! - started))
        figures.push(`to ${cluster}: declareActiveCluster ${declareMs} ms, last of 3 instances switched ${lastMs} ms after the call began`)
      }
      console.log(`[kafka-defaults] declared policy: ${figures.join('; ')}`)
      // One switch per declaration in every instance: no error, no detour, no flapping.
      for (const i of instances) expect(i.events.map((e) => (e.event === 'active' ? e.cluster : e.event))).toEqual(['dc1', 'dc2', 'dc1'])
    } finally {
      await Promise.all(instances.map((i) => i.kill()))
    }
  }, 300_000)
})
