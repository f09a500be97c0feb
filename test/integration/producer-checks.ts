/**
 * What every producer failover test checks afterwards: each acknowledged record stored on a
 * cluster, nothing rejected, and the sends the fault caught re-sent to dc2.
 */
import { expect } from 'vitest'
import { idsOnClusters, resentAcrossFirstSwitch, type DrillLedger } from './drill.js'

export const STREAM = { total: 20_000, perSend: 50, ratePerSec: 1000, concurrency: 4 }

/**
 * Reads both clusters back, prints the figures (before asserting, so that they are seen when an
 * assertion fails), then checks: every acknowledged record is stored on dc1 or dc2; nothing was
 * rejected; the sends the fault caught on dc1 were re-sent, that is acknowledged after the switch
 * and found on dc2.
 */
export async function expectEveryAckedStoredAndNothingRejected(
  label: string,
  topic: string,
  ledger: DrillLedger,
  extra = '',
): Promise<void> {
  const stored = await idsOnClusters(topic)
  const missing = [...ledger.acked].filter((id) => !stored.dc1.has(id) && !stored.dc2.has(id))
  const resent = resentAcrossFirstSwitch(ledger)
  const rejections = ledger.sends.filter((s) => s.error !== undefined)
  console.log(
    `${label}: ${extra}acked ${ledger.acked.size}, rejected ${ledger.rejected}, re-sent across the switch ${resent.length}, stored dc1 ${stored.dc1.size}, dc2 ${stored.dc2.size}, missing ${missing.length}`,
  )
  for (const r of rejections.slice(0, 5))
    console.log(`  rejected after ${r.settledAt - r.startedAt} ms (began on ${r.startedOn}): ${r.error}`)
  expect(missing).toEqual([])
  expect(ledger.acked.size + ledger.rejected).toBe(STREAM.total)
  expect(rejections.map((r) => r.error)).toEqual([])
  expect(ledger.rejected).toBe(0)
  expect(resent.length).toBeGreaterThan(0)
  expect(resent.filter((id) => !stored.dc2.has(id))).toEqual([])
}
