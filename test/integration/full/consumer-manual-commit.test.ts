/**
 * An application that commits by hand (`autoCommit: false`): it buffers records and commits only
 * after flushing them to its store, every 250 records. Killed -9 with records in its buffer, it
 * is started again, once on the same cluster and once after dc1 was killed -9 too (it then
 * resumes on dc2 from the checkpoints replicated there). Every record must reach the store at
 * least once; the duplicates are reported. The application runs in its own process
 * (apps/manual-commit-app.ts), as in production.
 *
 * Before the fix checkpoints recorded processed records, buffered or not, so the restart on dc2
 * resumed past records the application had never flushed.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { readCheckpoints } from '../../../src/offsets/checkpoint-reader.js'
import { AppProcess } from '../apps/app-process.js'
import type { AppConfig } from '../apps/manual-commit-app.js'
import { bed, createTopic, unique, waitFor, waitForRecords, withAdmin } from '../helpers.js'
import { uniqueCheckpointTopic } from '../offsets/support.js'

const PARTITIONS = 3
const RECORDS = 6000
const FLUSH_EVERY = 250
/** The first run stops in its handler with this many records in its buffer, and is killed there. */
const BUFFERED_AT_KILL = 200
const APP = fileURLToPath(new URL('../apps/manual-commit-app.ts', import.meta.url))

/** Produces `RECORDS` records `r-<i>` to dc1, spread over the partitions, with distinct increasing CreateTimes. */
async function produce(topic: string): Promise<string[]> {
  const producer = bed().kafka('dc1').producer()
  await producer.connect()
  const ids = Array.from({ length: RECORDS }, (_, i) => `r-${i}`)
  const base = Date.now() - 10 * RECORDS
  try {
    for (let start = 0; start < RECORDS; start += 500) {
      await producer.send({
        topic,
        messages: ids
          .slice(start, start + 500)
          .map((id, j) => ({ key: id, value: id, partition: (start + j) % PARTITIONS, timestamp: String(base + 10 * (start + j)) })),
      })
    }
  } finally {
    await producer.disconnect()
  }
  return ids
}

/** Per partition, an offset map of the group's commits on one cluster. */
async function committed(cluster: string, group: string, topic: string): Promise<Map<number, bigint>> {
  const offsets = await withAdmin(cluster, (admin) => admin.fetchOffsets({ groupId: group, topics: [topic] }))
  return new Map(offsets[0]!.partitions.filter((p) => BigInt(p.offset) >= 0n).map((p) => [p.partition, BigInt(p.offset)]))
}

/** Per partition, the newest checkpoint of `group` for dc1's `topic`, read from `checkpointTopics` on `cluster`. */
async function checkpointed(cluster: string, checkpointTopics: string[], group: string, topic: string): Promise<Map<number, bigint>> {
  const checkpoints = await readCheckpoints(bed().kafka(cluster), checkpointTopics, { group, timeoutMs: 10_000 })
  return new Map(checkpoints.filter((c) => c.cluster === 'dc1' && c.topic === topic).map((c) => [c.partition, BigInt(c.offset)]))
}

const show = (offsets: Map<number, bigint>): string =>
  [...offsets]
    .sort(([a], [b]) => a - b)
    .map(([p, o]) => `${p}:${o}`)
    .join(' ')

/** Lines of the store: which run flushed which record. */
function stored(out: string): Array<{ id: string; run: string }> {
  if (!existsSync(out)) return []
  return readFileSync(out, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, run] = line.split(' ')
      return { id: id!, run: run! }
    })
}

async function restoreBed(): Promise<void> {
  if (bed().status().dc1 !== 'running') await bed().start('dc1')
  try {
    await bed().waitForReplication(60_000)
  } catch {
    // MirrorMaker 2 in dedicated mode may not restart a task that failed while dc1 was dead.
    await bed().restart('mm2', 'kill')
  }
}

interface Figures {
  records: number
  flushedBeforeKill: number
  lost: number
  duplicates: number
}

/**
 * The application runs on dc1 and is killed -9 in its handler with `BUFFERED_AT_KILL` records in
 * its buffer; then (after dc1 is killed too, for `dc2`) it is started again on `restartOn` and
 * reads the topic to its end.
 */
