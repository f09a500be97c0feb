/** The examples run as written against the bed. */
import { describe, expect, it } from 'vitest'
import { quickStart } from '../../examples/quick-start.js'
import { bed, unique } from './helpers.js'

describe('examples', () => {
  it('quick-start produces and reads back through the failover clients', async () => {
    const result = await quickStart({ dc1: bed().brokers.dc1!, dc2: bed().brokers.dc2! }, unique('quick-start'), 10)
    expect(result.active).toBe('dc1')
    expect(result.consumed.map((r) => r.key).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `order-${i}`).sort())
    expect(new Set(result.consumed.map((r) => `${r.cluster}/${r.originCluster}`))).toEqual(new Set(['dc1/dc1']))
  })
})
