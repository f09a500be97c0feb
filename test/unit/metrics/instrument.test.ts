/**
 * instrumentMetrics() over a real MultiClusterKafka on fake clusters, read back through the
 * OpenTelemetry SDK's in-memory exporter: names, units, attributes and values. Consumer events are
 * emitted by hand on a real FailoverConsumer (a consumer that runs needs real brokers).
 */
import { metrics } from '@opentelemetry/api'
import { AggregationTemporality, DataPointType, type Histogram } from '@opentelemetry/sdk-metrics'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ClusterProbeEvent, FailoverCompleteEvent, FailoverConsumer, FailoverConsumerEvents } from '../../../src/index.js'
import { instrumentMetrics, InvalidOptionError, KafkaDRError } from '../../../src/index.js'
import { METRICS } from '../../../src/metrics/names.js'
import type { SafeEmitter } from '../../../src/util/safe-emitter.js'
import { internalsOf } from '../../helpers/client-internals.js'
import { fakeClient, fakeCluster, MetricsHarness, next, points, valueOf } from './harness.js'

const N = {
  active: 'kafkajs_dr.cluster.active',
  switches: 'kafkajs_dr.switches',
  switchDuration: 'kafkajs_dr.switch.duration',
  probeDuration: 'kafkajs_dr.probe.duration',
  probeFailures: 'kafkajs_dr.probe.failures',
  lag: 'kafkajs_dr.replication.lag',
  checkpointAge: 'kafkajs_dr.checkpoint.age',
  resent: 'kafkajs_dr.producer.resent.records',
  deduplicated: 'kafkajs_dr.consumer.deduplicated.records',
}

/** Emits a kafkajs-dr event of `consumer` as the consumer itself would. */
function emitOn<E extends keyof FailoverConsumerEvents>(
  consumer: FailoverConsumer,
  event: E,
  payload: Parameters<FailoverConsumerEvents[E]>[0],
): void {
  const emitter = (consumer as unknown as { emitter: SafeEmitter<FailoverConsumerEvents> }).emitter
  ;(emitter.emit as (e: string, p: unknown) => boolean)(event, payload)
}

let harness: MetricsHarness
beforeEach(() => {
  harness = new MetricsHarness()
})
afterEach(async () => {
  vi.restoreAllMocks()
  await harness.shutdown()
})

