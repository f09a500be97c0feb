import { describe, expect, it } from 'vitest'
import type { MemorySample } from '../../../soak/app.js'
import { parseSoakArgs } from '../../../soak/cli.js'
import { keepSoakSection, withSoakSection } from '../../../soak/section.js'
import {
  instanceMemory,
  memoryChart,
  repeatsPerFault,
  resourceChanges,
  slopeMbPer10Min,
  soakFailures,
  soakMarkdown,
  type SoakObservations,
} from '../../../soak/report.js'
import { soakOptions } from '../../../soak/run-soak.js'

const MB = 1024 * 1024
const MIN = 60_000

/** Samples every 30 s for `minutes`, each metric `base + perMinute * t` MB. */
function samples(minutes: number, perMinuteMb: number, start = 0): MemorySample[] {
  return Array.from({ length: minutes * 2 + 1 }, (_, i) => {
    const t = i * 30_000
    const mb = 50 + (perMinuteMb * t) / MIN
    return {
      at: start + t,
      heapUsed: mb * MB,
      external: 2 * MB,
      arrayBuffers: MB,
      rss: (100 + (perMinuteMb * t) / MIN) * MB,
      resources: 12,
      listeners: 5,
    }
  })
}

function observations(overrides: Partial<SoakObservations> = {}): SoakObservations {
  return {
    startedAt: 0,
    endedAt: 60 * MIN,
    measuredFrom: 10 * MIN,
    faults: [
      { kind: 'kill', at: 2 * MIN, endedAt: 2.5 * MIN, detail: 'kill -9 of dc1' },
      { kind: 'hang', at: 4 * MIN, endedAt: 4.5 * MIN, detail: 'SIGSTOP of dc1' },
    ],
    acked: 1000,
    lost: [],
    rejected: [],
    repeats: [],
    handled: 1000,
    memory: [samples(60, 0)],
    warnings: [],
    incidents: [],
    ...overrides,
  }
}

describe('slopeMbPer10Min', () => {
  it('is the least-squares growth in MB per 10 minutes', () => {
    const line = samples(20, 0.3).map((s) => ({ x: s.at, y: s.heapUsed }))
    expect(slopeMbPer10Min(line)).toBeCloseTo(3, 6)
  })

  it('sees through noise around a flat line, and is 0 for one point or none', () => {
    const noisy = Array.from({ length: 100 }, (_, i) => ({ x: i * 30_000, y: (50 + (i % 2 === 0 ? 5 : -5)) * MB }))
    expect(Math.abs(slopeMbPer10Min(noisy))).toBeLessThan(0.2)
    expect(slopeMbPer10Min([{ x: 1, y: 1 }])).toBe(0)
    expect(slopeMbPer10Min([])).toBe(0)
  })
})

