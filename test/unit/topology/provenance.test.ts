import { describe, expect, it } from 'vitest'
import type { IHeaders, Message } from 'kafkajs'
import { InvalidOptionError } from '../../../src/errors/index.js'
import { DEFAULT_PROVENANCE_HEADER, ProvenanceStamper, readProvenance } from '../../../src/topology/index.js'
import { ProvenanceReader } from '../../../src/topology/provenance.js'

const HEADER = 'x-dr'
const INSTANCE_HEX = '0102030405060708'
const fixedInstance = Buffer.from(INSTANCE_HEX, 'hex')

/** The header value of `message`, asserting it is a Buffer. */
function valueOf(message: Message, header = HEADER): Buffer {
  const value = message.headers?.[header]
  expect(Buffer.isBuffer(value)).toBe(true)
  return value as Buffer
}

/** Sets the stamper's next sequence number (a private field). */
function setSequence(stamper: ProvenanceStamper, sequence: number): void {
  ;(stamper as unknown as { sequence: number }).sequence = sequence
}

/** A stamper with the fixed instance id whose next record gets `sequence`. */
function stamperAt(sequence: number): ProvenanceStamper {
  const stamper = new ProvenanceStamper({ instanceId: fixedInstance })
  setSequence(stamper, sequence)
  return stamper
}

/** Expected version-1 value: version, origin length, origin, instance id, then the varint bytes given as hex. */
function expectedValue(origin: string, varintHex: string, instance: Buffer = fixedInstance): Buffer {
  const originBytes = Buffer.from(origin, 'utf8')
  return Buffer.concat([Buffer.from([1, originBytes.length]), originBytes, instance, Buffer.from(varintHex, 'hex')])
}

/** The `path` of the InvalidOptionError that `fn` throws. */
function errorPath(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError)
    return (error as InvalidOptionError).path
  }
  throw new Error('expected an InvalidOptionError')
}