describe('instrumentMetrics: clusters, probes and switches', () => {
  it('reports the active cluster, every probe, a failover, a failback and a failed switch', async () => {
    const dc1 = fakeCluster('dc1')
    const dc2 = fakeCluster('dc2')
    const dr = fakeClient([dc1, dc2], { replicationLag: false })
    const handle = instrumentMetrics(dr, { meterProvider: harness.provider })
    const probes: ClusterProbeEvent[] = []
    dr.on('cluster:probe', (e) => probes.push(e))
    try {
      await dr.connect()
      // A second probe of dc1 (the first one was connect()'s).
      await new Promise<void>((resolve) => {
        const seen = (e: { cluster: string }) => {
          if (e.cluster === 'dc1') {
            dr.off('cluster:probe', seen)
            resolve()
          }
        }
        dr.on('cluster:probe', seen)
      })
      let m = await harness.collect()

      expect(m.get(N.active)!.descriptor).toMatchObject({ unit: '1', description: METRICS.clusterActive.description })
      expect(m.get(N.active)!.dataPointType).toBe(DataPointType.GAUGE)
      expect(points(m.get(N.active)).sort((a, b) => String(a.attributes.cluster).localeCompare(String(b.attributes.cluster)))).toEqual([
        { attributes: { cluster: 'dc1' }, value: 1 },
        { attributes: { cluster: 'dc2' }, value: 0 },
      ])
      expect(m.get(N.probeDuration)!.descriptor.unit).toBe('s')
      expect(m.get(N.probeDuration)!.dataPointType).toBe(DataPointType.HISTOGRAM)
      const okProbes = valueOf<Histogram>(m.get(N.probeDuration), { cluster: 'dc1', outcome: 'ok' })!
      expect(okProbes.count).toBeGreaterThanOrEqual(2)
      // Seconds, not ms: a fake probe answers at once.
      expect(okProbes.sum).toBeLessThan(okProbes.count * 0.5)
      // The buckets advised (seconds) are the ones used.
      expect(okProbes.buckets.boundaries).toEqual(METRICS.probeDuration.buckets)
      expect(m.has(N.probeFailures)).toBe(false)
      expect(m.has(N.switches)).toBe(false)

      // dc1 dies: probes fail, the client fails over to dc2.
      dc1.up = false
      const failover = await next(dr, 'failover:complete')
      expect(failover).toMatchObject({ from: 'dc1', to: 'dc2', kind: 'failover' })
      m = await harness.collect()
      expect(valueOf(m.get(N.active), { cluster: 'dc1' })).toBe(0)
      expect(valueOf(m.get(N.active), { cluster: 'dc2' })).toBe(1)
      expect(m.get(N.switches)!.descriptor.unit).toBe('{switch}')
      expect(m.get(N.switches)!.dataPointType).toBe(DataPointType.SUM)
      expect(points(m.get(N.switches))).toEqual([{ attributes: { kind: 'failover', outcome: 'complete' }, value: 1 }])
      expect(m.get(N.switchDuration)!.descriptor.unit).toBe('s')
      const duration = valueOf<Histogram>(m.get(N.switchDuration), { kind: 'failover', outcome: 'complete' })!
      expect(duration.count).toBe(1)
      expect(duration.sum).toBeCloseTo(failover.durationMs / 1000, 6)
      expect(m.get(N.probeFailures)!.descriptor.unit).toBe('{probe}')
      const failures = points<number>(m.get(N.probeFailures))
      expect(failures.map((p) => p.attributes)).toEqual([{ cluster: 'dc1', 'error.type': 'ERR_KAFKAJS' }])
      expect(failures[0]!.value).toBeGreaterThanOrEqual(1)
      expect(valueOf<Histogram>(m.get(N.probeDuration), { cluster: 'dc1', outcome: 'failed' })!.count).toBe(failures[0]!.value)
      // The event they come from.
      expect(probes.find((p) => p.cluster === 'dc2')).toMatchObject({ ok: true, error: undefined })
      const failedProbe = probes.find((p) => !p.ok)!
      expect(failedProbe).toMatchObject({ cluster: 'dc1', ok: false })
      expect(failedProbe.durationMs).toBeGreaterThanOrEqual(0)
      expect(failedProbe.error).toBeInstanceOf(KafkaDRError)
      expect(failedProbe.error).toMatchObject({ code: 'ERR_KAFKAJS', cluster: 'dc1' })

      // dc1 returns: the priority policy fails back at once (failbackDelayMs 0).
      dc1.up = true
      await next(dr, 'failover:complete')
      m = await harness.collect()
      expect(valueOf(m.get(N.active), { cluster: 'dc1' })).toBe(1)
      expect(valueOf(m.get(N.switches), { kind: 'failback', outcome: 'complete' })).toBe(1)
      expect(valueOf(m.get(N.switches), { kind: 'failover', outcome: 'complete' })).toBe(1)

      // A switch whose participants did not all move (reported as the client reports it).
      internalsOf(dr).events.emit('failover:failed', {
        timestamp: Date.now() - 1500,
        from: 'dc1',
        to: 'dc2',
        kind: 'manual',
        reason: 'drill',
        error: new KafkaDRError('ERR_FAILOVER_FAILED', 'one consumer did not move'),
      })
      m = await harness.collect()
      expect(valueOf(m.get(N.switches), { kind: 'manual', outcome: 'failed' })).toBe(1)
      const failed = valueOf<Histogram>(m.get(N.switchDuration), { kind: 'manual', outcome: 'failed' })!
      expect(failed.count).toBe(1)
      expect(failed.sum).toBeGreaterThanOrEqual(1.5)
      expect(failed.sum).toBeLessThan(3)
    } finally {
      handle.stop()
      await dr.disconnect()
    }
  })

  it('creates its instruments on the `kafkajs-dr` meter with the package version', async () => {
    const dr = fakeClient([fakeCluster('dc1')], { replicationLag: false })
    const handle = instrumentMetrics(dr, { meterProvider: harness.provider })
    const { scopeMetrics } = (await harness.export())!
    expect(scopeMetrics.map((s) => s.scope)).toEqual([expect.objectContaining({ name: 'kafkajs-dr', version: '0.1.0' })])
    // Before connect(): every cluster reported, none active.
    expect(points(scopeMetrics[0]!.metrics.find((x) => x.descriptor.name === N.active))).toEqual([
      { attributes: { cluster: 'dc1' }, value: 0 },
    ])
    handle.stop()
  })
})