async function killAndRestart(restartOn: 'dc1' | 'dc2'): Promise<Figures> {
  const topic = unique('manual')
  const group = unique('g-manual')
  const checkpointTopic = uniqueCheckpointTopic()
  const dir = mkdtempSync(join(tmpdir(), 'kafkajs-dr-manual-commit-'))
  const out = join(dir, 'store.txt')
  await createTopic('dc1', topic, PARTITIONS)
  const ids = await produce(topic)
  await waitForRecords('dc2', `dc1.${topic}`, RECORDS, 120_000, 250)
  const config = (run: string, holdAfterFlushed: number): AppConfig => ({
    brokers: { dc1: bed().brokers.dc1!, dc2: bed().brokers.dc2! },
    topic,
    group,
    checkpointTopic,
    checkpointIntervalMs: 200,
    out,
    run,
    flushEvery: FLUSH_EVERY,
    reportBufferedAt: BUFFERED_AT_KILL,
    holdAfterFlushed,
    paceMs: 5,
    idleFlushMs: 1500,
  })

  try {
    // 1. On dc1 until 1500 records are stored; then the handler stops with 200 records buffered
    // (they are processed as far as the handler goes, and would be checkpointed if processed
    // records were), and the process is killed -9 a second later.
    const first = new AppProcess(APP, config('first', 1500))
    try {
      expect((await first.next('the first run running', (e) => e.event === 'running')).cluster).toBe('dc1')
      const held = await first.next(`${BUFFERED_AT_KILL} records buffered after 1500 stored`, (e) => e.event === 'holding')
      expect(held.size).toBe(BUFFERED_AT_KILL)
      await delay(1000)
    } finally {
      await first.kill()
    }
    const flushedBeforeKill = stored(out).length
    expect(flushedBeforeKill).toBeGreaterThanOrEqual(1500)

    // The checkpoints on dc1 are the group's commits there: not one record of the buffer ahead.
    const commits = await committed('dc1', group, topic)
    const checkpoints = await checkpointed('dc1', [checkpointTopic], group, topic)
    console.log(
      `[manual-commit] ${restartOn}: killed with ${BUFFERED_AT_KILL} buffered after ${flushedBeforeKill} stored; commits on dc1 ${show(commits)}; checkpoints ${show(checkpoints)}`,
    )
    expect(commits.size).toBeGreaterThan(0)
    expect(checkpoints).toEqual(commits)

    let physical = topic
    if (restartOn === 'dc2') {
      // dc1's last checkpoints reach dc2 (MM2), then dc1 dies too.
      await waitFor(
        'the checkpoints replicated to dc2',
        async () => {
          const replicated = await checkpointed('dc2', [`dc1.${checkpointTopic}`], group, topic)
          return show(replicated) === show(checkpoints)
        },
        90_000,
        500,
      )
      await bed().kill('dc1')
      physical = `dc1.${topic}`
    }

    // 2. Started again: it reads on to the end of the topic (its last, partial buffer is flushed
    // when idle), which it has reached once its commits are at the end of every partition.
    const second = new AppProcess(APP, config('second', -1))
    try {
      expect((await second.next('the second run running', (e) => e.event === 'running')).cluster).toBe(restartOn)
      const ends = await withAdmin(
        restartOn,
        async (admin) => new Map((await admin.fetchTopicOffsets(physical)).map((p) => [p.partition, BigInt(p.high)])),
      )
      await waitFor(
        `the group's commits at the end of ${restartOn}/${physical}`,
        async () => show(await committed(restartOn, group, physical)) === show(ends),
        180_000,
        500,
      )
    } finally {
      await second.kill()
    }

    const lines = stored(out)
    const seen = new Set(lines.map((l) => l.id))
    const lost = ids.filter((id) => !seen.has(id))
    const duplicates = lines.length - seen.size
    const firstRun = new Set(lines.filter((l) => l.run === 'first').map((l) => l.id))
    const again = lines.filter((l) => l.run === 'second' && firstRun.has(l.id)).length
    console.log(
      `[manual-commit] restarted on ${restartOn}: ${RECORDS} records, ${lost.length} lost, ${duplicates} duplicates (${again} stored again by the restarted run)` +
        (lost.length > 0 ? `; first lost: ${lost.slice(0, 10).join(', ')}` : ''),
    )
    expect(lost).toEqual([])
    return { records: RECORDS, flushedBeforeKill, lost: lost.length, duplicates }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe.skipIf(!bed().canInjectFaults)(
  'an application that commits by hand, killed -9 with records in its buffer (separate process)',
  () => {
    afterAll(async () => {
      await restoreBed()
    })

    it('restarted on the same cluster: every record stored, resumed at its commit', async () => {
      const figures = await killAndRestart('dc1')
      // kafkajs resumes at the commit: nothing stored twice.
      expect(figures.duplicates).toBe(0)
    }, 300_000)

    it('restarted after dc1 died too: resumes on dc2 from the checkpoints, every record stored', async () => {
      try {
        const figures = await killAndRestart('dc2')
        // Translation by the timestamp of the record before each commit finds that record again: at
        // most one duplicate per partition.
        expect(figures.duplicates).toBeLessThanOrEqual(PARTITIONS)
      } finally {
        await restoreBed()
      }
    }, 420_000)
  },
)
