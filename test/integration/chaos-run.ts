/** Runs chosen chaos scenarios in their quick form on the suite's bed and checks every expectation. */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'vitest'
import { runChaos } from '../../chaos/run-chaos.js'
import { bed } from './helpers.js'

export async function expectChaosPasses(only: number[]): Promise<void> {
  const outDir = mkdtempSync(join(tmpdir(), 'kafkajs-dr-chaos-'))
  const run = await runChaos(
    { quick: true, only, outDir, markdown: undefined },
    (line) => console.log(line),
    new AbortController().signal,
    bed(),
  )
  expect(run.results.map((r) => r.id)).toEqual(only)
  for (const r of run.results) expect({ id: r.id, failures: r.failures }).toEqual({ id: r.id, failures: [] })
  expect(run.results.map((r) => r.lost)).toEqual(only.map(() => 0))
  expect(run.passed).toBe(true)
}