describe('instrumentMetrics: producers', () => {
  it('counts records re-sent to the new active cluster after a switch, from the producer:resent event', async () => {
    const dc1 = fakeCluster('dc1')
    const dc2 = fakeCluster('dc2')
    const dr = fakeClient([dc1, dc2], { replicationLag: false, discovery: { autoFailback: false } })
    const handle = instrumentMetrics(dr, { meterProvider: harness.provider })
    const producer = dr.producer({ deliveryTimeoutMs: 10_000 })
    const resent: unknown[] = []
    producer.on('producer:resent', (e) => resent.push(e))
    try {
      await dr.connect()
      await producer.connect()
      // A send on dc1 that dc1 never answers; dc1 then dies and the client moves to dc2.
      let sentToDc1 = 0
      dc1.send = () => {
        sentToDc1++
        return new Promise(() => {})
      }
      const sending = producer.send({ topic: 'orders', messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] })
      await vi.waitFor(() => expect(sentToDc1).toBe(1))
      dc1.up = false
      await expect(sending).resolves.toEqual([{ topicName: 'orders', partition: 0, errorCode: 0 }])
      expect(resent).toEqual([expect.objectContaining({ topics: ['orders'], from: 'dc1', to: 'dc2', count: 3, attempts: 2 })])
      // A batch acknowledged where it was first sent is not a re-send.
      await producer.sendBatch({
        topicMessages: [
          { topic: 'a', messages: [{ value: '1' }] },
          { topic: 'b', messages: [{ value: '2' }] },
        ],
      })
      expect(resent).toHaveLength(1)

      const m = await harness.collect()
      expect(m.get(N.resent)!.descriptor.unit).toBe('{record}')
      expect(points(m.get(N.resent))).toEqual([{ attributes: { from: 'dc1', to: 'dc2' }, value: 3 }])
    } finally {
      handle.stop()
      await producer.disconnect()
      await dr.disconnect()
    }
  })
})

describe('instrumentMetrics: consumers', () => {
  it('reports the newest checkpoint per group and cluster, and records dropped by dedupe', async () => {
    // Delta: each collection shows what the gauge observed then (see MetricsHarness).
    await harness.shutdown()
    harness = new MetricsHarness(AggregationTemporality.DELTA)
    const dr = fakeClient([fakeCluster('dc1'), fakeCluster('dc2')], { replicationLag: false })
    const handle = instrumentMetrics(dr, { meterProvider: harness.provider })
    const a = dr.consumer({ groupId: 'billing' })
    const b = dr.consumer({ groupId: 'billing' })
    const c = dr.consumer({ groupId: 'audit' })
    const now = Date.now()
    const written = (group: string, cluster: string, agoMs: number) => ({
      cluster,
      topic: 'kafkajs-dr.checkpoints',
      group,
      count: 4,
      timestamp: now - agoMs - 20,
      durationMs: 20,
    })
    emitOn(a, 'checkpoint:written', written('billing', 'dc1', 8000))
    emitOn(b, 'checkpoint:written', written('billing', 'dc1', 2000))
    emitOn(a, 'checkpoint:written', written('billing', 'dc2', 30_000))
    emitOn(c, 'checkpoint:written', written('audit', 'dc1', 5000))
    // An older write reported late does not make the checkpoint look older.
    emitOn(c, 'checkpoint:written', written('audit', 'dc1', 60_000))
    emitOn(a, 'consumer:deduplicated', { timestamp: now, group: 'billing', cluster: 'dc1', topic: 'orders', partition: 0, count: 5 })
    emitOn(b, 'consumer:deduplicated', { timestamp: now, group: 'billing', cluster: 'dc1', topic: 'dc2.orders', partition: 1, count: 2 })
    emitOn(c, 'consumer:deduplicated', { timestamp: now, group: 'audit', cluster: 'dc2', topic: 'orders', partition: 0, count: 1 })

    let m = await harness.collect()
    expect(m.get(N.checkpointAge)!.descriptor.unit).toBe('s')
    expect(m.get(N.checkpointAge)!.dataPointType).toBe(DataPointType.GAUGE)
    const age = (group: string, cluster: string) => valueOf<number>(m.get(N.checkpointAge), { group, cluster })
    expect(points(m.get(N.checkpointAge))).toHaveLength(3)
    expect(age('billing', 'dc1')).toBeGreaterThanOrEqual(2)
    expect(age('billing', 'dc1')).toBeLessThan(3)
    expect(age('billing', 'dc2')).toBeGreaterThanOrEqual(30)
    expect(age('billing', 'dc2')).toBeLessThan(31)
    expect(age('audit', 'dc1')).toBeGreaterThanOrEqual(5)
    expect(age('audit', 'dc1')).toBeLessThan(6)
    expect(m.get(N.deduplicated)!.descriptor.unit).toBe('{record}')
    expect(valueOf(m.get(N.deduplicated), { group: 'billing', cluster: 'dc1' })).toBe(7)
    expect(valueOf(m.get(N.deduplicated), { group: 'audit', cluster: 'dc2' })).toBe(1)

    // A consumer that disconnected is forgotten: billing on dc1 is b's now, dc2 was a's only.
    emitOn(a, 'consumer:disconnected', {
      timestamp: Date.now(),
      group: 'billing',
      durationMs: 3,
      finalCheckpoint: { complete: true, writtenTo: ['dc1'], failedClusters: [], pending: 0 },
    })
    emitOn(a, 'consumer:deduplicated', { timestamp: now, group: 'billing', cluster: 'dc1', topic: 'orders', partition: 0, count: 100 })
    m = await harness.collect()
    expect(
      points(m.get(N.checkpointAge))
        .map((p) => p.attributes)
        .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
    ).toEqual([
      { group: 'audit', cluster: 'dc1' },
      { group: 'billing', cluster: 'dc1' },
    ])
    expect(age('billing', 'dc1')).toBeLessThan(3)
    // Delta: nothing was deduplicated since the last collection (a's listener is gone).
    expect(m.has(N.deduplicated)).toBe(false)
    handle.stop()
  })
})

