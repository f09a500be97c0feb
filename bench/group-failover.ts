/**
 * Failover of a consumer group whose instances are separate processes, as in production: N
 * instances of test/integration/apps/group-instance.ts (default health settings: 1 s probes,
 * 1.5 s timeout, 2 failures) read 6,000 replicated records per instance over 12 partitions (or
 * `--partitions`) with a 2 ms handler. Once every instance runs and a third of the records are handled, dc1 is killed -9
 * or hung (SIGSTOP) after a random delay of 0 to 5 s, so that the fault falls at every phase of
 * the instances' periodic tasks (1 s probes and checkpoint ticks, heartbeats, 5 s new-copy
 * checks) rather than always at the same one. Measured per trial: the fault to the first record
 * each instance handles from dc2, of which the figure is the last instance's (the group has
 * failed over when its slowest member has); the duplicates the failover caused (records handled
 * on dc1 and again on dc2, once every record is handled; the progress line tells the records
 * handled from dc1 after the fault, and apart, the records MirrorMaker 2 wrote twice into the copy
 * on dc2, which a reader of the copy rightly reads twice) and the records never handled (must be
 * 0). The fault comes only once every instance has handled a record on dc1: the group has formed. Records scale with the group so that every size still has records
 * left to read when the fault comes. Every trial uses a fresh topic, group and checkpoint topic;
 * the instances are killed and dc1 restored after it, and the next trial starts once replication
 * flows both ways again.
 */
import { fileURLToPath } from 'node:url'
import { setTimeout as delay } from 'node:timers/promises'
import { AppProcess } from '../test/integration/apps/app-process.js'
import type { GroupInstanceConfig } from '../test/integration/apps/group-instance.js'
import { unique, waitFor } from '../test/integration/helpers.js'
import { uniqueCheckpointTopic } from '../test/integration/offsets/support.js'
import { recordRepeats } from '../test/integration/record-repeats.js'
import { bed, createTopic, median, rawKafka, type Row } from './common.js'

const INSTANCE_SCRIPT = fileURLToPath(new URL('../test/integration/apps/group-instance.ts', import.meta.url))
/** Partitions of each trial's topic by default (`--partitions` sets others). */
export const GROUP_PARTITIONS = 12
const RECORDS_PER_INSTANCE = 6000
const HANDLER_MS = 2
const MAX_PHASE_MS = 5000
/** The instances' checkpoint interval (the library's default). */
const CHECKPOINT_INTERVAL_MS = 1000
/** How long every instance may take to handle its first record from dc2. */
const FIRST_ON_SURVIVOR_TIMEOUT_MS = 60_000
/** How long the group may take to handle every record after the fault (then the rest count as lost). */
const ALL_HANDLED_TIMEOUT_MS = 120_000

type Fault = 'kill' | 'pause'

/** What one trial saw. */
interface GroupTrial {
  /** Fault to each instance's first record from dc2, in ms. */
  perInstanceMs: number[]
  /** The last instance's: the trial's figure. */
  lastMs: number
  /** The random delay between a third of the records handled and the fault, in ms. */
  phaseMs: number
  /** Records not yet handled when the fault came. */
  leftAtFault: number
  /** Instances that had already moved to dc2 before the fault (spurious failovers). */
  movedBeforeFault: number
  /** Records handled on dc1 and again on dc2. */
  duplicates: number
  /** Records MirrorMaker 2 wrote twice into dc2's copy (at two offsets), not the failover's. */
  mm2Copies: number
  /** Records handled from dc1 after the fault (buffered before it): their checkpoints cannot reach dc2, so they come again. */
  handledOnDc1AfterFault: number
  /** The group's throughput over one checkpoint interval (1 s, the default) just before the fault: the goal's bound on duplicates. */
  perCheckpointInterval: number
  lost: number
  /** Where the slowest instance's time went after the fault (see {@link switchTimeline}). */
  slowest: string
}

