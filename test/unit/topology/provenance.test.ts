import { describe, expect, it } from 'vitest'
import type { IHeaders, Message } from 'kafkajs'
import { InvalidOptionError } from '../../../src/errors.js'
import { DEFAULT_PROVENANCE_HEADERS, ProvenanceStamper, readProvenance } from '../../../src/topology/index.js'

const ID = 'x-dr-id'
const ORIGIN = 'x-dr-origin'
const fixedInstance = Buffer.from('0102030405060708', 'hex')

function idOf(message: Message): Buffer {
  const value = message.headers?.[ID]
  expect(Buffer.isBuffer(value)).toBe(true)
  return value as Buffer
}

describe('ProvenanceStamper', () => {
  it('uses the documented default header names', () => {
    expect(DEFAULT_PROVENANCE_HEADERS).toEqual({ origin: 'x-dr-origin', id: 'x-dr-id' })
    expect(new ProvenanceStamper().headerNames).toEqual(DEFAULT_PROVENANCE_HEADERS)
  })

  it('returns a new message and never mutates the input or its headers', () => {
    const stamper = new ProvenanceStamper({ clusters: ['dc1', 'dc2'] })
    const headers: IHeaders = { trace: 'abc' }
    const message: Message = { key: 'k', value: 'v', headers, partition: 3, timestamp: '1700000000000' }
    const snapshot = structuredClone({ ...message, headers: { ...headers } })
    const stamped = stamper.stamp(message, 'dc1')
    const moved = stamper.withOrigin(stamped, 'dc2')
    expect(stamped).not.toBe(message)
    expect(stamped.headers).not.toBe(headers)
    expect(moved).not.toBe(stamped)
    expect(message).toEqual(snapshot)
    expect(Object.keys(headers)).toEqual(['trace'])
    expect(stamped.headers?.[ORIGIN]).toEqual(Buffer.from('dc1'))
  })

  it('keeps the message fields and the user headers', () => {
    const stamper = new ProvenanceStamper()
    const trace = Buffer.from('t')
    const stamped = stamper.stamp({ key: 'k', value: 'v', partition: 2, timestamp: '5', headers: { trace, tags: ['a', 'b'] } }, 'dc1')
    expect(stamped.key).toBe('k')
    expect(stamped.value).toBe('v')
    expect(stamped.partition).toBe(2)
    expect(stamped.timestamp).toBe('5')
    expect(stamped.headers?.trace).toBe(trace)
    expect(stamped.headers?.tags).toEqual(['a', 'b'])
    expect(Object.keys(stamped.headers ?? {}).sort()).toEqual(['tags', 'trace', ORIGIN, ID].sort())
  })

  it('adds only the id when no cluster is given', () => {
    const stamped = new ProvenanceStamper().stamp({ value: 'v' })
    expect(idOf(stamped)).toHaveLength(16)
    expect(stamped.headers?.[ORIGIN]).toBeUndefined()
  })

  it('assigns unique ids: instance id then a sequence increasing by one', () => {
    const stamper = new ProvenanceStamper({ instanceId: fixedInstance })
    expect(stamper.instanceId).toBe('0102030405060708')
    const ids = Array.from({ length: 1000 }, () => stamper.nextId())
    expect(new Set(ids.map((id) => id.toString('hex'))).size).toBe(1000)
    ids.forEach((id, i) => {
      expect(id).toHaveLength(16)
      expect(id.subarray(0, 8)).toEqual(fixedInstance)
      expect(id.readBigUInt64BE(8)).toBe(BigInt(i))
    })
  })

  it('writes sequences past 2^32 correctly', () => {
    const stamper = new ProvenanceStamper()
    ;(stamper as unknown as { sequence: number }).sequence = 2 ** 32 + 5
    expect(stamper.nextId().readBigUInt64BE(8)).toBe(2n ** 32n + 5n)
  })

  it('gives two instances different random ids', () => {
    expect(new ProvenanceStamper().instanceId).not.toBe(new ProvenanceStamper().instanceId)
  })

  it('keeps the id and changes only the origin on a re-send to another cluster', () => {
    const stamper = new ProvenanceStamper({ clusters: ['dc1', 'dc2'] })
    const first = stamper.stamp({ value: 'v' }, 'dc1')
    const again = stamper.withOrigin(first, 'dc2')
    expect(idOf(again)).toBe(idOf(first))
    expect(again.headers?.[ORIGIN]).toEqual(Buffer.from('dc2'))
    expect(first.headers?.[ORIGIN]).toEqual(Buffer.from('dc1'))
    expect(stamper.withOrigin(again, 'dc2')).toBe(again)
    // Stamping an already stamped message again keeps its id too.
    const restamped = stamper.stamp(again, 'dc1')
    expect(idOf(restamped)).toBe(idOf(first))
    expect(restamped.headers?.[ORIGIN]).toEqual(Buffer.from('dc1'))
  })

  it('encodes each origin once and shares the Buffer', () => {
    const stamper = new ProvenanceStamper({ clusters: ['dc1'] })
    const a = stamper.stamp({ value: '1' }, 'dc1')
    const b = stamper.stamp({ value: '2' }, 'dc1')
    expect(a.headers?.[ORIGIN]).toBe(b.headers?.[ORIGIN])
    expect(stamper.originValue('dc3')).toBe(stamper.originValue('dc3'))
  })

  it('keeps the provenance of a forwarded record', () => {
    const stamper = new ProvenanceStamper()
    const id = Buffer.from('aaaaaaaaaaaaaaaa0000000000000007', 'hex')
    const forwarded: Message = { value: 'v', headers: { [ID]: id, [ORIGIN]: Buffer.from('dc9') } }
    const stamped = stamper.stamp(forwarded, 'dc1')
    expect(stamped.headers?.[ID]).toBe(id)
    expect(stamped.headers?.[ORIGIN]).toEqual(Buffer.from('dc9'))
    expect(stamper.withOrigin(stamped, 'dc2')).toBe(stamped)
    const stringOrigin: Message = { value: 'v', headers: { [ORIGIN]: 'dc1' } }
    expect(stamper.withOrigin(stringOrigin, 'dc2')).toBe(stringOrigin)
  })

  it('uses configured header names', () => {
    const stamper = new ProvenanceStamper({ headers: { origin: 'src' } })
    const stamped = stamper.stamp({ value: 'v' }, 'dc1')
    expect(stamper.headerNames).toEqual({ origin: 'src', id: ID })
    expect(stamped.headers?.src).toEqual(Buffer.from('dc1'))
    expect(readProvenance(stamped.headers, stamper.headerNames)).toMatchObject({ origin: 'dc1', producerId: stamper.instanceId })
  })

  it('rejects bad options, naming the path', () => {
    const path = (fn: () => unknown): string => {
      try {
        fn()
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidOptionError)
        return (error as InvalidOptionError).path
      }
      throw new Error('expected an InvalidOptionError')
    }
    expect(path(() => new ProvenanceStamper({ instanceId: Buffer.alloc(4) }))).toBe('provenance.instanceId')
    expect(path(() => new ProvenanceStamper({ headers: { id: '' } }))).toBe('provenance.headers.id')
    expect(path(() => new ProvenanceStamper({ headers: { id: 'same', origin: 'same' } }))).toBe('provenance.headers.id')
    expect(path(() => new ProvenanceStamper({ headers: { idd: 'x' } as never }))).toBe('provenance.headers.idd')
    expect(path(() => new ProvenanceStamper({ clusters: [''] }))).toBe('provenance.clusters[0]')
    expect(path(() => new ProvenanceStamper({ other: 1 } as never))).toBe('provenance.other')
  })

  it('copies a given instance id so later changes to the caller buffer do not leak in', () => {
    const instance = Buffer.from(fixedInstance)
    const stamper = new ProvenanceStamper({ instanceId: instance })
    instance.fill(0)
    expect(stamper.nextId().subarray(0, 8)).toEqual(fixedInstance)
  })
})