describe('instrumentMetrics: replication lag', () => {
  it('reports each flow with a known lag, in seconds', async () => {
    const dr = fakeClient([fakeCluster('dc1'), fakeCluster('dc2')], { replicationLag: false })
    const status = dr.status()
    const flow = (source: string, target: string, lagMs: number | undefined) => ({
      source,
      target,
      heartbeatsTopic: `${source}.heartbeats`,
      lagMs,
      newestHeartbeat: undefined,
      checkedAt: undefined,
      lagging: false,
      lastError: undefined,
    })
    vi.spyOn(dr, 'status').mockReturnValue({ ...status, replication: [flow('dc1', 'dc2', 1500), flow('dc2', 'dc1', undefined)] })
    const handle = instrumentMetrics(dr, { meterProvider: harness.provider })
    const m = await harness.collect()
    expect(m.get(N.lag)!.descriptor).toMatchObject({ unit: 's', description: METRICS.replicationLag.description })
    expect(points(m.get(N.lag))).toEqual([{ attributes: { source: 'dc1', target: 'dc2' }, value: 1.5 }])
    handle.stop()
  })

  it('reports nothing when replication is not watched', async () => {
    const dr = fakeClient([fakeCluster('dc1'), fakeCluster('dc2')], { replicationLag: false })
    const handle = instrumentMetrics(dr, { meterProvider: harness.provider })
    const m = await harness.collect()
    expect(m.has(N.active)).toBe(true)
    expect(m.has(N.lag)).toBe(false)
    handle.stop()
  })
})

