/**
 * A consumer group of several instances, each a separate process as in production, moves as one
 * when dc1 is killed -9 (group-drill.ts), on 12 partitions. SIGSTOP, a rolling restart during the
 * failback and a group of 480 partitions are in full/consumer-group-faults.test.ts; the figures by
 * partitions and instances come from `npm run bench -- group --partitions`.
 */
import { afterAll, describe, it } from 'vitest'
import { groupDrill } from './group-drill.js'
import { bed } from './helpers.js'

describe.skipIf(!bed().canInjectFaults)('a consumer group of several instances (separate processes)', () => {
  afterAll(async () => {
    await bed().up()
  })

  it('kill -9 of dc1: every instance goes on in dc2, nothing lost, duplicates within a checkpoint interval; the group fails back', async () => {
    // Issue #24: back on dc1 within the instances' failbackDelayMs (3 s) + 3 s of finding dc1 up.
    await groupDrill('kill', { backOnDc1WithinMs: 6000 })
  }, 400_000)
})
