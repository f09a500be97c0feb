/**
 * Producer failover on the real bed: a continuous keyed stream while dc1 is killed -9, hung with
 * SIGSTOP, or flaps. Every acknowledged record must be found on dc1 or dc2 afterwards, and, since
 * the drill's deliveryTimeoutMs (20 s) is far longer than detection, no send may be rejected: the
 * sends caught by the fault must be re-sent on dc2 and acknowledged there.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { afterAll, describe, expect, it } from 'vitest'
import { NoActiveClusterError, SendFailedError, TimeoutError } from '../../src/index.js'
import { createDrillTopic, drClient, idsOnClusters, resentAcrossFirstSwitch, runProducerDrill, type DrillLedger } from './drill.js'
import { bed, readRecords, unique, waitFor } from './helpers.js'
import type { MultiClusterKafka } from '../../src/index.js'

const STREAM = { total: 20_000, perSend: 50, ratePerSec: 1000, concurrency: 4 }

/**
 * Reads both clusters back, prints the figures (before asserting, so that they are seen when an
 * assertion fails), then checks: every acknowledged record is stored on dc1 or dc2; nothing was
 * rejected; the sends the fault caught on dc1 were re-sent, that is acknowledged after the switch
 * and found on dc2.
 */
async function expectEveryAckedStoredAndNothingRejected(label: string, topic: string, ledger: DrillLedger, extra = ''): Promise<void> {
  const stored = await idsOnClusters(topic)
  const missing = [...ledger.acked].filter((id) => !stored.dc1.has(id) && !stored.dc2.has(id))
  const resent = resentAcrossFirstSwitch(ledger)
  const rejections = ledger.sends.filter((s) => s.error !== undefined)
  console.log(`${label}: ${extra}acked ${ledger.acked.size}, rejected ${ledger.rejected}, re-sent across the switch ${resent.length}, stored dc1 ${stored.dc1.size}, dc2 ${stored.dc2.size}, missing ${missing.length}`)
  for (const r of rejections.slice(0, 5)) console.log(`  rejected after ${r.settledAt - r.startedAt} ms (began on ${r.startedOn}): ${r.error}`)
  expect(missing).toEqual([])
  expect(ledger.acked.size + ledger.rejected).toBe(STREAM.total)
  expect(rejections.map((r) => r.error)).toEqual([])
  expect(ledger.rejected).toBe(0)
  expect(resent.length).toBeGreaterThan(0)
  expect(resent.filter((id) => !stored.dc2.has(id))).toEqual([])
}

