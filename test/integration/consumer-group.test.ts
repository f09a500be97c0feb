/**
 * A consumer group of several instances, each a separate process as in production, moves as one
 * when dc1 is killed -9 (group-drill.ts). SIGSTOP and a rolling restart during the failback are in
 * full/consumer-group-faults.test.ts.
 */
import { afterAll, describe, it } from 'vitest'
import { groupDrill } from './group-drill.js'
import { bed } from './helpers.js'

describe.skipIf(!bed().canInjectFaults)('a consumer group of several instances (separate processes)', () => {
  afterAll(async () => {
    await bed().up()
  })

  it('kill -9 of dc1: every instance goes on in dc2, nothing lost, duplicates within a checkpoint interval; the group fails back', async () => {
    await groupDrill('kill')
  }, 400_000)
})
