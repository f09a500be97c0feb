/**
 * A consumer group of several instance processes (group-drill.ts) under the faults beyond kill -9:
 * dc1 hung, a rolling restart of every instance during the failback, and a group of 480
 * partitions failing back. Full suite only.
 */
import { afterAll, describe, it } from 'vitest'
import { groupDrill } from '../group-drill.js'
import { bed } from '../helpers.js'

describe.skipIf(!bed().canInjectFaults)('a consumer group of several instances (separate processes): hung, rolling restart', () => {
  afterAll(async () => {
    await bed().up()
  })

  it('dc1 hung (SIGSTOP): every instance goes on in dc2, nothing lost, duplicates within a checkpoint interval; the group fails back', async () => {
    await groupDrill('pause')
  }, 600_000)

  it('kill -9 of dc1, and a rolling restart of every instance during the failback: all back on dc1, nothing lost', async () => {
    await groupDrill('kill', { rollingFailback: true })
  }, 600_000)

  it('a large group, 480 partitions: kill -9 of dc1, every instance goes on in dc2, nothing lost; the group fails back', async () => {
    await groupDrill('kill', { partitions: 480, records: 24_000, firstOnDc2WithinMs: 8000 })
  }, 600_000)
})
