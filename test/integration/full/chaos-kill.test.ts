/**
 * Chaos scenario 1, kill -9 of the active cluster, in its quick form (the per-change suite runs
 * the others in chaos.test.ts, and this drill through `npm run drill` in drill-command.test.ts).
 */
import { describe, it } from 'vitest'
import { expectChaosPasses } from '../chaos-run.js'
import { bed } from '../helpers.js'

describe.skipIf(!bed().canInjectFaults)('chaos scenario 1, quick form (local bed)', () => {
  it(
    'kill -9: nothing lost, a switch to the survivor and back, nothing rejected',
    async () => {
      await expectChaosPasses([1])
    },
    5 * 60_000,
  )
})
