/**
 * Producer failover on the real bed, the faults beyond kill -9 (producer-failover.test.ts): the
 * sticky policy, SIGSTOP, flaps, and both clusters down (a send rejected with every attempt's
 * error after its deadline, or acknowledged when a cluster returns in time). Full suite only: the
 * per-change suite meets hang, flaps and both-down in the quick chaos scenarios.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { afterAll, describe, expect, it } from 'vitest'
import { SendFailedError, TimeoutError, type MultiClusterKafka } from '../../../src/index.js'
import { createDrillTopic, drClient, idsOnClusters, runProducerDrill } from '../drill.js'
import { bed, readRecords, unique, waitFor } from '../helpers.js'
import { expectEveryAckedStoredAndNothingRejected, STREAM } from '../producer-checks.js'

describe.skipIf(!bed().canInjectFaults)('producer failover: sticky, hung, flapping, both down (fault injection on the local bed)', () => {
  let dr: MultiClusterKafka | undefined

  afterAll(async () => {
    await dr?.disconnect()
    // Leave the bed whole for the next file.
    await bed().up()
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
    expect(ledger.switches.map((s) => [s.from, s.to, s.kind])).toEqual([
      ['dc1', 'dc2', 'failover'],
      ['dc2', 'dc1', 'failback'],
    ])
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
    console.log(
      `flapping: switches while flapping ${switchesWhileFlapping}, total ${ledger.switches.length}, acked ${ledger.acked.size}, rejected ${ledger.rejected}`,
    )
    expect(ledger.sends.filter((s) => s.error !== undefined).map((s) => s.error)).toEqual([])
    await dr.disconnect()
  })

  /** An error and its causes, as `name: message` joined by ' <- '. */
  function causeChain(error: unknown): string {
    const parts: string[] = []
    for (
      let e = error, depth = 0;
      e instanceof Error && depth < 5;
      e = e.cause ?? (e as { originalError?: unknown }).originalError, depth++
    )
      parts.push(`${e.name}: ${e.message}`)
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

  it(
    "both clusters down: a send rejects with SendFailedError holding every attempt's error, after its deliveryTimeoutMs",
    async () => {
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
        const error = await producer.send({ topic, messages: [{ key: 'lost', value: 'lost' }] }).then(
          () => undefined,
          (e: unknown) => e,
        )
        const elapsed = Date.now() - started
        const attempts = error instanceof SendFailedError ? error.errors : []
        const kinds = new Set(attempts.map(causeChain))
        console.log(
          `both down: rejected after ${elapsed} ms (deliveryTimeoutMs ${deliveryTimeoutMs}) with ${attempts.length} attempt error(s) [${[...kinds].join('; ')}]: ${(error as Error | undefined)?.message}`,
        )
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
    },
    BOTH_DOWN_TIMEOUT_MS,
  )

  it(
    'both clusters down: a send succeeds when a cluster returns within its deadline',
    async () => {
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
        const sending = producer.send({ topic, messages: [{ key: 'waits', value: 'waits' }] }).then((r) => {
          ackedAt = Date.now()
          return r
        })
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
        console.log(
          `both down: dc2 started ${restartAt - started} ms after the send began (the bed saw it ready ${readyAt - restartAt} ms later); send acknowledged ${ackedAt - started} ms after it began, ${ackedAt - restartAt} ms after dc2's start, deadline ${deliveryTimeoutMs} ms`,
        )
        expect(metadata.map((m) => m.errorCode)).toEqual([0])
        expect(dr.activeCluster).toBe('dc2')
        expect((await readRecords('dc2', topic, 1)).map((r) => r.value)).toEqual(['waits'])
      } finally {
        await producer.disconnect()
        await dr.disconnect()
        await restoreAfterBothDown()
      }
    },
    BOTH_DOWN_TIMEOUT_MS,
  )
})
