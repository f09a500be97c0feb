import { describe, expect, it } from 'vitest'
import { DeliveryFilter } from '../../../../src/consumer/delivery/delivery-filter.js'
import { ProvenanceStamper } from '../../../../src/topology/provenance.js'

const stamper = new ProvenanceStamper({ instanceId: Buffer.alloc(8, 1) })
const headersOf = (origin: string) => stamper.withOrigin(stamper.stamp({ value: 'x' }, 'dc1'), origin).headers

describe('DeliveryFilter', () => {
  it('reads the origin from the header, else from the topic', () => {
    const filter = new DeliveryFilter({ header: 'x-dr' })
    expect(filter.read(headersOf('dc2'), 'dc1').origin).toBe('dc2')
    expect(filter.read({}, 'dc1').origin).toBe('dc1')
    expect(filter.filters).toBe(false)
    expect(filter.status()).toBeUndefined()
  })

  it('drops a copy that arrives while its original is still being handled (concurrent sessions), and lets it pass once that handler threw', () => {
    const filter = new DeliveryFilter({ header: 'x-dr', dedupe: { windowSize: 1024, maxProducers: 10 } })
    const headers = headersOf('dc1')
    const original = filter.read(headers, 'dc1')
    expect(filter.skips(original)).toBeUndefined()
    // The copy from the other cluster, read by another session before the handler returned.
    expect(filter.skips(filter.read(headers, 'dc2'))).toBe('duplicate')
    filter.released(original)
    const again = filter.read(headers, 'dc1')
    expect(filter.skips(again)).toBeUndefined()
    filter.delivered(again)
    expect(filter.skips(filter.read(headers, 'dc2'))).toBe('duplicate')
    expect(filter.status()).toEqual({ dropped: 2, producers: 1, ids: 1, tooOld: 0 })
  })

  it('passes records without the header, and skips origins not read (identity naming) without counting them as duplicates', () => {
    const filter = new DeliveryFilter({ header: 'x-dr', origins: ['dc1'], dedupe: { windowSize: 1024, maxProducers: 10 } })
    expect(filter.skips(filter.read({}, 'dc1'))).toBeUndefined()
    expect(filter.skips(filter.read({}, 'dc1'))).toBeUndefined()
    expect(filter.skips(filter.read(headersOf('dc2'), 'dc1'))).toBe('origin')
    expect(filter.skippedOrigin).toBe(1)
    expect(filter.status()!.dropped).toBe(0)
  })
})