describe('readProvenance', () => {
  const stamper = new ProvenanceStamper({ instanceId: fixedInstance })

  it('reads what the stamper wrote', () => {
    stamper.nextId()
    const stamped = stamper.stamp({ value: 'v' }, 'dc1')
    expect(readProvenance(stamped.headers)).toEqual({ origin: 'dc1', producerId: '0102030405060708', sequence: 1n })
  })

  it('accepts Buffer, string and array values', () => {
    const id = Buffer.from('0102030405060708000000000000002a', 'hex')
    const expected = { origin: 'dc2', producerId: '0102030405060708', sequence: 42n }
    expect(readProvenance({ [ORIGIN]: Buffer.from('dc2'), [ID]: id })).toEqual(expected)
    expect(readProvenance({ [ORIGIN]: 'dc2', [ID]: id.toString('hex') })).toEqual(expected)
    expect(readProvenance({ [ORIGIN]: ['dc2', 'dc1'], [ID]: [id, Buffer.alloc(16)] })).toEqual(expected)
    expect(readProvenance({ [ORIGIN]: [Buffer.from('dc2')], [ID]: [id.toString('hex')] })).toEqual(expected)
  })

  it('leaves out missing or malformed fields without throwing', () => {
    expect(readProvenance(undefined)).toEqual({})
    expect(readProvenance({})).toEqual({})
    expect(readProvenance({ [ID]: Buffer.alloc(15), [ORIGIN]: '' })).toEqual({})
    expect(readProvenance({ [ID]: 'not hex', [ORIGIN]: [] })).toEqual({})
    expect(readProvenance({ [ID]: undefined, [ORIGIN]: 'dc1' })).toEqual({ origin: 'dc1' })
  })

  it('reads the full unsigned 64-bit range', () => {
    const id = Buffer.from('0102030405060708ffffffffffffffff', 'hex')
    expect(readProvenance({ [ID]: id }).sequence).toBe(2n ** 64n - 1n)
  })
})