/** Counts the records the instances reported, reading only the events added since the last update. */
class RecordTally {
  readonly timesHandled = new Map<string, number>()
  handled = 0
  private readonly readUpTo: number[]

  constructor(private readonly instances: readonly AppProcess[]) {
    this.readUpTo = instances.map(() => 0)
  }

  update(): this {
    this.instances.forEach((instance, n) => {
      const events = instance.events
      for (let k = this.readUpTo[n]!; k < events.length; k++) {
        const event = events[k]!
        if (event.event !== 'record') continue
        this.handled++
        this.timesHandled.set(event.id!, (this.timesHandled.get(event.id!) ?? 0) + 1)
      }
      this.readUpTo[n] = events.length
    })
    return this
  }

  get distinct(): number {
    return this.timesHandled.size
  }
}

/** Produces `count` records on dc1, round-robin over the partitions, with distinct increasing CreateTimes; returns their ids. */
async function produceRecords(topic: string, count: number, partitions: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `r${i}`)
  const firstTimestamp = Date.now() - count
  const producer = rawKafka('dc1').producer()
  await producer.connect()
  try {
    for (let start = 0; start < count; start += 1000) {
      const messages = ids
        .slice(start, start + 1000)
        .map((id, j) => ({ key: id, value: id, partition: (start + j) % partitions, timestamp: String(firstTimestamp + start + j) }))
      await producer.send({ topic, messages })
    }
  } finally {
    await producer.disconnect()
  }
  return ids
}

/** An instance's steps after the fault, in ms from it: dc1 found down, the switch, each translation onto dc2, the move, the first record there. */
function switchTimeline(instance: AppProcess, faultAt: number): string {
  const after = instance.events.filter((e) => e.at !== undefined && e.at >= faultAt)
  const steps = after.flatMap((e) => {
    const t = `+${e.at! - faultAt}`
    if (e.event === 'cluster-down') return [`${e.cluster} down ${t}`]
    if (e.event === 'switch') return [`switch ${t}`]
    if (e.event === 'translated' && e.cluster === 'dc2') return [`translated ${e.partitions} ${t} (${e.durationMs} ms, read ${e.readMs})`]
    if (e.event === 'moved') return [`moved ${t} (${e.durationMs} ms via ${e.via})`]
    if (e.event === 'move-failed') return [`move failed ${t}: ${e.message}`]
    return []
  })
  const first = after.find((e) => e.event === 'record' && e.cluster === 'dc2')
  return [...steps, ...(first ? [`first record +${first.at! - faultAt}`] : [])].join(', ')
}

async function injectFault(fault: Fault): Promise<void> {
  if (fault === 'kill') await bed.kill('dc1')
  else bed.pause('dc1')
}

async function restoreDc1(fault: Fault): Promise<void> {
  if (fault === 'kill') await bed.start('dc1')
  else bed.resume('dc1')
}

