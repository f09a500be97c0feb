import { describe, expect, it } from 'vitest'
import type { KafkaMessage } from 'kafkajs'
import { encodeCheckpoint, type Checkpoint } from '../../../src/offsets/checkpoint-codec.js'
import { CheckpointCollector } from '../../../src/offsets/checkpoint-reader.js'

const TOPICS = ['kafkajs-dr.checkpoints', 'dc2.kafkajs-dr.checkpoints']

let offset = 0
function record(checkpoint: Checkpoint): KafkaMessage {
  const { key, value } = encodeCheckpoint(checkpoint)
  return { key, value, offset: String(offset++), timestamp: '0', attributes: 0, headers: {} }
}

const position = (partition: number, writtenAt: number, writer?: Checkpoint['writer'], group = 'g'): Checkpoint => ({
  group,
  cluster: 'dc1',
  topic: 'orders',
  partition,
  offset: String(writtenAt),
  timestamp: writtenAt,
  writtenAt,
  ...(writer ? { writer } : {}),
})

describe('CheckpointCollector.writersSince', () => {
  it('tells where each instance of a group delivered last, from any checkpoint topic, skipping writer-less checkpoints and other groups', () => {
    const c = new CheckpointCollector(TOPICS, [], '.')
    c.add(TOPICS[0]!, 0, record(position(0, 1000, { instance: 'a', deliveringOn: 'dc1', chose: 'dc1' })))
    c.add(TOPICS[1]!, 0, record(position(1, 3000, { instance: 'a', deliveringOn: 'dc2', chose: 'dc2' })))
    // An older checkpoint of a's read later (a replica catching up) does not move it back.
    c.add(TOPICS[0]!, 0, record(position(2, 2000, { instance: 'a', deliveringOn: 'dc1', chose: 'dc1' })))
    c.add(TOPICS[0]!, 0, record(position(3, 2500, { instance: 'b', deliveringOn: 'dc1', chose: 'dc2' })))
    c.add(TOPICS[0]!, 0, record(position(4, 2600)))
    c.add(TOPICS[0]!, 0, record(position(5, 2700, { instance: 'z', deliveringOn: 'dc1', chose: 'dc1' }, 'other-group')))
    expect(c.writersSince('g', 0)).toEqual([
      { instance: 'a', deliveringOn: 'dc2', chose: 'dc2', writtenAt: 3000 },
      { instance: 'b', deliveringOn: 'dc1', chose: 'dc2', writtenAt: 2500 },
    ])
    expect(c.writersSince('g', 2600).map((w) => w.instance)).toEqual(['a'])
    expect(c.writersSince('nobody', 0)).toEqual([])
  })

  it('forgets instances whose newest checkpoint is long gone', () => {
    const c = new CheckpointCollector(TOPICS, [], '.')
    c.add(TOPICS[0]!, 0, record(position(0, 1000, { instance: 'old', deliveringOn: 'dc1', chose: 'dc1' })))
    expect(c.writersSince('g', 11 * 60_000)).toEqual([])
    // Asked again about an earlier moment: it is no longer there.
    expect(c.writersSince('g', 0)).toEqual([])
  })
})
