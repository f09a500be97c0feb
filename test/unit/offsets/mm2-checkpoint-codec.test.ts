import { describe, expect, it } from 'vitest'
import { CodecError } from '../../../src/errors/index.js'
import {
  decodeMm2Checkpoint,
  encodeMm2CheckpointKey,
  encodeMm2CheckpointValue,
  type Mm2Checkpoint,
} from '../../../src/offsets/mm2-checkpoint-codec.js'

// Fixtures are built here field by field from the layout of MM2's Checkpoint.java (Kafka protocol
// STRING = INT16 byte length + UTF-8; big-endian integers), independently of our encoder.
function str(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8')
  const len = Buffer.alloc(2)
  len.writeInt16BE(bytes.length)
  return Buffer.concat([len, bytes])
}
function i16(n: number): Buffer {
  const b = Buffer.alloc(2)
  b.writeInt16BE(n)
  return b
}
function i32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b
}
function i64(n: bigint): Buffer {
  const b = Buffer.alloc(8)
  b.writeBigInt64BE(n)
  return b
}
function mm2Key(group: string, topic: string, partition: number): Buffer {
  return Buffer.concat([str(group), str(topic), i32(partition)])
}
function mm2Value(upstream: bigint, downstream: bigint, metadata: string, version = 0): Buffer {
  return Buffer.concat([i16(version), i64(upstream), i64(downstream), str(metadata)])
}

function codecError(fn: () => unknown): CodecError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(CodecError)
    expect((error as CodecError).code).toBe('ERR_CODEC')
    return error as CodecError
  }
  throw new Error('expected a CodecError, nothing was thrown')
}

describe('decodeMm2Checkpoint', () => {
  it('decodes a hand-built MM2 record', () => {
    const key = mm2Key('billing', 'dc1.orders', 3)
    const value = mm2Value(1200n, 1187n, '')
    expect(decodeMm2Checkpoint(key, value)).toEqual({
      group: 'billing',
      topic: 'dc1.orders',
      partition: 3,
      upstreamOffset: '1200',
      offset: '1187',
      metadata: '',
    })
  })

  it('matches a literal byte fixture', () => {
    // group "g", topic "t", partition 1; version 0, upstream 10, downstream 7, metadata "m"
    const key = Buffer.from('0001' + '67' + '0001' + '74' + '00000001', 'hex')
    const value = Buffer.from('0000' + '000000000000000a' + '0000000000000007' + '0001' + '6d', 'hex')
    expect(decodeMm2Checkpoint(key, value)).toEqual({
      group: 'g',
      topic: 't',
      partition: 1,
      upstreamOffset: '10',
      offset: '7',
      metadata: 'm',
    })
  })

  it('keeps offsets above 2^53 exact as decimal strings', () => {
    const value = mm2Value(2n ** 63n - 1n, 2n ** 53n + 1n, 'meta')
    const cp = decodeMm2Checkpoint(mm2Key('g', 't', 0), value)
    expect(cp.upstreamOffset).toBe('9223372036854775807')
    expect(cp.offset).toBe('9007199254740993')
  })

  it('decodes unicode names, with lengths counted in UTF-8 bytes', () => {
    const group = 'groupe-été-😀-組'
    const key = mm2Key(group, 'dc1.commandes-ü', 0)
    expect(key.readInt16BE(0)).toBe(Buffer.byteLength(group, 'utf8'))
    const cp = decodeMm2Checkpoint(key, mm2Value(1n, 1n, 'métadonnée'))
    expect(cp.group).toBe(group)
    expect(cp.topic).toBe('dc1.commandes-ü')
    expect(cp.metadata).toBe('métadonnée')
  })

  it('keeps a leading byte-order mark, as Java does', () => {
    const cp = decodeMm2Checkpoint(mm2Key('\uFEFFg', 't', 0), mm2Value(1n, 1n, ''))
    expect(cp.group).toBe('\uFEFFg')
  })

  it('ignores trailing bytes after the known fields, like MM2 Schema.read', () => {
    const key = Buffer.concat([mm2Key('g', 't', 2), Buffer.from([0xff])])
    const value = Buffer.concat([mm2Value(5n, 4n, ''), Buffer.from([1, 2, 3])])
    expect(decodeMm2Checkpoint(key, value)).toMatchObject({ partition: 2, upstreamOffset: '5', offset: '4' })
  })

  it('rejects every truncated key and value', () => {
    const key = mm2Key('group', 'topic', 1)
    const value = mm2Value(100n, 90n, 'md')
    for (let n = 0; n < key.length; n++) {
      expect(codecError(() => decodeMm2Checkpoint(key.subarray(0, n), value)).message).toMatch(/truncated/)
    }
    for (let n = 0; n < value.length; n++) {
      const error = codecError(() => decodeMm2Checkpoint(key, value.subarray(0, n)))
      expect(error.message).toMatch(/truncated/)
      expect(error.group).toBe('group')
      expect(error.partition).toBe(1)
    }
  })

  it('rejects an unknown value version', () => {
    const error = codecError(() => decodeMm2Checkpoint(mm2Key('g', 't', 0), mm2Value(1n, 1n, '', 1)))
    expect(error.message).toMatch(/unknown version 1/)
  })

  it('rejects a negative string length: STRING is not nullable in MM2', () => {
    const value = Buffer.concat([i16(0), i64(1n), i64(1n), i16(-1)])
    expect(codecError(() => decodeMm2Checkpoint(mm2Key('g', 't', 0), value)).message).toMatch(/negative length/)
  })

  it('rejects bytes that are not UTF-8', () => {
    const key = Buffer.concat([i16(2), Buffer.from([0xc3, 0x28]), str('t'), i32(0)])
    expect(codecError(() => decodeMm2Checkpoint(key, mm2Value(1n, 1n, ''))).message).toMatch(/UTF-8/)
  })

  it('rejects a missing key or value', () => {
    codecError(() => decodeMm2Checkpoint(null, mm2Value(1n, 1n, '')))
    expect(codecError(() => decodeMm2Checkpoint(mm2Key('g', 't', 0), null)).message).toMatch(/no value/)
  })
})