async function trial(size: number, partitions: number, fault: Fault): Promise<GroupTrial> {
  const recordCount = RECORDS_PER_INSTANCE * size
  const topic = unique('bench-grp')
  await createTopic('dc1', topic, partitions)
  await createTopic('dc2', topic, partitions)
  const ids = await produceRecords(topic, recordCount, partitions)
  await waitFor(
    `${recordCount} records on dc2/dc1.${topic}`,
    async () => (await bed.highWatermark('dc2', `dc1.${topic}`)) >= recordCount,
    120_000,
    250,
  )

  // The instances get the bed's addresses (which follow KAFKAJS_DR_BED_PORT_OFFSET), never fixed ports.
  const config: GroupInstanceConfig = {
    brokers: { dc1: bed.brokers.dc1!, dc2: bed.brokers.dc2! },
    topic,
    group: unique('bench-grp'),
    checkpointTopic: uniqueCheckpointTopic(),
    handlerMs: HANDLER_MS,
  }
  const instances = Array.from({ length: size }, () => new AppProcess(INSTANCE_SCRIPT, config))
  const tally = new RecordTally(instances)
  let faulted = false
  try {
    await Promise.all(instances.map((i) => i.next('instance running', (e) => e.event === 'running')))
    await Promise.all(instances.map((i) => i.next('first record on dc1', (e) => e.event === 'record' && e.cluster === 'dc1', 60_000)))
    await waitFor('a third of the records handled', () => tally.update().distinct >= recordCount / 3, 120_000, 50)
    const phaseMs = Math.floor(Math.random() * MAX_PHASE_MS)
    await delay(phaseMs)
    const leftAtFault = recordCount - tally.update().distinct
    const movedBeforeFault = instances.filter((i) => i.events.some((e) => e.event === 'moved' && e.cluster === 'dc2')).length
    const faultAt = Date.now()
    const handledInTheLastTwoSeconds = instances
      .flatMap((i) => i.events)
      .filter((e) => e.event === 'record' && e.at! >= faultAt - 2000).length
    faulted = true
    await injectFault(fault)

    const firstsOnSurvivor = await Promise.all(
      instances.map((i) =>
        i.next(
          'first record from dc2 after the fault',
          (e) => e.event === 'record' && e.cluster === 'dc2' && e.at! >= faultAt,
          FIRST_ON_SURVIVOR_TIMEOUT_MS,
        ),
      ),
    )
    while (tally.update().distinct < recordCount && Date.now() - faultAt < ALL_HANDLED_TIMEOUT_MS) await delay(100)
    const perInstanceMs = firstsOnSurvivor.map((e) => e.at! - faultAt)
    const slowestIndex = perInstanceMs.indexOf(Math.max(...perInstanceMs))
    const handledOnDc1AfterFault = instances
      .flatMap((i) => i.events)
      .filter((e) => e.event === 'record' && e.cluster === 'dc1' && e.at! >= faultAt).length
    const repeats = recordRepeats(instances.flatMap((i) => i.events.filter((e) => e.event === 'record')))
    return {
      perInstanceMs,
      lastMs: Math.max(...perInstanceMs),
      phaseMs,
      leftAtFault,
      movedBeforeFault,
      duplicates: repeats.failoverDuplicates,
      mm2Copies: repeats.copies,
      handledOnDc1AfterFault,
      perCheckpointInterval: Math.round((handledInTheLastTwoSeconds / 2) * (CHECKPOINT_INTERVAL_MS / 1000)),
      lost: ids.filter((id) => !tally.timesHandled.has(id)).length,
      slowest: switchTimeline(instances[slowestIndex]!, faultAt),
    }
  } catch (error) {
    instances.forEach((i, n) => console.log(`  instance ${n}: ${JSON.stringify(i.events.filter((e) => e.event !== 'record'))}`))
    throw error
  } finally {
    await Promise.all(instances.map((i) => i.kill()))
    // A failed trial restores dc1 too: the next one needs it.
    if (faulted) await restoreDc1(fault)
  }
}

/** `median X (max Y)` of the values, with the unit; 'none' when no trial completed. */
function medianAndMax(values: number[], unit = ''): string {
  // Two decimals at most: the median of two ratios would otherwise print floating-point noise.
  const round = (x: number): number => Math.round(x * 100) / 100
  return values.length === 0 ? 'none' : `median ${round(median(values))}${unit} (max ${round(Math.max(...values))})`
}

/**
 * Runs `trials` trials for every group size and fault and returns two rows for each (time,
 * duplicates); `setting` names the broker settings in force. A failed trial is reported and
 * counted, and the run goes on; a bed that does not recover stops it.
 */
export async function benchGroupFailover(
  sizes: readonly number[],
  trials: number,
  setting: string,
  faults: readonly Fault[] = ['kill', 'pause'],
  partitionCounts: readonly number[] = [GROUP_PARTITIONS],
): Promise<Row[]> {
  const rows: Row[] = []
  for (const partitions of partitionCounts) rows.push(...(await benchGroupFailoverOn(partitions, sizes, trials, setting, faults)))
  return rows
}

