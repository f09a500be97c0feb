import { describe, expect, it } from 'vitest'
import { CodecError } from '../../../src/errors/index.js'
import {
  CHECKPOINT_FORMAT_VERSION,
  CHECKPOINT_KEY_VERSION,
  DEFAULT_CHECKPOINT_TOPIC,
  decodeCheckpoint,
  decodeCheckpointKey,
  encodeCheckpoint,
  encodeCheckpointKey,
  encodeCheckpointValue,
  type Checkpoint,
} from '../../../src/offsets/checkpoint-codec.js'

// Fixtures are built here from the documented layout, independently of the encoder.
function str(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8')
  const len = Buffer.alloc(2)
  len.writeInt16BE(bytes.length)
  return Buffer.concat([len, bytes])
}
function key(group: string, cluster: string, topic: string, partition: number, keyVersion = 1): Buffer {
  const p = Buffer.alloc(4)
  p.writeInt32BE(partition)
  return Buffer.concat([Buffer.from([keyVersion]), str(group), str(cluster), str(topic), p])
}
function value(offset: bigint, timestamp: bigint, writtenAt: bigint, version = 1): Buffer {
  const b = Buffer.alloc(26)
  b.writeInt16BE(version, 0)
  b.writeBigInt64BE(offset, 2)
  b.writeBigInt64BE(timestamp, 10)
  b.writeBigInt64BE(writtenAt, 18)
  return b
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

const checkpoint: Checkpoint = {
  group: 'billing',
  cluster: 'dc1',
  topic: 'dc2.orders',
  partition: 4,
  offset: '1187',
  timestamp: 1_700_000_000_000,
  writtenAt: 1_700_000_000_900,
}

describe('checkpoint codec', () => {
  it('exports version 1 for key and value', () => {
    expect(CHECKPOINT_FORMAT_VERSION).toBe(1)
    expect(CHECKPOINT_KEY_VERSION).toBe(1)
  })

  it('matches the example bytes given in the module docs', () => {
    const doc = {
      group: 'g',
      cluster: 'dc1',
      topic: 'orders',
      partition: 0,
      offset: '42',
      timestamp: 1700000000000,
      writtenAt: 1700000000500,
    }
    const k = Buffer.from('01' + '0001' + '67' + '0003' + '646331' + '0006' + '6f7264657273' + '00000000', 'hex')
    const v = Buffer.from('0001' + '000000000000002a' + '0000018bcfe56800' + '0000018bcfe569f4', 'hex')
    expect(encodeCheckpointKey(doc)).toEqual(k)
    expect(encodeCheckpointValue(doc)).toEqual(v)
    expect(decodeCheckpoint(k, v)).toEqual(doc)
  })

  it('decodes hand-built bytes', () => {
    const decoded = decodeCheckpoint(key('billing', 'dc1', 'dc2.orders', 4), value(1187n, 1_700_000_000_000n, 1_700_000_000_900n))
    expect(decoded).toEqual(checkpoint)
  })

  it('round-trips, also through encodeCheckpoint', () => {
    const { key: k, value: v } = encodeCheckpoint(checkpoint)
    expect(k).toEqual(encodeCheckpointKey(checkpoint))
    expect(v).toEqual(encodeCheckpointValue(checkpoint))
    expect(v.length).toBe(26)
    expect(decodeCheckpoint(k, v)).toEqual(checkpoint)
  })

  it('keeps offsets above 2^53 exact as decimal strings', () => {
    for (const offset of ['9007199254740993', '9223372036854775807', '0']) {
      const cp = { ...checkpoint, offset }
      expect(decodeCheckpoint(encodeCheckpointKey(cp), encodeCheckpointValue(cp))?.offset).toBe(offset)
    }
    expect(decodeCheckpoint(key('g', 'c', 't', 0), value(2n ** 53n + 1n, -1n, 0n))?.offset).toBe('9007199254740993')
  })

  it('round-trips unicode group, cluster and topic names', () => {
    const cp = { ...checkpoint, group: 'groupe-été-😀-組', cluster: 'zürich', topic: 'dc1.commandes' }
    const k = encodeCheckpointKey(cp)
    expect(k.readInt16BE(1)).toBe(Buffer.byteLength(cp.group, 'utf8'))
    expect(k).toEqual(key(cp.group, cp.cluster, cp.topic, cp.partition))
    expect(decodeCheckpoint(k, encodeCheckpointValue(cp))).toEqual(cp)
  })

  it('round-trips an unknown timestamp (-1)', () => {
    const cp = { ...checkpoint, timestamp: -1 }
    expect(decodeCheckpoint(encodeCheckpointKey(cp), encodeCheckpointValue(cp))?.timestamp).toBe(-1)
  })

  it('round-trips the writer (minor revision 1.1): three STRINGs after writtenAt', () => {
    const cp = { ...checkpoint, writer: { instance: 'i1', deliveringOn: 'dc2', chose: 'dc1' } }
    const v = encodeCheckpointValue(cp)
    expect(v.subarray(26).toString('hex')).toBe('0002' + '6931' + '0003' + '646332' + '0003' + '646331')
    expect(decodeCheckpoint(encodeCheckpointKey(cp), v)).toEqual(cp)
    for (const writer of [
      { instance: '', deliveringOn: 'dc2', chose: 'dc1' },
      { instance: 'i1', deliveringOn: '', chose: 'dc1' },
      { instance: 'i1', deliveringOn: 'dc2', chose: '' },
    ]) {
      expect(codecError(() => encodeCheckpointValue({ ...cp, writer })).message).toMatch(/writer/)
    }
  })

  it('reads a 1.0 value (no writer) and one from a later minor revision that appended more fields', () => {
    const position = { group: 'g', cluster: 'c', topic: 't', partition: 1, offset: '10', timestamp: 20, writtenAt: 30 }
    expect(decodeCheckpoint(key('g', 'c', 't', 1), value(10n, 20n, 30n))).toEqual(position)
    const future = Buffer.concat([
      value(10n, 20n, 30n),
      Buffer.from('0002' + '6931' + '0003' + '646332' + '0003' + '646331' + '00000000000000ff' + '0003616263', 'hex'),
    ])
    expect(decodeCheckpoint(key('g', 'c', 't', 1), future)).toEqual({
      ...position,
      writer: { instance: 'i1', deliveringOn: 'dc2', chose: 'dc1' },
    })
  })

  it('keeps the position when the writer fields cannot be read: cut short, garbage, or empty', () => {
    const position = { group: 'g', cluster: 'c', topic: 't', partition: 1, offset: '10', timestamp: 20, writtenAt: 30 }
    for (const tail of ['0002' + '6931', 'ff', '0000' + '0000' + '0000', '00000000000000ff' + '0003616263']) {
      expect(decodeCheckpoint(key('g', 'c', 't', 1), Buffer.concat([value(10n, 20n, 30n), Buffer.from(tail, 'hex')]))).toEqual(position)
    }
  })

  it('rejects unknown value versions', () => {
    for (const version of [0, 2, -1]) {
      const error = codecError(() => decodeCheckpoint(key('g', 'c', 't', 1), value(1n, 1n, 1n, version)))
      expect(error.message).toMatch(new RegExp(`unknown version ${version}`))
      expect(error.group).toBe('g')
      expect(error.cluster).toBe('c')
    }
  })

  it('rejects unknown key versions, including an MM2 checkpoint key', () => {
    expect(codecError(() => decodeCheckpoint(key('g', 'c', 't', 1, 2), value(1n, 1n, 1n))).message).toMatch(/unknown version 2/)
    // An MM2 key starts with the INT16 length of the group: first byte 0 for short names.
    const mm2 = Buffer.concat([str('g'), str('t'), Buffer.alloc(4)])
    expect(codecError(() => decodeCheckpointKey(mm2)).message).toMatch(/unknown version 0/)
  })

  it('rejects every truncated key and value', () => {
    const k = key('group', 'dc1', 'orders', 3)
    const v = value(5n, 6n, 7n)
    for (let n = 0; n < k.length; n++) {
      expect(codecError(() => decodeCheckpoint(k.subarray(0, n), v)).message).toMatch(/truncated/)
    }
    for (let n = 0; n < v.length; n++) {
      const error = codecError(() => decodeCheckpoint(k, v.subarray(0, n)))
      expect(error.message).toMatch(/truncated/)
      expect(error.topic).toBe('orders')
    }
  })

  it('rejects trailing key bytes: the key is the compaction identity', () => {
    const k = Buffer.concat([key('g', 'c', 't', 1), Buffer.from([0])])
    expect(codecError(() => decodeCheckpointKey(k)).message).toMatch(/trailing/)
  })

  it('rejects decoded values that cannot be a position', () => {
    codecError(() => decodeCheckpoint(key('g', 'c', 't', 1), value(-1n, 1n, 1n)))
    codecError(() => decodeCheckpoint(key('g', 'c', 't', 1), value(1n, -2n, 1n)))
    codecError(() => decodeCheckpoint(key('g', 'c', 't', 1), value(1n, 2n ** 53n, 1n)))
    codecError(() => decodeCheckpoint(key('g', 'c', 't', -1), value(1n, 1n, 1n)))
    codecError(() => decodeCheckpoint(key('', 'c', 't', 1), value(1n, 1n, 1n)))
  })

  it('returns undefined for a tombstone, whose key stays decodable', () => {
    const k = encodeCheckpointKey(checkpoint)
    expect(decodeCheckpoint(k, null)).toBeUndefined()
    expect(decodeCheckpointKey(k)).toEqual({ group: 'billing', cluster: 'dc1', topic: 'dc2.orders', partition: 4 })
    codecError(() => decodeCheckpoint(null, null))
  })

  it('refuses to encode invalid checkpoints', () => {
    codecError(() => encodeCheckpointKey({ ...checkpoint, group: '' }))
    codecError(() => encodeCheckpointKey({ ...checkpoint, partition: -1 }))
    codecError(() => encodeCheckpointKey({ ...checkpoint, partition: Number.NaN }))
    codecError(() => encodeCheckpointValue({ ...checkpoint, offset: '-1' }))
    codecError(() => encodeCheckpointValue({ ...checkpoint, offset: '12a' }))
    codecError(() => encodeCheckpointValue({ ...checkpoint, timestamp: -2 }))
    codecError(() => encodeCheckpointValue({ ...checkpoint, writtenAt: 1.5 }))
  })
})

describe('checkpoint topic name', () => {
  it('defaults to kafkajs-dr.checkpoints', () => {
    expect(DEFAULT_CHECKPOINT_TOPIC).toBe('kafkajs-dr.checkpoints')
  })
})
