/**
 * Consumer failover acceptance on the real bed: 20,000 keyed records on `orders` in dc1 over 6
 * partitions, a group consuming part of them, dc1 killed -9 (or hung with SIGSTOP) mid-stream.
 * The group goes on in dc2 from translated checkpoints, then fails back when dc1 returns.
 * Every record must be processed (zero loss); duplicates are counted and bounded.
 */
import { afterAll, describe, it } from 'vitest'
import { consumerDrill } from '../consumer-drill.js'
import { bed } from '../helpers.js'

describe.skipIf(!bed().canInjectFaults)('consumer failover (fault injection on the local bed)', () => {
  afterAll(async () => {
    await bed().up()
  })

  it('kill -9 of dc1 mid-stream: continues on dc2 without loss, fails back to dc1 without loss', async () => {
    await consumerDrill('kill')
  }, 600_000)

  it('dc1 hung (SIGSTOP) mid-stream: same, and the hung session is fenced when dc1 wakes up', async () => {
    await consumerDrill('pause')
  }, 600_000)
})
