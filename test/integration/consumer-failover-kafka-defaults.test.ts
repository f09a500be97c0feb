/**
 * The consumer failover drill again, dc1 hung, on brokers with Kafka's default group settings
 * (`group.initial.rebalance.delay.ms=3000`, as users' brokers have; the bed's own setting is 0):
 * every join of an empty group waits 3 s there, so any group join left on a switch's path shows.
 * The brokers are restarted into that profile for this file; the next file that needs the run's
 * settings restarts them back (setup-broker-profile.ts), and these files run last. kill -9 and
 * the declared policy on these settings: full/kafka-defaults.test.ts.
 */
import { beforeAll, describe, it } from 'vitest'
import { consumerDrill } from './consumer-drill.js'
import { bed } from './helpers.js'

describe.skipIf(!bed().canInjectFaults)("on Kafka's default group settings (group.initial.rebalance.delay.ms=3000)", () => {
  beforeAll(async () => {
    const { ms } = await bed().setBrokerProfile('kafka-defaults')
    console.log(`[kafka-defaults] brokers restarted with Kafka's default group settings in ${ms} ms`)
  }, 180_000)

  it('consumer: dc1 hung (SIGSTOP) mid-stream, on to dc2 and back, nothing lost, fenced while away', async () => {
    await consumerDrill('pause', 'kafka-defaults pause')
  }, 300_000)
})