describe.skipIf(!bed().canInjectFaults)('producer failover (fault injection on the local bed)', () => {
  let dr: MultiClusterKafka | undefined

  afterAll(async () => {
    await dr?.disconnect()
    // Leave the bed whole for the next file.
    await bed().up()
  })

  it('kill -9 of the active cluster: sends move to dc2 and, with priority, fail back when dc1 returns', async () => {
    const topic = unique('pf-kill')
    await createDrillTopic(topic)
    dr = drClient({ discovery: { policy: 'priority', failbackDelayMs: 3000 } })
    await dr.connect()
    expect(dr.activeCluster).toBe('dc1')
    const client = dr
    const ledger = await runProducerDrill(client, topic, STREAM, async () => {
      await delay(4000)
      await bed().kill('dc1')
      await waitFor('switch to dc2', () => client.activeCluster === 'dc2', 20_000, 20)
      await delay(3000)
      await bed().start('dc1')
      await waitFor('failback to dc1 complete', () => client.activeCluster === 'dc1' && !client.status().switching, 30_000, 50)
    })
    expect(ledger.switches.map((s) => [s.from, s.to, s.kind])).toEqual([['dc1', 'dc2', 'failover'], ['dc2', 'dc1', 'failback']])
    await expectEveryAckedStoredAndNothingRejected('kill -9 / priority', topic, ledger)
    await dr.disconnect()
  })

  it('kill -9 with the sticky policy: stays on dc2 after dc1 returns', async () => {
    const topic = unique('pf-sticky')
    await createDrillTopic(topic)
    dr = drClient({ discovery: { policy: 'sticky' } })
    await dr.connect()
    const client = dr
    const ledger = await runProducerDrill(client, topic, STREAM, async () => {
      await delay(4000)
      await bed().kill('dc1')
      await waitFor('switch to dc2', () => client.activeCluster === 'dc2', 20_000, 20)
      await bed().start('dc1')
      await waitFor('dc1 healthy again', () => client.status().clusters.find((c) => c.name === 'dc1')?.health === 'up', 30_000, 50)
    })
    await delay(2000)
    expect(dr.activeCluster).toBe('dc2')
    expect(ledger.switches.map((s) => [s.from, s.to])).toEqual([['dc1', 'dc2']])
    await expectEveryAckedStoredAndNothingRejected('kill -9 / sticky', topic, ledger)
    await dr.disconnect()
  })

  it('SIGSTOP of the active cluster (hung, not dead): detected by probe timeout, same outcome', async () => {
    const topic = unique('pf-pause')
    await createDrillTopic(topic)
    dr = drClient({ discovery: { policy: 'priority', failbackDelayMs: 3000 } })
    await dr.connect()
    const client = dr
    let detectedAfterMs = 0
    const ledger = await runProducerDrill(client, topic, STREAM, async () => {
      await delay(4000)
      const pausedAt = Date.now()
      bed().pause('dc1')
      try {
        await waitFor('switch to dc2', () => client.activeCluster === 'dc2', 20_000, 20)
        detectedAfterMs = Date.now() - pausedAt
        await delay(3000)
      } finally {
        bed().resume('dc1')
      }
      await waitFor('failback to dc1 complete', () => client.activeCluster === 'dc1' && !client.status().switching, 30_000, 50)
    })
    expect(ledger.switches.map((s) => [s.from, s.to, s.kind])).toEqual([['dc1', 'dc2', 'failover'], ['dc2', 'dc1', 'failback']])
    expect(ledger.switches[0]!.reason).toMatch(/dc1 is down/)
    await expectEveryAckedStoredAndNothingRejected('SIGSTOP / priority', topic, ledger, `switch after ${detectedAfterMs} ms, `)
    await dr.disconnect()
  })

  it('dc1 flapping 5 times: one failover while it flaps, one failback once it is stable', async () => {
    const topic = unique('pf-flap')
    await createDrillTopic(topic)
    const failbackDelayMs = 6000
    dr = drClient({ discovery: { policy: 'priority', failbackDelayMs } })
    await dr.connect()
    const client = dr
    let switchesWhileFlapping = -1
    let switches = 0
    client.on('failover:complete', () => switches++)
    const ledger = await runProducerDrill(client, topic, { ...STREAM, total: 10_000, ratePerSec: 400 }, async () => {
      await delay(2000)
      for (let i = 0; i < 5; i++) {
        bed().pause('dc1')
        await delay(2000)
        bed().resume('dc1')
        await delay(2000)
      }
      switchesWhileFlapping = switches
      // On dc1 with no switch running: the failback's failover:complete has been emitted too.
      await waitFor('failback to dc1 once stable', () => client.activeCluster === 'dc1' && !client.status().switching, 30_000, 50)
    })
    // Failing over as soon as dc1 hangs is expected; failing back before it is stable is not.
    expect(switchesWhileFlapping).toBeLessThanOrEqual(1)
    expect(ledger.switches.length).toBeLessThanOrEqual(2)
    expect(ledger.switches.at(-1)?.to).toBe('dc1')
    const stored = await idsOnClusters(topic)
    expect([...ledger.acked].filter((id) => !stored.dc1.has(id) && !stored.dc2.has(id))).toEqual([])
    console.log(`flapping: switches while flapping ${switchesWhileFlapping}, total ${ledger.switches.length}, acked ${ledger.acked.size}, rejected ${ledger.rejected}`)
    expect(ledger.sends.filter((s) => s.error !== undefined).map((s) => s.error)).toEqual([])
    await dr.disconnect()
  })

  /** An error and its causes, as `name: message` joined by ' <- '. */
  function causeChain(error: unknown): string {
    const parts: string[] = []
    for (let e = error, depth = 0; e instanceof Error && depth < 5; e = (e.cause ?? (e as { originalError?: unknown }).originalError), depth++) parts.push(`${e.name}: ${e.message}`)
    return parts.join(' <- ')
  }

  /** Kills both clusters and waits until the client has seen both down. */
  async function killBoth(client: MultiClusterKafka): Promise<void> {
    await Promise.all([bed().kill('dc1'), bed().kill('dc2')])
    await waitFor('both clusters down', () => client.status().clusters.every((c) => c.health === 'down'), 20_000, 50)
  }

  /**
   * Each both-down test restarts both clusters and MirrorMaker 2 on top of its own waits: up to
   * 160 s on this 2-core bed, too close to the suite's 180 s.
   */
  const BOTH_DOWN_TIMEOUT_MS = 360_000

  /**
   * Both clusters back and replication flowing. MirrorMaker 2 outlived both clusters and can take
   * minutes to recover its tasks: it is restarted so that the next test starts on a whole bed.
   */
  async function restoreAfterBothDown(): Promise<void> {
    await Promise.all([bed().start('dc1'), bed().start('dc2')])
    await bed().stop('mm2')
    await bed().up()
  }

  it('both clusters down: a send rejects with SendFailedError holding every attempt\'s error, after its deliveryTimeoutMs', async () => {
    const topic = unique('pf-both-down')
    await createDrillTopic(topic)
    dr = drClient()
    await dr.connect()
    const deliveryTimeoutMs = 8000
    const producer = dr.producer({ deliveryTimeoutMs })
    await producer.connect()
    try {
      await producer.send({ topic, messages: [{ key: 'before', value: 'before' }] })
      await killBoth(dr)
      const started = Date.now()
      const error = await producer.send({ topic, messages: [{ key: 'lost', value: 'lost' }] }).then(() => undefined, (e: unknown) => e)
      const elapsed = Date.now() - started
      const attempts = error instanceof SendFailedError ? error.errors : []
      const kinds = new Set(attempts.map(causeChain))
      console.log(`both down: rejected after ${elapsed} ms (deliveryTimeoutMs ${deliveryTimeoutMs}) with ${attempts.length} attempt error(s) [${[...kinds].join('; ')}]: ${(error as Error | undefined)?.message}`)
      expect(error).toBeInstanceOf(SendFailedError)
      const failed = error as SendFailedError
      expect(failed).toMatchObject({ name: 'SendFailedError', code: 'ERR_SEND_FAILED', retriable: true, topic })
      // Several attempts, each with its own error, oldest first; the cause is the last one. Each is
      // the dead cluster's refusal: none is a timeout of an attempt begun as the deadline struck.
      expect(attempts.length).toBeGreaterThan(1)
      for (const attempt of attempts) {
        expect(attempt).toBeInstanceOf(Error)
        expect(attempt).not.toBeInstanceOf(TimeoutError)
        expect(causeChain(attempt)).toMatch(/ECONNREFUSED/)
      }
      expect(new Set(attempts).size).toBe(attempts.length)
      expect(failed.cause).toBe(attempts.at(-1))
      expect(failed.message).toContain(`after ${attempts.length} attempt(s)`)
      // It kept trying until the deadline and gave up soon after it.
      expect(elapsed).toBeGreaterThanOrEqual(deliveryTimeoutMs)
      expect(elapsed).toBeLessThan(deliveryTimeoutMs + 5000)
    } finally {
      await producer.disconnect()
      await dr.disconnect()
      await restoreAfterBothDown()
    }
  }, BOTH_DOWN_TIMEOUT_MS)

  it('both clusters down: a send succeeds when a cluster returns within its deadline', async () => {
    const topic = unique('pf-both-back')
    await createDrillTopic(topic)
    dr = drClient()
    await dr.connect()
    const deliveryTimeoutMs = 120_000
    const producer = dr.producer({ deliveryTimeoutMs })
    await producer.connect()
    try {
      await killBoth(dr)
      const started = Date.now()
      let ackedAt = 0
      const sending = producer.send({ topic, messages: [{ key: 'waits', value: 'waits' }] }).then((r) => { ackedAt = Date.now(); return r })
      sending.catch(() => {})
      // Long enough that more attempts than the default maxAttempts (20, at least about 22 s of
      // refused connections and back-off) fail before dc2 is back: they must not end the send
      // before its deadline.
      await delay(20_000)
      expect(ackedAt).toBe(0)
      const restartAt = Date.now()
      await bed().start('dc2')
      const readyAt = Date.now()
      const metadata = await sending
      console.log(`both down: dc2 started ${restartAt - started} ms after the send began (the bed saw it ready ${readyAt - restartAt} ms later); send acknowledged ${ackedAt - started} ms after it began, ${ackedAt - restartAt} ms after dc2's start, deadline ${deliveryTimeoutMs} ms`)
      expect(metadata.map((m) => m.errorCode)).toEqual([0])
      expect(dr.activeCluster).toBe('dc2')
      expect((await readRecords('dc2', topic, 1)).map((r) => r.value)).toEqual(['waits'])
    } finally {
      await producer.disconnect()
      await dr.disconnect()
      await restoreAfterBothDown()
    }
  }, BOTH_DOWN_TIMEOUT_MS)
})