describe('ProvenanceStamper', () => {
  it('uses the documented default header name', () => {
    expect(DEFAULT_PROVENANCE_HEADER).toBe('x-dr')
    const stamper = new ProvenanceStamper()
    expect(stamper.header).toBe(DEFAULT_PROVENANCE_HEADER)
    const stamped = stamper.stamp({ value: 'v' }, 'dc1')
    expect(Object.keys(stamped.headers ?? {})).toEqual([DEFAULT_PROVENANCE_HEADER])
    expect(valueOf(stamped)[0]).toBe(1)
  })

  it('returns a new message and never mutates the input or its headers', () => {
    const stamper = new ProvenanceStamper({ clusters: ['dc1', 'dc2'] })
    const headers: IHeaders = { trace: 'abc' }
    const message: Message = { key: 'k', value: 'v', headers, partition: 3, timestamp: '1700000000000' }
    const snapshot = structuredClone({ ...message, headers: { ...headers } })
    const stamped = stamper.stamp(message, 'dc1')
    const stampedBytes = Buffer.from(valueOf(stamped))
    const stampedHeaders = { ...stamped.headers }
    const moved = stamper.withOrigin(stamped, 'dc2')
    expect(stamped).not.toBe(message)
    expect(stamped.headers).not.toBe(headers)
    expect(moved).not.toBe(stamped)
    expect(moved.headers).not.toBe(stamped.headers)
    expect(message).toEqual(snapshot)
    expect(Object.keys(headers)).toEqual(['trace'])
    // withOrigin left the stamped message, its headers and its header bytes alone.
    expect(stamped.headers).toEqual(stampedHeaders)
    expect(valueOf(stamped)).toEqual(stampedBytes)
    expect(readProvenance(stamped.headers).origin).toBe('dc1')
    expect(readProvenance(moved.headers).origin).toBe('dc2')
  })

  it('never changes an earlier value when stamping many more (values share a memory pool)', () => {
    const stamper = new ProvenanceStamper({ instanceId: fixedInstance })
    const first = stamper.stamp({ value: '0' }, 'dc1')
    const snapshot = Buffer.from(valueOf(first))
    for (let i = 1; i < 2000; i++) stamper.stamp({ value: String(i) }, i % 2 === 0 ? 'dc1' : 'dc2')
    expect(valueOf(first)).toEqual(snapshot)
    expect(valueOf(first)).toEqual(expectedValue('dc1', '00'))
  })

  it('keeps the message fields and the user headers', () => {
    const stamper = new ProvenanceStamper()
    const trace = Buffer.from('t')
    const tags = ['a', 'b']
    const stamped = stamper.stamp({ key: 'k', value: 'v', partition: 2, timestamp: '5', headers: { trace, tags } }, 'dc1')
    expect(stamped.key).toBe('k')
    expect(stamped.value).toBe('v')
    expect(stamped.partition).toBe(2)
    expect(stamped.timestamp).toBe('5')
    expect(stamped.headers?.trace).toBe(trace)
    expect(stamped.headers?.tags).toBe(tags)
    expect(Object.keys(stamped.headers ?? {}).sort()).toEqual(['tags', 'trace', HEADER].sort())
    const moved = stamper.withOrigin(stamped, 'dc2')
    expect(moved.key).toBe('k')
    expect(moved.value).toBe('v')
    expect(moved.partition).toBe(2)
    expect(moved.timestamp).toBe('5')
    expect(moved.headers?.trace).toBe(trace)
    expect(moved.headers?.tags).toBe(tags)
    expect(Object.keys(moved.headers ?? {}).sort()).toEqual(['tags', 'trace', HEADER].sort())
  })

  it('stamps a message whose header key is present but undefined', () => {
    const stamper = new ProvenanceStamper({ instanceId: fixedInstance })
    const stamped = stamper.stamp({ value: 'v', headers: { [HEADER]: undefined } }, 'dc1')
    expect(valueOf(stamped)).toEqual(expectedValue('dc1', '00'))
  })

  it('assigns unique ids: this instance id and a sequence increasing by one from 0', () => {
    const stamper = new ProvenanceStamper({ instanceId: fixedInstance })
    expect(stamper.instanceId).toBe(INSTANCE_HEX)
    const read = Array.from({ length: 1000 }, (_, i) =>
      readProvenance(stamper.stamp({ value: String(i) }, i % 3 === 0 ? 'dc2' : 'dc1').headers),
    )
    read.forEach((provenance, i) => {
      expect(provenance).toEqual({ origin: i % 3 === 0 ? 'dc2' : 'dc1', producerId: INSTANCE_HEX, sequence: i })
    })
    expect(new Set(read.map((p) => p.sequence)).size).toBe(1000)
  })

  it('gives two instances different random 8-byte ids', () => {
    const a = new ProvenanceStamper()
    const b = new ProvenanceStamper()
    expect(a.instanceId).toMatch(/^[0-9a-f]{16}$/)
    expect(b.instanceId).toMatch(/^[0-9a-f]{16}$/)
    expect(a.instanceId).not.toBe(b.instanceId)
    expect(readProvenance(a.stamp({ value: 'v' }, 'dc1').headers).producerId).toBe(a.instanceId)
  })

  it('keeps the id and changes only the origin on a re-send to another cluster', () => {
    const stamper = stamperAt(300)
    const first = stamper.stamp({ value: 'v' }, 'dc1')
    const again = stamper.withOrigin(first, 'dc2')
    expect(valueOf(first)).toEqual(expectedValue('dc1', 'ac02'))
    expect(valueOf(again)).toEqual(expectedValue('dc2', 'ac02'))
    expect(readProvenance(again.headers)).toEqual({ origin: 'dc2', producerId: INSTANCE_HEX, sequence: 300 })
    expect(readProvenance(first.headers)).toEqual({ origin: 'dc1', producerId: INSTANCE_HEX, sequence: 300 })
    // Same origin: nothing to change, the very same message.
    expect(stamper.withOrigin(again, 'dc2')).toBe(again)
    expect(stamper.withOrigin(first, 'dc1')).toBe(first)
    // Back to the first cluster: the same bytes as the first send.
    expect(valueOf(stamper.withOrigin(again, 'dc1'))).toEqual(valueOf(first))
    // withOrigin does not consume a sequence number.
    expect(readProvenance(stamper.stamp({ value: 'next' }, 'dc1').headers).sequence).toBe(301)
  })

  it('re-encodes the origin for a longer or shorter cluster name', () => {
    const stamper = stamperAt(128)
    const first = stamper.stamp({ value: 'v' }, 'a')
    const moved = stamper.withOrigin(first, 'datacenter-east')
    expect(valueOf(first)).toEqual(expectedValue('a', '8001'))
    expect(valueOf(moved)).toEqual(expectedValue('datacenter-east', '8001'))
    expect(readProvenance(moved.headers)).toEqual({ origin: 'datacenter-east', producerId: INSTANCE_HEX, sequence: 128 })
  })

  it('returns a message that already carries the header (a forwarded record) as it is', () => {
    const stamper = new ProvenanceStamper({ instanceId: fixedInstance })
    const other = new ProvenanceStamper({ instanceId: Buffer.from('aaaaaaaaaaaaaaaa', 'hex') })
    const forwarded = other.stamp({ value: 'v' }, 'dc9')
    const forwardedBytes = Buffer.from(valueOf(forwarded))
    expect(stamper.stamp(forwarded, 'dc1')).toBe(forwarded)
    expect(valueOf(forwarded)).toEqual(forwardedBytes)
    expect(readProvenance(forwarded.headers)).toEqual({ origin: 'dc9', producerId: 'aaaaaaaaaaaaaaaa', sequence: 0 })
    // Its own records too: stamping twice keeps the first stamp.
    const own = stamper.stamp({ value: 'v' }, 'dc1')
    expect(stamper.stamp(own, 'dc2')).toBe(own)
    // Whatever the header holds, even a string.
    const stringHeader: Message = { value: 'v', headers: { [HEADER]: 'dc1' } }
    expect(stamper.stamp(stringHeader, 'dc2')).toBe(stringHeader)
    // Stamping a forwarded record consumed no sequence number.
    expect(readProvenance(stamper.stamp({ value: 'w' }, 'dc1').headers).sequence).toBe(1)
  })

  it('withOrigin returns a record stamped by a different stamper instance as the same object', () => {
    const stamper = new ProvenanceStamper({ instanceId: fixedInstance })
    const other = new ProvenanceStamper({ instanceId: Buffer.from('0807060504030201', 'hex') })
    const foreign = other.stamp({ value: 'v' }, 'dc1')
    expect(stamper.withOrigin(foreign, 'dc2')).toBe(foreign)
    expect(readProvenance(foreign.headers).origin).toBe('dc1')
    // The check is by instance id: a stamper given the same id cannot tell and treats the record as its
    // own (why the option warns against sharing ids).
    const twin = new ProvenanceStamper({ instanceId: fixedInstance })
    const twinStamped = twin.stamp({ value: 'v' }, 'dc1')
    expect(readProvenance(stamper.withOrigin(twinStamped, 'dc2').headers)).toEqual({ origin: 'dc2', producerId: INSTANCE_HEX, sequence: 0 })
  })

  it('withOrigin returns the message itself when it has no readable header of this stamper', () => {
    const stamper = new ProvenanceStamper({ instanceId: fixedInstance })
    const none: Message = { value: 'v' }
    const noHeaders: Message = { value: 'v', headers: { trace: 't' } }
    const asString: Message = { value: 'v', headers: { [HEADER]: expectedValue('dc1', '00').toString('latin1') } }
    const asArray: Message = { value: 'v', headers: { [HEADER]: [expectedValue('dc1', '00')] } }
    const malformed: Message = { value: 'v', headers: { [HEADER]: Buffer.from([1, 3, 0x64]) } }
    const wrongVersion: Message = {
      value: 'v',
      headers: { [HEADER]: Buffer.concat([Buffer.from([2]), expectedValue('dc1', '00').subarray(1)]) },
    }
    for (const message of [none, noHeaders, asString, asArray, malformed, wrongVersion]) {
      expect(stamper.withOrigin(message, 'dc2')).toBe(message)
    }
    expect(none.headers).toBeUndefined()
  })

  it('uses a configured header name', () => {
    const stamper = new ProvenanceStamper({ header: 'src', instanceId: fixedInstance })
    expect(stamper.header).toBe('src')
    const stamped = stamper.stamp({ value: 'v' }, 'dc1')
    expect(Object.keys(stamped.headers ?? {})).toEqual(['src'])
    expect(valueOf(stamped, 'src')).toEqual(expectedValue('dc1', '00'))
    expect(readProvenance(stamped.headers, 'src')).toEqual({ origin: 'dc1', producerId: INSTANCE_HEX, sequence: 0 })
    expect(readProvenance(stamped.headers)).toEqual({})
    expect(readProvenance(stamper.withOrigin(stamped, 'dc2').headers, 'src').origin).toBe('dc2')
    // A record carrying only the default header is not forwarded as far as this stamper knows.
    const other = new ProvenanceStamper().stamp({ value: 'v' }, 'dc9')
    const both = stamper.stamp(other, 'dc1')
    expect(both).not.toBe(other)
    expect(both.headers?.[HEADER]).toBe(other.headers?.[HEADER])
    expect(readProvenance(both.headers, 'src')).toEqual({ origin: 'dc1', producerId: INSTANCE_HEX, sequence: 1 })
  })

  it('rejects bad options, naming the path', () => {
    expect(errorPath(() => new ProvenanceStamper(null as never))).toBe('provenance')
    expect(errorPath(() => new ProvenanceStamper({ header: '' }))).toBe('provenance.header')
    expect(errorPath(() => new ProvenanceStamper({ header: 5 as never }))).toBe('provenance.header')
    expect(errorPath(() => new ProvenanceStamper({ instanceId: Buffer.alloc(4) }))).toBe('provenance.instanceId')
    expect(errorPath(() => new ProvenanceStamper({ instanceId: Buffer.alloc(9) }))).toBe('provenance.instanceId')
    expect(errorPath(() => new ProvenanceStamper({ instanceId: INSTANCE_HEX as never }))).toBe('provenance.instanceId')
    expect(errorPath(() => new ProvenanceStamper({ clusters: 'dc1' as never }))).toBe('provenance.clusters')
    expect(errorPath(() => new ProvenanceStamper({ clusters: [''] }))).toBe('provenance.clusters[0]')
    expect(errorPath(() => new ProvenanceStamper({ clusters: ['dc1', 7 as never] }))).toBe('provenance.clusters[1]')
    expect(errorPath(() => new ProvenanceStamper({ clusters: ['dc1', 'x'.repeat(256)] }))).toBe('provenance.clusters[1]')
    expect(errorPath(() => new ProvenanceStamper({ other: 1 } as never))).toBe('provenance.other')
  })

  it('rejects a cluster name over 255 UTF-8 bytes, counting bytes, not characters', () => {
    // 128 two-byte characters: 128 characters, 256 bytes.
    const tooLong = 'é'.repeat(128)
    expect(tooLong.length).toBe(128)
    expect(errorPath(() => new ProvenanceStamper({ clusters: [tooLong] }))).toBe('provenance.clusters[0]')
    const stamper = new ProvenanceStamper({ instanceId: fixedInstance })
    expect(() => stamper.stamp({ value: 'v' }, tooLong)).toThrow(InvalidOptionError)
    expect(() => stamper.stamp({ value: 'v' }, 'x'.repeat(256))).toThrow(InvalidOptionError)
    expect(() => stamper.stamp({ value: 'v' }, '')).toThrow(InvalidOptionError)
    // A failed stamp consumed no sequence number.
    const ok = stamper.stamp({ value: 'v' }, 'dc1')
    expect(readProvenance(ok.headers).sequence).toBe(0)
    expect(() => stamper.withOrigin(ok, tooLong)).toThrow(InvalidOptionError)
    // Exactly 255 bytes is fine, and its length byte is 255.
    const longest = 'é'.repeat(127) + 'x'
    expect(Buffer.byteLength(longest)).toBe(255)
    const stamped = stamper.stamp({ value: 'v' }, longest)
    const value = valueOf(stamped)
    expect(value[1]).toBe(255)
    expect(value).toHaveLength(2 + 255 + 8 + 1)
    expect(readProvenance(stamped.headers)).toEqual({ origin: longest, producerId: INSTANCE_HEX, sequence: 1 })
    expect(new ProvenanceStamper({ clusters: [longest] }).header).toBe(HEADER)
  })

  it('copies a given instance id so later changes to the caller buffer do not leak in', () => {
    const instance = Buffer.from(fixedInstance)
    const stamper = new ProvenanceStamper({ instanceId: instance })
    instance.fill(0)
    expect(stamper.instanceId).toBe(INSTANCE_HEX)
    expect(valueOf(stamper.stamp({ value: 'v' }, 'dc1'))).toEqual(expectedValue('dc1', '00'))
  })

  it('accepts an instance id given as a plain Uint8Array', () => {
    const stamper = new ProvenanceStamper({ instanceId: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) })
    expect(stamper.instanceId).toBe(INSTANCE_HEX)
    expect(valueOf(stamper.stamp({ value: 'v' }, 'dc1'))).toEqual(expectedValue('dc1', '00'))
  })
})