describe('the soak report', () => {
  it('counts each repeat against the fault before it, none before the first', () => {
    const o = observations()
    expect(repeatsPerFault(o.faults, [1 * MIN, 2 * MIN, 3 * MIN, 4 * MIN + 1, 59 * MIN])).toEqual([2, 2])
  })

  it('leaves the warm-up out of the slopes', () => {
    // 2 MB a minute for the first 10 minutes, flat after.
    const warm = samples(10, 2)
    const flat = samples(50, 0, 10 * MIN + 30_000).map((s) => ({ ...s, heapUsed: warm.at(-1)!.heapUsed, rss: warm.at(-1)!.rss }))
    const [m] = instanceMemory([[...warm, ...flat]], 10 * MIN + 1)
    expect(m!.slopes.heapUsed).toBeCloseTo(0, 6)
    expect(m!.samples).toBe(flat.length)
  })

  it('judges open handles by their trend, and names the types that grew', () => {
    // A fault's sockets come and go: one sample high in the middle is no trend.
    const flat = samples(60, 0).map((m, i) => ({ ...m, resources: i === 60 ? 30 : 12, resourceTypes: { TCPSocketWrap: 4, Timeout: 8 } }))
    expect(soakFailures(observations({ memory: [flat] }))).toEqual([])
    // Two more sockets every 30 s sample: a leak.
    const leaking = samples(60, 0).map((m, i) => ({ ...m, resources: 12 + 2 * i, resourceTypes: { TCPSocketWrap: 4 + 2 * i, Timeout: 8 } }))
    expect(soakFailures(observations({ memory: [leaking] }))).toEqual([
      'instance 0: open handles grew 40.0 per 10 min (52 -> 252 (TCPSocketWrap +200))',
    ])
    expect(resourceChanges({ Timeout: 3, FSReqCallback: 1 }, { Timeout: 3, TCPSocketWrap: 2 })).toEqual({
      FSReqCallback: -1,
      TCPSocketWrap: 2,
    })
  })

  it('passes a flat run with nothing lost, and names each missed goal otherwise', () => {
    expect(soakFailures(observations())).toEqual([])
    const failures = soakFailures(
      observations({
        lost: ['0-1'],
        rejected: [{ count: 5, at: 1, message: 'SendFailedError: x' }],
        memory: [samples(60, 0.5)],
        warnings: [{ instance: 0, name: 'MaxListenersExceededWarning', message: 'leak' }],
        incidents: ['instance 2 exited at 12.0 min (code 1)'],
      }),
    )
    expect(failures).toEqual([
      '1 acknowledged records never handled (e.g. 0-1)',
      '5 records rejected (first: SendFailedError: x)',
      'instance 0: heapUsed grew 5.00 MB per 10 min',
      'instance 0: rss grew 5.00 MB per 10 min',
      'instance 2 exited at 12.0 min (code 1)',
      '1 process warnings (first: MaxListenersExceededWarning: leak)',
    ])
  })

  it('writes a Markdown section with a row per fault and per instance, and an SVG', () => {
    const md = soakMarkdown(observations({ repeats: [3 * MIN] }), 'test settings', 'chart.svg')
    expect(md).toContain('| 1 | 2.0 | kill -9 of dc1 | 1 |')
    expect(md).toContain('| 0 | 101 | 0.00 | 0.00 | 0.00 | 0.00 | 12 -> 12 | 5 -> 5 |')
    expect(md).toContain('![Memory of each instance over the soak](chart.svg)')
    const svg = memoryChart(observations())
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg.match(/<polyline/g)).toHaveLength(2)
  })
})

describe('npm run soak flags', () => {
  it('reads the duration and the outputs, and refuses a wrong flag', () => {
    expect(parseSoakArgs([])).toEqual({ minutes: 60, outDir: 'soak-out', markdown: undefined })
    expect(parseSoakArgs(['--minutes', '5', '--markdown', 'docs/chaos.md'])).toEqual({
      minutes: 5,
      outDir: 'soak-out',
      markdown: 'docs/chaos.md',
    })
    expect(parseSoakArgs(['--help'])).toBe('help')
    expect(() => parseSoakArgs(['--minutes', '1'])).toThrow(/at least 3/)
    expect(() => parseSoakArgs(['--minutes'])).toThrow(/needs a value/)
    expect(() => parseSoakArgs(['--fast'])).toThrow(/unknown option '--fast'/)
  })

  it('replaces the soak section of a page, or appends it', () => {
    const page = '# Chaos\n\ntext\n<!-- soak:start -->\nold\n<!-- soak:end -->\nafter\n'
    expect(withSoakSection(page, 'new\n')).toBe('# Chaos\n\ntext\n<!-- soak:start -->\nnew\n<!-- soak:end -->\nafter\n')
    expect(withSoakSection('# Chaos\n', 'new\n')).toBe('# Chaos\n\n## Soak\n\n<!-- soak:start -->\nnew\n<!-- soak:end -->\n')
  })

  it('survives a chaos run that rewrites the page', () => {
    const previous = withSoakSection('# Chaos run\n\nold table\n', 'soak figures\n')
    expect(keepSoakSection(previous, '# Chaos run\n\nnew table\n')).toBe(
      '# Chaos run\n\nnew table\n\n## Soak\n\n<!-- soak:start -->\nsoak figures\n<!-- soak:end -->\n',
    )
    expect(keepSoakSection('', '# Chaos run\n')).toBe('# Chaos run\n')
  })

  it("runs an hour in the issue's shape and a few minutes densely", () => {
    expect(soakOptions(60)).toMatchObject({ faultEveryMs: 120_000, sampleEveryMs: 30_000, warmupMs: 600_000, instances: 4 })
    expect(soakOptions(5)).toMatchObject({ faultEveryMs: 60_000, sampleEveryMs: 10_000, warmupMs: 120_000 })
  })
})