describe('multi-cluster client against the bed', () => {
  it('connects, reports status and rejects a manual failover to an unknown cluster', async () => {
    const dr = drClient({ discovery: { failbackDelayMs: 1000 } })
    await dr.connect()
    try {
      const status = dr.status()
      expect(status.active).toBe('dc1')
      expect(status.clusters.map((c) => [c.name, c.health])).toEqual([['dc1', 'up'], ['dc2', 'up']])
      expect(status.clusters[0]!.clusterId).toMatch(/.+/)
      await expect(dr.failover('nope')).rejects.toMatchObject({ code: 'ERR_UNKNOWN_CLUSTER' })
      await dr.failover('dc2', { reason: 'drill' })
      expect(dr.activeCluster).toBe('dc2')
      expect(dr.status().lastSwitch).toMatchObject({ from: 'dc1', to: 'dc2', kind: 'manual', reason: 'drill' })
      await delay(1000)
      expect(dr.activeCluster).toBe('dc2') // pinned: priority does not pull it back
      dr.unpin()
      await waitFor('priority policy takes dc1 back', () => dr.activeCluster === 'dc1', 30_000)
    } finally {
      await dr.disconnect()
    }
  })

  it('rejects connect() with NoActiveClusterError when no cluster answers', async () => {
    const dr = drClient({
      clusters: {
        dc1: { kafka: { brokers: ['127.0.0.1:1'], logLevel: 0 } },
        dc2: { kafka: { brokers: ['127.0.0.1:2'], logLevel: 0 } },
      },
      localCluster: undefined,
      connectTimeoutMs: 1500,
    })
    const started = Date.now()
    const error = await dr.connect().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NoActiveClusterError)
    expect((error as Error).message).toMatch(/dc1: down.*dc2: down/)
    expect(Date.now() - started).toBeLessThan(10_000)
    await dr.disconnect()
  })
})
