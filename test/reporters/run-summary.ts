/**
 * A vitest reporter that writes what .ci/run prints at the end of a run: each test file's time
 * (its tests and hooks, so a beforeAll that restarts the brokers counts), and the tests passed,
 * failed and skipped. One JSON file per run under .reports/, named after the projects it ran.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import type { Reporter, SerializedError, TestModule } from 'vitest/node'

/** What one run wrote. */
export interface RunSummary {
  passed: number
  failed: number
  skipped: number
  files: Array<{ file: string; project: string; ms: number; state: string }>
}

export default class RunSummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    const summary: RunSummary = { passed: 0, failed: unhandledErrors.length, skipped: 0, files: [] }
    const projects = new Set<string>()
    for (const module of modules) {
      projects.add(module.project.name)
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === 'passed') summary.passed++
        else if (state === 'failed') summary.failed++
        else summary.skipped++
      }
      // A file that failed before any test ran (an error at import or in beforeAll) is a failure too.
      if (module.state() === 'failed' && ![...module.children.allTests()].some((t) => t.result().state === 'failed')) summary.failed++
      const d = module.diagnostic()
      summary.files.push({
        file: relative(process.cwd(), module.moduleId),
        project: module.project.name,
        ms: Math.round(d.collectDuration + d.setupDuration + d.duration),
        state: module.state(),
      })
    }
    mkdirSync('.reports', { recursive: true })
    writeFileSync(join('.reports', `${[...projects].sort().join('+') || 'none'}.json`), `${JSON.stringify(summary, null, 2)}\n`)
  }
}