describe('encodeMm2CheckpointKey / encodeMm2CheckpointValue', () => {
  const checkpoint: Mm2Checkpoint = {
    group: 'billing-😀',
    topic: 'dc1.orders',
    partition: 7,
    upstreamOffset: '9223372036854775807',
    offset: '12',
    metadata: 'x',
  }

  it('writes the same bytes as the hand-built layout', () => {
    expect(encodeMm2CheckpointKey(checkpoint)).toEqual(mm2Key('billing-😀', 'dc1.orders', 7))
    expect(encodeMm2CheckpointValue(checkpoint)).toEqual(mm2Value(2n ** 63n - 1n, 12n, 'x'))
  })

  it('round-trips', () => {
    expect(decodeMm2Checkpoint(encodeMm2CheckpointKey(checkpoint), encodeMm2CheckpointValue(checkpoint))).toEqual(checkpoint)
  })

  it('rejects offsets that are not INT64 decimal strings', () => {
    for (const bad of ['', '1.5', 'abc', '9223372036854775808', '-9223372036854775809', ' 1']) {
      codecError(() => encodeMm2CheckpointValue({ ...checkpoint, offset: bad }))
    }
    expect(encodeMm2CheckpointValue({ ...checkpoint, offset: '-9223372036854775808' }).readBigInt64BE(10)).toBe(-(2n ** 63n))
  })

  it('rejects strings longer than 32767 UTF-8 bytes and unpaired surrogates', () => {
    expect(encodeMm2CheckpointKey({ ...checkpoint, group: 'a'.repeat(32767) }).length).toBe(2 + 32767 + 2 + 10 + 4)
    expect(codecError(() => encodeMm2CheckpointKey({ ...checkpoint, group: 'é'.repeat(16384) })).message).toMatch(/32767/)
    expect(codecError(() => encodeMm2CheckpointValue({ ...checkpoint, metadata: 'a\uD800b' })).message).toMatch(/surrogate/)
  })

  it('rejects a partition that is not an INT32', () => {
    codecError(() => encodeMm2CheckpointKey({ ...checkpoint, partition: 1.5 }))
    codecError(() => encodeMm2CheckpointKey({ ...checkpoint, partition: 2 ** 31 }))
  })
})
