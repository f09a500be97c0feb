/**
 * `npm run chaos -- --quick` as part of the suite: every chaos scenario's short form on the
 * suite's bed, each a drill whose report must meet the scenario's expectations (see
 * chaos/scenarios.ts). The full form (`npm run chaos`, the durations) is run on demand and
 * its table kept in docs/chaos.md.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runChaos } from '../../chaos/run-chaos.js'
import { SCENARIOS } from '../../chaos/scenarios.js'
import { bed } from './helpers.js'

describe.skipIf(!bed().canInjectFaults)('chaos scenarios, quick form (local bed)', () => {
  it('every scenario: nothing lost, and what each fault must cause or must not', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'kafkajs-dr-chaos-'))
    const run = await runChaos({ quick: true, only: [], outDir, markdown: undefined }, (line) => console.log(line), new AbortController().signal, bed())
    expect(run.results.map((r) => r.id)).toEqual(SCENARIOS.map((s) => s.id))
    for (const r of run.results) expect({ id: r.id, failures: r.failures }).toEqual({ id: r.id, failures: [] })
    expect(run.results.map((r) => r.lost)).toEqual(SCENARIOS.map(() => 0))
    expect(run.passed).toBe(true)
  }, 20 * 60_000)
})
