/**
 * Memory and speed of the {@link DuplicateFilter}: heap and `arrayBuffers` growth for the ids it
 * holds, in MiB per million ids held, and the time of `has()` + `add()` per id (a record handled)
 * and of `has()` alone on an id held (a copy dropped).
 *
 * Each case runs in a child process of its own (`node --expose-gc --import tsx`), so that a
 * garbage collection can be forced around the measure and no case inherits another's heap. The
 * filling is run once on a throwaway filter first, so that the measured runs are compiled code;
 * times are the median of 5 runs. The small cases fill 10 filters alike and divide the growth
 * among them, to rise above the heap's noise.
 *
 * Cases: (a) one producer, dense sequences; (b) 100 producers × 10,000 ids, in runs of 100 as a
 * consumer's batches would bring them; (c) one producer of which this consumer sees every 4th
 * sequence (a group member reading a quarter of the partitions), with a window of 4 × 2^20 so
 * that the filter does hold a million ids, and again at the default window; (d) the worst case
 * at the defaults: 1000 producers each with ids spread over its whole window, every page
 * allocated for a few ids.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { DuplicateFilter, type DuplicateFilterOptions } from '../src/topology/duplicate-filter.js'
import type { Row } from './common.js'

// Not imported from ./common.js: that module loads kafkajs and the bed into the child.
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const CHILD_FLAG = '--dedupe-memory-case'
const MIB = 1024 * 1024
const GOAL = '<= 64 MiB per million ids'
/** Timed runs per case; their median is reported. */
const TIMING_RUNS = 5

interface Case {
  label: string
  options: DuplicateFilterOptions
  /** Calls `visit` with every id the consumer receives, in order. */
  ids: (visit: (producerId: string, sequence: number) => void) => void
  /** The goal of the memory row. */
  goal: string
  /**
   * Filters filled alike and measured together, the growth divided among them: a small filter's
   * growth is below the heap's noise between two measures (about 0.1 MiB).
   */
  filters: number
}

/** Producer ids as readProvenance gives them: 16 hex characters. */
const producerId = (i: number): string => i.toString(16).padStart(16, '0')

const CASES: Record<string, Case> = {
  dense: {
    label: '(a) 1 producer, dense sequences',
    options: {},
    ids: (visit) => {
      const p = producerId(1)
      for (let s = 0; s < 1_000_000; s++) visit(p, s)
    },
    goal: GOAL,
    filters: 10,
  },
  producers: {
    label: '(b) 100 producers x 10,000 ids',
    options: {},
    ids: (visit) => {
      const producers = Array.from({ length: 100 }, (_, i) => producerId(i))
      for (let run = 0; run < 100; run++) {
        for (const p of producers) for (let s = run * 100; s < run * 100 + 100; s++) visit(p, s)
      }
    },
    goal: GOAL,
    filters: 10,
  },
  quarter: {
    label: '(c) 1 producer, every 4th sequence, window 4 x 2^20',
    options: { windowSize: 4 * 1_048_576 },
    ids: (visit) => {
      const p = producerId(1)
      for (let i = 0; i < 1_000_000; i++) visit(p, 4 * i)
    },
    goal: GOAL,
    filters: 10,
  },
  'quarter-default': {
    label: '(c) the same at the default window (2^20)',
    options: {},
    ids: (visit) => {
      const p = producerId(1)
      for (let i = 0; i < 1_000_000; i++) visit(p, 4 * i)
    },
    goal: GOAL,
    filters: 10,
  },
  worst: {
    label: '(d) worst case: 1000 producers x every 1024th sequence of a full window',
    options: {},
    ids: (visit) => {
      const producers = Array.from({ length: 1000 }, (_, i) => producerId(i))
      for (let s = 0; s < 1_048_576; s += 1024 * 16) {
        for (const p of producers) for (let t = s; t < s + 1024 * 16; t += 1024) visit(p, t)
      }
    },
    goal: 'maxProducers x windowSize / 8 = 128 MiB + page overhead',
    filters: 1,
  },
}

interface Measure {
  /** Ids held by one filter. */
  ids: number
  producers: number
  /** Growth per filter. */
  heapBytes: number
  arrayBufferBytes: number
  /** ns per id of has() + add() while filling, median of the runs. */
  fillNs: number
  /** ns per id of has() on an id held, median of the runs. */
  copyNs: number
}

