/**
 * The examples run as written against the bed, briefly (each in well under 20 s). They import
 * the package by its name, which vitest.config.ts resolves to the sources.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { activeActive } from '../../examples/active-active.js'
import { activePassive } from '../../examples/active-passive.js'
import { customDiscovery } from '../../examples/custom-discovery.js'
import { declaredPolicy } from '../../examples/declared-policy.js'
import { metricsPrometheus, type Sample } from '../../examples/metrics-prometheus.js'
import { quickStart } from '../../examples/quick-start.js'
import { bedClientConfigs, clientFor, redacted, secureClient } from '../../examples/tls-sasl.js'
import { translateOffsetsDemo } from '../../examples/translate-offsets.js'
import { bed, unique } from './helpers.js'

const brokers = () => ({ dc1: bed().brokers.dc1!, dc2: bed().brokers.dc2! })

/** Runs `fn` and prints how long it took (the examples' durations are watched, not asserted). */
async function timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now()
  try {
    return await fn()
  } finally {
    console.log(`[examples] ${name}: ${Date.now() - started} ms`)
  }
}

describe('examples', () => {
  it('quick-start produces and reads back through the failover clients', async () => {
    const result = await timed('quick-start', () => quickStart(brokers(), unique('quick-start'), 10))
    expect(result.active).toBe('dc1')
    expect(result.consumed.map((r) => r.key).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `order-${i}`).sort())
    expect(new Set(result.consumed.map((r) => `${r.cluster}/${r.originCluster}`))).toEqual(new Set(['dc1/dc1']))
  })

  it('active-passive: the service moves to dc2 (dr.failover) and back (dr.unpin), nothing acknowledged lost', async () => {
    const result = await timed('active-passive', () =>
      activePassive({
        brokers: brokers(),
        topic: unique('active-passive'),
        durationMs: 8000,
        ratePerSec: 20,
        drill: { failoverAtMs: 2000, failbackAtMs: 5000 },
      }),
    )
    expect(result.switches.filter((s) => s.from !== undefined).map((s) => `${s.from}->${s.to} ${s.kind}`)).toEqual([
      'dc1->dc2 manual',
      'dc2->dc1 failback',
    ])
    expect(result.acknowledged.length).toBeGreaterThan(50)
    expect(result.missing).toEqual([])
    // Records written while dc2 was active were read there.
    expect(result.consumed.some((r) => r.cluster === 'dc2' && r.originCluster === 'dc2')).toBe(true)
    expect(result.consumed.some((r) => r.cluster === 'dc1' && r.originCluster === 'dc1')).toBe(true)
  })

  it('active-active: a dc1 consumer with dualRead direct and dedupe reads each origin on its own cluster, every record once', async () => {
    const result = await timed('active-active', () => activeActive({ brokers: brokers(), topic: unique('active-active'), perSite: 30 }))
    expect(result.missing).toEqual([])
    expect(result.duplicates).toBe(0)
    expect(result.consumed).toHaveLength(60)
    expect(result.consumed.every((r) => r.cluster === r.originCluster && r.id.startsWith(r.originCluster))).toBe(true)
    expect(result.reading.map((lane) => `${lane.origins.join(',')}@${lane.cluster}`).sort()).toEqual(['dc1@dc1', 'dc2@dc2'])
  })

  it("declared policy: every instance follows the operator's declarations", async () => {
    const result = await timed('declared-policy', () => declaredPolicy(brokers(), unique('control'), 2))
    expect(result.initial).toEqual(['dc1', 'dc1'])
    expect(result.followedMs.toDc2).toBeLessThan(15_000)
    expect(result.followedMs.backToDc1).toBeLessThan(15_000)
  })

  it('custom discovery: the client follows an HTTP endpoint to dc2 and back', async () => {
    const result = await timed('custom-discovery', () => customDiscovery(brokers()))
    expect(result.policy).toBe('custom')
    expect(result.active).toEqual(['dc1', 'dc2', 'dc1'])
    expect(result.switches.filter((s) => s.from !== undefined).map((s) => `${s.from}->${s.to}`)).toEqual(['dc1->dc2', 'dc2->dc1'])
  })

  it('translate-offsets: a group that processed 10 of 20 records on dc1 is committed on dc2 at the 10th or 11th', async () => {
    const topic = unique('translate')
    const { translation, committed } = await timed('translate-offsets', () =>
      translateOffsetsDemo(brokers(), topic, unique('translate-group'), 10, 20),
    )
    const replica = translation.partitions.find((p) => p.topic === `dc1.${topic}`)
    expect(replica).toBeDefined()
    expect(['timestamp', 'mm2']).toContain(replica!.method)
    // A lower bound: never past the first unprocessed record (offset 10), at most the last processed one again.
    expect(Number(replica!.offset)).toBeGreaterThanOrEqual(9)
    expect(Number(replica!.offset)).toBeLessThanOrEqual(10)
    // The bed's MirrorMaker 2 also syncs group offsets (into empty groups, never backwards), so it
    // may have moved the commit on to its own translation meanwhile; never past offset 10.
    expect(Number(committed[`dc1.${topic}/0`])).toBeGreaterThanOrEqual(Number(replica!.offset))
    expect(Number(committed[`dc1.${topic}/0`])).toBeLessThanOrEqual(10)
  })

  it('metrics-prometheus: a scrape shows the active cluster, both manual switches, probes and checkpoint age', async () => {
    const result = await timed('metrics-prometheus', () =>
      metricsPrometheus({ brokers: brokers(), topic: unique('metrics'), port: 19464, count: 10 }),
    )
    expect(result.active).toEqual(['dc1', 'dc2', 'dc1'])
    expect(result.consumed).toBeGreaterThanOrEqual(20)
    const value = (name: string, labels: Record<string, string>): number | undefined =>
      result.samples.find((s: Sample) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value
    expect(value('kafkajs_dr_cluster_active', { cluster: 'dc1' })).toBe(1)
    expect(value('kafkajs_dr_cluster_active', { cluster: 'dc2' })).toBe(0)
    expect(value('kafkajs_dr_switches_total', { kind: 'manual', outcome: 'complete' })).toBe(2)
    expect(value('kafkajs_dr_switch_duration_count', { kind: 'manual', outcome: 'complete' })).toBe(2)
    expect(value('kafkajs_dr_probe_duration_count', { cluster: 'dc2', outcome: 'ok' })).toBeGreaterThan(0)
    expect(result.samples.some((s) => s.name === 'kafkajs_dr_checkpoint_age' && s.labels.cluster === 'dc1' && s.value >= 0)).toBe(true)
    // MirrorMaker 2's heartbeats give each flow's lag once the first check is done.
    expect(value('kafkajs_dr_replication_lag', { source: 'dc1', target: 'dc2' })).toBeGreaterThanOrEqual(0)
  })

  describe('tls-sasl', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tls-sasl-'))
    afterAll(() => rmSync(dir, { recursive: true, force: true }))
    const ca = join(dir, 'ca.pem')
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nnot a real certificate\n-----END CERTIFICATE-----\n')
    const env = {
      DC1_BROKERS: 'kafka-dc1.example:9093',
      DC1_SASL_USERNAME: 'svc',
      DC1_SASL_PASSWORD: 'secret-1',
      DC1_CA_FILE: ca,
      DC2_BROKERS: 'kafka-dc2.example:9093',
      DC2_SASL_USERNAME: 'svc',
      DC2_SASL_PASSWORD: 'secret-2',
      DC2_SASL_MECHANISM: 'scram-sha-256',
    }

    it('builds a client whose clusters carry their own ssl and sasl, without connecting', async () => {
      const { dr, configs } = secureClient(env)
      try {
        expect(configs.dc1).toMatchObject({
          brokers: ['kafka-dc1.example:9093'],
          ssl: { rejectUnauthorized: true, ca: [expect.stringContaining('BEGIN CERTIFICATE')] },
          sasl: { mechanism: 'scram-sha-512', username: 'svc', password: 'secret-1' },
        })
        expect(configs.dc2).toMatchObject({ ssl: true, sasl: { mechanism: 'scram-sha-256', password: 'secret-2' } })
        expect(dr.status().clusters.map((c) => `${c.name}:${c.health}`)).toEqual(['dc1:unknown', 'dc2:unknown'])
        expect(dr.kafka('dc2')).toBeDefined()
        expect(JSON.stringify(redacted(configs.dc1))).not.toContain('secret-1')
      } finally {
        await dr.disconnect()
      }
    })

    it.skipIf(bed().security !== 'sasl_ssl')(
      "--bed: connects to the bed's SASL_SSL listeners with the configs of its client-config.json",
      async () => {
        const { dr, configs } = clientFor(bedClientConfigs(bed().clientConfigFile))
        try {
          expect(configs.dc1).toMatchObject({
            ssl: { ca: expect.stringContaining('BEGIN CERTIFICATE') },
            sasl: { mechanism: 'scram-sha-512', username: 'dr-app' },
          })
          await timed('tls-sasl --bed', () => dr.connect())
          expect(dr.status().clusters.map((c) => `${c.name}:${c.health}`)).toEqual(['dc1:up', 'dc2:up'])
        } finally {
          await dr.disconnect()
        }
      },
    )

    it('refuses incomplete settings by name', () => {
      expect(() => secureClient({ ...env, DC2_SASL_PASSWORD: undefined })).toThrow('Set DC2_SASL_PASSWORD')
      expect(() => secureClient({ ...env, DC1_SASL_MECHANISM: 'plain' })).toThrow(/DC1_SASL_MECHANISM/)
      expect(() => secureClient({ ...env, DC1_BROKERS: ',' })).toThrow(/clusters\.dc1\.kafka\.brokers/)
    })
  })
})