describe('instrumentMetrics: options and stop()', () => {
  it('uses the global meter provider when given no meter', async () => {
    metrics.setGlobalMeterProvider(harness.provider)
    try {
      const dr = fakeClient([fakeCluster('dc1')], { replicationLag: false })
      const handle = instrumentMetrics(dr)
      expect(points((await harness.collect()).get(N.active))).toEqual([{ attributes: { cluster: 'dc1' }, value: 0 }])
      handle.stop()
    } finally {
      metrics.disable()
    }
  })

  it('uses a given meter, and a prefix for every name', async () => {
    const dr = fakeClient([fakeCluster('dc1')], { replicationLag: false })
    const meter = harness.provider.getMeter('my-app')
    const handle = instrumentMetrics(dr, { meter, prefix: 'app.dr' })
    expect(handle.meter).toBe(meter)
    internalsOf(dr).events.emit('failover:complete', {
      timestamp: Date.now(),
      from: 'dc2',
      to: 'dc1',
      kind: 'failback',
      reason: 'test',
      durationMs: 250,
    } as FailoverCompleteEvent)
    const { scopeMetrics } = (await harness.export())!
    expect(scopeMetrics.map((s) => s.scope.name)).toEqual(['my-app'])
    // The SDK exports the instruments that recorded something.
    const names = scopeMetrics[0]!.metrics
      .filter((x) => x.dataPoints.length > 0)
      .map((x) => x.descriptor.name)
      .sort()
    expect(names).toEqual(['app.dr.cluster.active', 'app.dr.switch.duration', 'app.dr.switches'])
    handle.stop()
  })

  it("stop() removes every listener and the gauges' callback; a second stop() does nothing", async () => {
    await harness.shutdown()
    harness = new MetricsHarness(AggregationTemporality.DELTA)
    const dr = fakeClient([fakeCluster('dc1'), fakeCluster('dc2')], { replicationLag: false })
    const handle = instrumentMetrics(dr, { meterProvider: harness.provider })
    const producer = dr.producer()
    const consumer = dr.consumer({ groupId: 'g' })
    emitOn(consumer, 'checkpoint:written', { cluster: 'dc1', topic: 't', group: 'g', count: 1, timestamp: Date.now(), durationMs: 1 })
    const listening = () =>
      (['failover:complete', 'failover:failed', 'cluster:probe', 'producer:created', 'consumer:created'] as const).map((e) =>
        internalsOf(dr).events.listenerCount(e),
      )
    expect(listening()).toEqual([1, 1, 1, 1, 1])
    const emitterOf = (o: object) => (o as { emitter: SafeEmitter<Record<string, () => void>> }).emitter
    expect(emitterOf(producer).listenerCount('producer:resent')).toBe(1)
    expect(emitterOf(consumer).eventNames().sort()).toEqual(['checkpoint:written', 'consumer:deduplicated', 'consumer:disconnected'])
    expect((await harness.collect()).has(N.checkpointAge)).toBe(true)

    handle.stop()
    handle.stop()
    expect(listening()).toEqual([0, 0, 0, 0, 0])
    expect(emitterOf(producer).listenerCount('producer:resent')).toBe(0)
    expect(emitterOf(consumer).eventNames()).toEqual([])
    const status = vi.spyOn(dr, 'status')
    internalsOf(dr).events.emit('failover:complete', {
      timestamp: Date.now(),
      from: 'dc1',
      to: 'dc2',
      kind: 'failover',
      reason: 'test',
      durationMs: 100,
    } as FailoverCompleteEvent)
    const m = await harness.collect()
    expect(status).not.toHaveBeenCalled()
    expect(m.has(N.active)).toBe(false)
    expect(m.has(N.checkpointAge)).toBe(false)
    expect(m.has(N.switches)).toBe(false)
  })

  it.each([
    [{ metre: {} }, 'metrics.metre', 'Unknown option `metrics.metre`; did you mean `meter`?'],
    [{ meter: {} }, 'metrics.meter', 'Expected `metrics.meter` to be an OpenTelemetry Meter, got an object'],
    [
      { meterProvider: 'global' },
      'metrics.meterProvider',
      "Expected `metrics.meterProvider` to be an OpenTelemetry MeterProvider, got 'global'",
    ],
    [{ prefix: 'kafka dr' }, 'metrics.prefix', 'Expected `metrics.prefix` to be a metric namespace'],
    [{ prefix: 'kafkajs_dr.' }, 'metrics.prefix', 'Expected `metrics.prefix` to be a metric namespace'],
    [{ prefix: '' }, 'metrics.prefix', 'Expected `metrics.prefix` to be a non-empty string'],
  ])('rejects invalid options %j', (options, path, message) => {
    const dr = fakeClient([fakeCluster('dc1')], { replicationLag: false })
    const error = (() => {
      try {
        instrumentMetrics(dr, options as never)
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect((error as InvalidOptionError).path).toBe(path)
    expect((error as Error).message).toContain(message)
    // Nothing was attached.
    expect(internalsOf(dr).events.listenerCount('cluster:probe')).toBe(0)
  })

  it('rejects a meter together with a meter provider', () => {
    const dr = fakeClient([fakeCluster('dc1')], { replicationLag: false })
    expect(() => instrumentMetrics(dr, { meter: harness.provider.getMeter('x'), meterProvider: harness.provider })).toThrow(
      /give one of `meter` and `meterProvider`/,
    )
  })
})
