// Prints what the runs of `npm test` wrote under .reports/ (test/reporters/run-summary.ts): the ten
// slowest test files with their times, then the plain "N passed, N failed, N skipped" line CI reads.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const dir = '.reports'
const runs = existsSync(dir)
  ? readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')))
  : []
const files = runs
  .flatMap((r) => r.files)
  .sort((a, b) => b.ms - a.ms)
  .slice(0, 10)
if (files.length > 0) {
  console.log('\nThe ten slowest test files:')
  for (const f of files) console.log(`  ${(f.ms / 1000).toFixed(1).padStart(7)} s  ${f.file}${f.state === 'failed' ? '  (failed)' : ''}`)
  console.log()
}
const sum = (key) => runs.reduce((n, r) => n + r[key], 0)
console.log(`${sum('passed')} passed, ${sum('failed')} failed, ${sum('skipped')} skipped`)
