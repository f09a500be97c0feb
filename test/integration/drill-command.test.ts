/**
 * `npm run drill`, shortened to a few seconds a phase, on the suite's bed: the example service
 * runs through kafkajs-dr's public API while the drill kills dc1 -9, brings it back and waits for
 * the failback. The report must say that nothing acknowledged was lost, that the service moved to
 * dc2 and back to dc1, and the chart must be a well-formed SVG with its marks.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { runDrillWithBed } from '../../drill/run-drill.js'
import { DEFAULT_OPTIONS, type DrillOptions } from '../../src/drill/options.js'
import { CHART_FILE, REPORT_FILE } from '../../src/drill/run-drill.js'
import { bed } from './helpers.js'

/** Throws unless `text` is well-formed XML: one root, every tag closed in order, attributes quoted, entities known. */
function assertWellFormedXml(text: string): void {
  const body = text.replace(/^<\?xml[^?]*\?>/, '').replace(/<!--[\s\S]*?-->/g, '')
  const tag = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/y
  const stack: string[] = []
  let roots = 0
  let at = 0
  while (at < body.length) {
    const open = body.indexOf('<', at)
    const textPart = body.slice(at, open < 0 ? body.length : open)
    if (/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(textPart)) throw new Error(`bad entity near offset ${at}`)
    if (stack.length === 0 && textPart.trim() !== '') throw new Error(`text outside the root near offset ${at}`)
    if (open < 0) break
    tag.lastIndex = open
    const match = tag.exec(body)
    if (match === null) throw new Error(`malformed tag at offset ${open}: ${body.slice(open, open + 60)}`)
    const [, closing, name, , selfClosing] = match
    if (closing === '/') {
      const expected = stack.pop()
      if (expected !== name) throw new Error(`</${name}> closes <${expected ?? 'nothing'}> at offset ${open}`)
    } else {
      if (stack.length === 0) roots++
      if (selfClosing !== '/') stack.push(name!)
    }
    at = tag.lastIndex
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('> <')}>`)
  if (roots !== 1) throw new Error(`${roots} root elements`)
}

describe.skipIf(!bed().canInjectFaults)('npm run drill (kill -9 of dc1 on the local bed, short phases)', () => {
  afterAll(async () => {
    await bed().up()
  })

  it('fails over to dc2 and back to dc1 without losing an acknowledged record, and writes the report and the chart', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'kafkajs-dr-drill-'))
    const progress = new PassThrough()
    let output = ''
    progress.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8')
    })
    const options: DrillOptions = {
      ...DEFAULT_OPTIONS,
      clusters: [],
      fault: 'kill',
      rate: 100,
      warmupMs: 3000,
      outageMs: 5000,
      afterMs: 2000,
      failbackDelayMs: 2000,
      failbackTimeoutMs: 45_000,
      drainTimeoutMs: 30_000,
      outDir,
    }
    try {
      const started = Date.now()
      const { report, files, exitCode } = await runDrillWithBed(options, { bed: bed(), progress, isTTY: false })
      console.log(
        `drill: ${Date.now() - started} ms; ${JSON.stringify({ lost: report.lost, duplicates: report.duplicates, figures: report.figures, records: report.records.acknowledged })}`,
      )

      expect(report.notes).toEqual([])
      expect(exitCode).toBe(0)
      expect(report.lost).toBe(0)
      expect(report.ok).toBe(true)
      expect(report.records.acknowledged).toBeGreaterThan(options.rate * 5)
      expect(report.records.consumed).toBeGreaterThanOrEqual(report.records.acknowledged)
      // The switch to dc2, seen by the client and by the consumer, and the records there.
      const faultAt = report.fault.atMs!
      expect(report.timeline.some((e) => e.type === 'failover:start' && e.to === 'dc2' && e.tMs >= faultAt)).toBe(true)
      expect(report.consumerClusters[0]!.some((s) => s.cluster === 'dc2' && s.fromMs >= faultAt)).toBe(true)
      expect(report.figures.detectMs).not.toBeNull()
      expect(report.figures.firstAcknowledgedOnSurvivorMs).not.toBeNull()
      expect(report.figures.firstConsumedOnSurvivorMs).not.toBeNull()
      // The failback to dc1, and the service ending there.
      expect(report.timeline.some((e) => e.type === 'failback' && e.to === 'dc1')).toBe(true)
      expect(report.figures.failback.completeMs).not.toBeNull()
      expect(report.activeCluster.at(-1)!.cluster).toBe('dc1')
      expect(report.consumerClusters[0]!.at(-1)!.cluster).toBe('dc1')
      // The live lines told the story as it happened.
      for (const type of ['fault', 'cluster:down', 'failover:start', 'consumer:moved', 'failback']) expect(output).toContain(type)
      expect(output).toContain('LOST (acknowledged, never consumed)')

      const written = JSON.parse(await readFile(join(outDir, REPORT_FILE), 'utf8')) as Record<string, unknown>
      expect(files.report).toBe(join(outDir, REPORT_FILE))
      expect(written.lost).toBe(0)
      expect(typeof written.duplicates).toBe('number')

      expect(files.chart).toBe(join(outDir, CHART_FILE))
      const svg = await readFile(join(outDir, CHART_FILE), 'utf8')
      expect(svg.startsWith('<svg')).toBe(true)
      assertWellFormedXml(svg)
      // Rates (lines), the fault and switches (rules), the outage and the active cluster (rects).
      for (const mark of ['mark-line', 'mark-rule', 'mark-rect', 'mark-text']) expect(svg).toContain(mark)
      expect(svg).toContain('fault: kill -9 dc1')
      expect(svg).toContain('switch to dc2')
      expect(svg).toContain('switch to dc1')
    } finally {
      await rm(outDir, { recursive: true, force: true })
    }
  }, 150_000)
})