async function benchGroupFailoverOn(
  partitions: number,
  sizes: readonly number[],
  trials: number,
  setting: string,
  faults: readonly Fault[],
): Promise<Row[]> {
  const rows: Row[] = []
  for (const size of sizes) {
    const recordCount = RECORDS_PER_INSTANCE * size
    for (const fault of faults) {
      const results: GroupTrial[] = []
      for (let i = 0; i < trials; i++) {
        // Every trial starts on a healthy bed: both clusters up and replication flowing both ways.
        await bed.waitForReplication(120_000)
        const label = `group of ${size} on ${partitions} partitions, ${fault} trial ${i + 1}/${trials} (${setting})`
        try {
          const r = await trial(size, partitions, fault)
          results.push(r)
          const warning = r.movedBeforeFault > 0 ? `; WARNING: ${r.movedBeforeFault} instance(s) had moved to dc2 before the fault` : ''
          console.log(
            `${label}: fault ${r.phaseMs} ms after a third was handled (${r.leftAtFault} records left), first record on dc2 after ${r.perInstanceMs.join(', ')} ms (last ${r.lastMs}), ${r.duplicates} duplicates (${r.handledOnDc1AfterFault} records handled from dc1 after the fault; ${r.perCheckpointInterval} records per checkpoint interval; apart, ${r.mm2Copies} records MirrorMaker 2 wrote twice), ${r.lost} lost${warning}; slowest: ${r.slowest}`,
          )
        } catch (error) {
          console.log(`${label} FAILED: ${error instanceof Error ? error.message : String(error)}`)
        }
      }
      const failed = trials - results.length
      const lost = results.reduce((sum, r) => sum + r.lost, 0)
      const faultName = fault === 'kill' ? 'kill -9' : 'SIGSTOP'
      rows.push(
        {
          measure: `group of ${size} instance process${size === 1 ? '' : 'es'}, ${partitions} partitions: ${faultName} of active -> last instance's first record on survivor (default health settings, ${recordCount.toLocaleString('en-US')} records, ${setting}, ${trials} trials, fault at a random moment)`,
          raw: 'n/a (no failover)',
          wrapper: medianAndMax(
            results.map((r) => r.lastMs),
            ' ms',
          ),
          ratio: failed === 0 ? 'every trial completed' : `${failed} of ${trials} trials FAILED`,
          goal: '-',
        },
        {
          measure: `duplicates per group failover, ${fault} (${size} instance${size === 1 ? '' : 's'}, ${recordCount.toLocaleString('en-US')} records, ${partitions} partitions, ${HANDLER_MS} ms handler, ${setting})`,
          raw: 'n/a',
          wrapper: `${medianAndMax(results.map((r) => r.duplicates))}; lost ${lost}`,
          ratio: results.length === 0 ? 'no trial completed' : lost === 0 ? '0 lost' : `${lost} LOST`,
          goal: 'bounded, 0 lost',
        },
        {
          // The goal's bound: the duplicates the fault caused, in checkpoint intervals of the group's throughput.
          measure: `duplicates caused by the ${fault} / the group's records per checkpoint interval (${CHECKPOINT_INTERVAL_MS} ms) before it (${size} instance${size === 1 ? '' : 's'}, ${partitions} partitions, ${setting})`,
          raw: 'n/a',
          wrapper: medianAndMax(results.map((r) => Math.round((r.duplicates / Math.max(1, r.perCheckpointInterval)) * 100) / 100)),
          ratio:
            results.length === 0
              ? 'no trial completed'
              : `throughput median ${median(results.map((r) => r.perCheckpointInterval))} records per interval`,
          goal: '<= 1',
        },
      )
    }
  }
  return rows
}