describe('wire format (version 1)', () => {
  it('pins the bytes for instance 0102030405060708, cluster dc1, sequence 0', () => {
    const value = valueOf(stamperAt(0).stamp({ value: 'v' }, 'dc1'))
    expect(value.toString('hex')).toBe('0103' + '646331' + '0102030405060708' + '00')
    // version + length + 'dc1' + instance id + one varint byte
    expect(value).toHaveLength(2 + 3 + 8 + 1)
    expect(value).toHaveLength(14)
    // The documented record overhead: header name and value, 18 to 25 bytes for a 3-character cluster.
    expect(HEADER.length + value.length).toBe(18)
    expect(HEADER.length + valueOf(stamperAt(2 ** 53 - 1).stamp({ value: 'v' }, 'dc1')).length).toBe(25)
  })

  it.each([
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [300, 'ac02'],
    [16_383, 'ff7f'],
    [16_384, '808001'],
    [2 ** 32 + 5, '8580808010'],
    [2 ** 53 - 1, 'ffffffffffffff0f'],
  ])('encodes sequence %d as the unsigned LEB128 varint %s', (sequence, varintHex) => {
    const value = valueOf(stamperAt(sequence).stamp({ value: 'v' }, 'dc1'))
    expect(value.toString('hex')).toBe('0103646331' + INSTANCE_HEX + varintHex)
    expect(value).toHaveLength(13 + varintHex.length / 2)
  })

  it('uses 1 varint byte up to 127, 2 from 128, 8 at 2^53-1', () => {
    const varintLength = (sequence: number): number => valueOf(stamperAt(sequence).stamp({ value: 'v' }, 'dc1')).length - 13
    expect(varintLength(0)).toBe(1)
    expect(varintLength(127)).toBe(1)
    expect(varintLength(128)).toBe(2)
    expect(varintLength(2 ** 14 - 1)).toBe(2)
    expect(varintLength(2 ** 14)).toBe(3)
    expect(varintLength(2 ** 49 - 1)).toBe(7)
    expect(varintLength(2 ** 49)).toBe(8)
    expect(varintLength(2 ** 53 - 1)).toBe(8)
  })

  it('encodes the origin as UTF-8 with its byte length', () => {
    const value = valueOf(stamperAt(0).stamp({ value: 'v' }, 'zürich'))
    expect(value[0]).toBe(1)
    expect(value[1]).toBe(7) // 6 characters, 7 bytes
    expect(value.subarray(2, 9).toString('utf8')).toBe('zürich')
    expect(value.subarray(9, 17)).toEqual(fixedInstance)
    expect(value.subarray(17).toString('hex')).toBe('00')
  })
})