/** In the child: fills a filter with the case's ids and measures it. */
function measure(name: string): Measure {
  const gc = globalThis.gc
  if (gc === undefined) throw new Error('run with node --expose-gc')
  const c = CASES[name]
  if (c === undefined) throw new Error(`unknown case '${name}'`)
  let received = 0
  c.ids(() => {
    received++
  })
  /** Fills `filter` as a consumer does (check, then mark) and returns the ns per id. */
  const fill = (filter: DuplicateFilter): number => {
    const start = process.hrtime.bigint()
    c.ids((p, s) => {
      if (!filter.has(p, s)) filter.add(p, s)
    })
    return Number(process.hrtime.bigint() - start) / received
  }
  /** Checks every id again, as copies arriving through a second path; returns the ns per id. */
  const check = (filter: DuplicateFilter): number => {
    let copies = 0
    const start = process.hrtime.bigint()
    c.ids((p, s) => {
      if (filter.has(p, s)) copies++
    })
    const ns = Number(process.hrtime.bigint() - start) / received
    if (copies !== filter.ids) throw new Error(`${copies} copies found, ${filter.ids} ids held`)
    return ns
  }
  // Filters made in frames of their own: a temporary in this frame's registers would stay
  // reachable through the measure, and its collection cancel out the growth measured.
  const fillFresh = (): number => fill(new DuplicateFilter(c.options))
  fillFresh() // warm-up
  gc()
  gc()
  const before = process.memoryUsage()
  const filters = Array.from({ length: c.filters }, () => new DuplicateFilter(c.options))
  const fillNs = filters.map(fill)
  gc()
  gc()
  const after = process.memoryUsage()
  const filter = filters[0]!
  const copyNs = [check(filter)]
  while (fillNs.length < TIMING_RUNS) fillNs.push(fillFresh())
  while (copyNs.length < TIMING_RUNS) copyNs.push(check(filter))
  if (filters.some((f) => f.ids !== filter.ids)) throw new Error('filters filled alike hold different ids')
  return {
    ids: filter.ids,
    producers: filter.producers,
    heapBytes: (after.heapUsed - before.heapUsed) / c.filters,
    arrayBufferBytes: (after.arrayBuffers - before.arrayBuffers) / c.filters,
    fillNs: median(fillNs),
    copyNs: median(copyNs),
  }
}

/** Runs one case in a child process with `--expose-gc` and returns its measure. */
async function measureInChild(name: string): Promise<Measure> {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const script = fileURLToPath(import.meta.url)
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', script, CHILD_FLAG, name], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk
  })
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', resolve)
  })
  if (code !== 0) throw new Error(`dedupe memory case '${name}' exited with ${code}`)
  return JSON.parse(out.trim().split('\n').at(-1)!) as Measure
}

const mib = (bytes: number): string => (bytes / MIB).toFixed(2)

/**
 * The filter's memory per million ids held and its time per id, one child process per case.
 * Needs no Kafka.
 */
export async function benchDedupeMemory(): Promise<Row[]> {
  const rows: Row[] = []
  for (const [name, c] of Object.entries(CASES)) {
    const m = await measureInChild(name)
    const bytes = m.heapBytes + m.arrayBufferBytes
    rows.push({
      measure: `dedupe memory: ${c.label}`,
      raw: '-',
      wrapper: `${mib(bytes)} MiB (heap ${mib(m.heapBytes)} + buffers ${mib(m.arrayBufferBytes)}) for ${m.ids.toLocaleString('en-US')} ids`,
      ratio: `${(bytes / MIB / (m.ids / 1e6)).toFixed(2)} MiB per million ids`,
      goal: c.goal,
    })
    rows.push({
      measure: `dedupe time: ${c.label}`,
      raw: '-',
      wrapper: `${m.producers.toLocaleString('en-US')} producer${m.producers === 1 ? '' : 's'}`,
      ratio: `has()+add() ${m.fillNs.toFixed(0)} ns/id; has() of a copy ${m.copyNs.toFixed(0)} ns/id`,
      goal: '-',
    })
  }
  return rows
}

if (process.argv[2] === CHILD_FLAG && import.meta.url === pathToFileURL(process.argv[1]!).href) {
  console.log(JSON.stringify(measure(process.argv[3]!)))
}
