/**
 * `npm run chaos -- --quick` as part of the suite: the chaos scenarios' short forms on the suite's
 * bed, each a drill whose report must meet the scenario's expectations (see chaos/scenarios.ts).
 * Scenario 1, kill -9, is the drill that drill-command.test.ts runs through `npm run drill` in the
 * per-change suite; full/chaos-kill.test.ts runs its chaos form. Scenario 2, the active cluster
 * hung, runs in the full suite only: the per-change suite hangs the active cluster in the
 * consumer drill on Kafka's default settings and in shutdown.test.ts. The full form (`npm run
 * chaos`, the issue's durations) is run on demand and its table kept in docs/chaos.md.
 */
import { describe, it } from 'vitest'
import { SCENARIOS } from '../../chaos/scenarios.js'
import { expectChaosPasses } from './chaos-run.js'
import { bed, fullSuite } from './helpers.js'

const PER_CHANGE = SCENARIOS.map((s) => s.id).filter((id) => id !== 1 && (id !== 2 || fullSuite()))

describe.skipIf(!bed().canInjectFaults)('chaos scenarios, quick form (local bed)', () => {
  it(
    `scenarios ${PER_CHANGE.join(', ')}: nothing lost, and what each fault must cause or must not`,
    async () => {
      await expectChaosPasses(PER_CHANGE)
    },
    10 * 60_000,
  )
})