describe('readProvenance', () => {
  it('reads what the stamper wrote', () => {
    const stamper = new ProvenanceStamper({ instanceId: fixedInstance })
    stamper.stamp({ value: 'v' }, 'dc1')
    const stamped = stamper.stamp({ value: 'v' }, 'dc1')
    expect(readProvenance(stamped.headers)).toEqual({ origin: 'dc1', producerId: INSTANCE_HEX, sequence: 1 })
    expect(readProvenance(stamped.headers, DEFAULT_PROVENANCE_HEADER)).toEqual(readProvenance(stamped.headers))
  })

  it('reads a hand-built value', () => {
    const value = Buffer.from('0103646332' + 'aabbccddeeff0011' + '2a', 'hex')
    expect(readProvenance({ [HEADER]: value })).toEqual({ origin: 'dc2', producerId: 'aabbccddeeff0011', sequence: 42 })
  })

  it.each([0, 127, 128, 300, 2 ** 31, 2 ** 32 - 1, 2 ** 32 + 5, 2 ** 49, 2 ** 53 - 2, 2 ** 53 - 1])(
    'round-trips sequence %d',
    (sequence) => {
      const stamper = stamperAt(sequence)
      const stamped = stamper.stamp({ value: 'v' }, 'dc1')
      const read = readProvenance(stamped.headers)
      expect(read).toEqual({ origin: 'dc1', producerId: INSTANCE_HEX, sequence })
      expect(Number.isSafeInteger(read.sequence)).toBe(true)
      expect(readProvenance(stamper.withOrigin(stamped, 'dc2').headers)).toEqual({ origin: 'dc2', producerId: INSTANCE_HEX, sequence })
    },
  )

  it('takes the first value when the header repeats', () => {
    const first = expectedValue('dc2', '2a')
    const second = expectedValue('dc1', '07')
    expect(readProvenance({ [HEADER]: [first, second] })).toEqual({ origin: 'dc2', producerId: INSTANCE_HEX, sequence: 42 })
    expect(readProvenance({ [HEADER]: [second, first] })).toEqual({ origin: 'dc1', producerId: INSTANCE_HEX, sequence: 7 })
    // The first value decides even when it is unreadable and a later one is fine.
    expect(readProvenance({ [HEADER]: ['dc1', first] })).toEqual({})
    expect(readProvenance({ [HEADER]: [Buffer.from([9]), first] })).toEqual({})
    expect(readProvenance({ [HEADER]: [] })).toEqual({})
  })

  it('reads only the given header name', () => {
    const value = expectedValue('dc1', '05')
    expect(readProvenance({ other: value })).toEqual({})
    expect(readProvenance({ other: value }, 'other')).toEqual({ origin: 'dc1', producerId: INSTANCE_HEX, sequence: 5 })
  })

  it('gives an empty result for a missing header', () => {
    expect(readProvenance(undefined)).toEqual({})
    expect(readProvenance({})).toEqual({})
    expect(readProvenance({ [HEADER]: undefined })).toEqual({})
    expect(readProvenance({ 'x-dr-id': Buffer.alloc(16), 'x-dr-origin': Buffer.from('dc1') })).toEqual({})
  })

  const valid = expectedValue('dc1', '8001') // sequence 128
  const malformed: Array<[string, unknown]> = [
    ['an empty value', Buffer.alloc(0)],
    ['the version byte alone', Buffer.from([1])],
    ['a value cut before the sequence', valid.subarray(0, 13)],
    ['a value cut inside the instance id', valid.subarray(0, 9)],
    ['a value cut inside the origin', valid.subarray(0, 3)],
    ['a value cut inside the varint (continuation bit set on the last byte)', valid.subarray(0, 14)],
    ['an origin length past the end', Buffer.concat([Buffer.from([1, 200]), valid.subarray(2)])],
    ['version 0', Buffer.concat([Buffer.from([0]), valid.subarray(1)])],
    ['version 2', Buffer.concat([Buffer.from([2]), valid.subarray(1)])],
    ['a zero-length origin', Buffer.from('0100' + INSTANCE_HEX + '00', 'hex')],
    ['a last byte with the continuation bit set', expectedValue('dc1', '81')],
    ['a middle varint byte without the continuation bit', expectedValue('dc1', '0101')],
    ['9 varint bytes (trailing extra bytes)', expectedValue('dc1', '8080808080808080' + '01')],
    ['a valid value followed by extra bytes', expectedValue('dc1', '00' + '0000000000000000')],
    ['an 8-byte varint of 2^53', expectedValue('dc1', '8080808080808010')],
    ['an 8-byte varint above 2^53', expectedValue('dc1', 'ffffffffffffff7f')],
    ['a string value (latin1 of a valid value)', valid.toString('latin1')],
    ['a string value (hex of a valid value)', valid.toString('hex')],
    ['a plain Uint8Array, not a Buffer', new Uint8Array(valid)],
    ['a number', 42],
    ['an object', { origin: 'dc1' }],
  ]

  it.each(malformed)('gives an empty result, without throwing, for %s', (_, value) => {
    expect(readProvenance({ [HEADER]: value } as IHeaders)).toEqual({})
    expect(readProvenance({ [HEADER]: [value] } as IHeaders)).toEqual({})
  })

  it('the malformed cases above differ from a readable value only where they say', () => {
    // Guards the table: the unchanged value and its shortest valid form do read.
    expect(readProvenance({ [HEADER]: valid })).toEqual({ origin: 'dc1', producerId: INSTANCE_HEX, sequence: 128 })
    expect(readProvenance({ [HEADER]: expectedValue('dc1', '01') })).toEqual({ origin: 'dc1', producerId: INSTANCE_HEX, sequence: 1 })
    expect(readProvenance({ [HEADER]: expectedValue('dc1', 'ffffffffffffff0f') }).sequence).toBe(2 ** 53 - 1)
  })
})

describe('ProvenanceReader', () => {
  it('reads what readProvenance reads, record after record from several producers, and nothing from malformed values', () => {
    const reader = new ProvenanceReader()
    const stampers = [new ProvenanceStamper(), new ProvenanceStamper(), new ProvenanceStamper({ header: 'other' })]
    for (let i = 0; i < 500; i++) {
      const stamper = stampers[i % 7 === 0 ? 1 : 0]!
      const message = stamper.stamp({ value: `r${i}` }, i % 3 === 0 ? 'dc2' : 'dc1')
      expect(reader.read(message.headers)).toEqual(readProvenance(message.headers))
    }
    expect(reader.read(stampers[2]!.stamp({ value: 'x' }, 'dc1').headers)).toEqual({})
    expect(reader.read({ [DEFAULT_PROVENANCE_HEADER]: Buffer.from([1, 3, 0x64]) })).toEqual({})
    expect(reader.read({ [DEFAULT_PROVENANCE_HEADER]: 'text' })).toEqual({})
    expect(reader.read(undefined)).toEqual({})
  })
})
