/**
 * `npm run soak -- [--minutes 60] [--out DIR] [--markdown FILE]`: the soak on the local bed (see
 * run-soak.ts), then its report: soak-report.json and soak-memory.svg in the output folder, and
 * with `--markdown` its section of that page (between `<!-- soak:start -->` and
 * `<!-- soak:end -->`), the picture beside it. Exits 1 when a goal was missed, 2 for a wrong flag,
 * 130 after Ctrl-C.
 */
import { existsSync } from 'node:fs'
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { readFlags, UsageError } from '../src/flags/index.js'
import { KafkaBed } from '../test/bed/bed.js'
import { memoryChart, soakFailures, soakMarkdown } from './report.js'
import { withSoakSection } from './section.js'
import { runSoak, soakOptions } from './run-soak.js'

const USAGE = `npm run soak -- [--minutes N] [--out DIR] [--markdown FILE]

A service of 4 instance processes (a producer and a group member each, through kafkajs-dr) on the
local bed for N minutes (default 60), a fault every 2 minutes (every minute below 20 minutes):
kill -9 of dc1, SIGSTOP of dc1, flaps, MirrorMaker 2 stopped, a restart of the standby. Then:
records lost, rejected and repeated, and each instance's memory growth.

  --minutes N      how long (default 60; 5 for a quick look)
  --out DIR        folder for soak-report.json and soak-memory.svg (default: soak-out)
  --markdown FILE  also write the soak's section of that page (e.g. docs/chaos.md)
`

const FLAGS = {
  '--minutes': { value: true },
  '--out': { value: true },
  '--markdown': { value: true },
  '--help': { value: false, repeat: true, short: 'h' },
} as const

/** What the flags ask for. */
export interface SoakArgs {
  minutes: number
  outDir: string
  markdown: string | undefined
}

/** Reads the flags (util.parseArgs, src/flags); throws a UsageError for a wrong one. */
export function parseSoakArgs(argv: readonly string[]): SoakArgs | 'help' {
  const { values, switches } = readFlags(argv, FLAGS, { hint: 'see npm run soak -- --help' })
  if (switches.has('--help')) return 'help'
  const text = values.get('--minutes')?.[0]
  const minutes = Number(text ?? 60)
  if (!Number.isInteger(minutes) || minutes < 3) throw new UsageError(`--minutes: a whole number of at least 3, got '${text}'`)
  return { minutes, outDir: values.get('--out')?.[0] ?? 'soak-out', markdown: values.get('--markdown')?.[0] }
}

async function main(argv: readonly string[]): Promise<number> {
  let args
  try {
    args = parseSoakArgs(argv)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    process.stderr.write(`soak: ${error.message}\n`)
    return 2
  }
  if (args === 'help') {
    process.stdout.write(USAGE)
    return 0
  }
  const controller = new AbortController()
  process.once('SIGINT', () => controller.abort())
  process.once('SIGTERM', () => controller.abort())
  const log = (line: string): void => {
    process.stdout.write(`${line}\n`)
  }
  const bed = new KafkaBed({ verbose: true })
  if (!bed.canInjectFaults) {
    process.stderr.write('soak: the soak injects faults on the local bed: unset KAFKAJS_DR_DC1_BROKERS / KAFKAJS_DR_DC2_BROKERS\n')
    return 2
  }
  const startedBed = !bed.isUp()
  const options = soakOptions(args.minutes)
  try {
    const observations = await runSoak(options, bed, log, controller.signal)
    const out = resolve(args.outDir)
    await mkdir(out, { recursive: true })
    await writeFile(join(out, 'soak-report.json'), `${JSON.stringify({ options, ...observations }, null, 2)}\n`)
    const chart = join(out, 'soak-memory.svg')
    await writeFile(chart, memoryChart(observations))
    const settings = `Kafka ${bed.kafkaVersion}, broker group settings '${bed.brokerProfile}', ${options.instances} instances, ${options.partitions} partitions, ${options.rate} records/s, a fault every ${options.faultEveryMs / 1000} s, kafkajs-dr's and kafkajs' default settings (priority policy), Node ${process.version}`
    if (args.markdown !== undefined) {
      const page = resolve(args.markdown)
      const picture = `soak-memory-${args.minutes}min.svg`
      await copyFile(chart, join(dirname(page), picture))
      const text = existsSync(page) ? await readFile(page, 'utf8') : `# ${basename(page, '.md')}\n`
      await writeFile(page, withSoakSection(text, soakMarkdown(observations, settings, picture)))
      log(`[soak] section written to ${page}`)
    }
    log(soakMarkdown(observations, settings, chart))
    const failures = soakFailures(observations)
    log(failures.length === 0 ? '[soak] PASS: every goal met' : `[soak] FAIL: ${failures.join('; ')}`)
    return failures.length === 0 ? 0 : 1
  } catch (error) {
    if (controller.signal.aborted) return 130
    process.stderr.write(`soak: ${error instanceof Error ? error.message : String(error)}\n`)
    return 1
  } finally {
    if (startedBed) await bed.down()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  void main(process.argv.slice(2)).then((code) => process.exit(code))
}
