import { describe, expect, it } from 'vitest'
import { BED_CLUSTERS, brokerProperties, parseBrokerProfile, profileOfProperties } from '../../bed/config.js'

describe('broker profiles of the bed', () => {
  const dc1 = BED_CLUSTERS[0]!

  it("'bed' starts a group's first rebalance at once; 'kafka-defaults' leaves Kafka's default (3000 ms)", () => {
    expect(brokerProperties(dc1, '/data', 'bed')).toContain('group.initial.rebalance.delay.ms=0\n')
    expect(brokerProperties(dc1, '/data', 'kafka-defaults')).not.toContain('group.initial.rebalance.delay.ms')
    expect(brokerProperties(dc1, '/data')).toBe(brokerProperties(dc1, '/data', 'bed'))
  })

  it('changes nothing but the group settings', () => {
    const lines = (text: string): string[] => text.split('\n').filter((l) => !l.startsWith('group.'))
    expect(lines(brokerProperties(dc1, '/data', 'kafka-defaults'))).toEqual(lines(brokerProperties(dc1, '/data', 'bed')))
  })

  it('tells the profile of a written server.properties', () => {
    expect(profileOfProperties(brokerProperties(dc1, '/data', 'bed'))).toBe('bed')
    expect(profileOfProperties(brokerProperties(dc1, '/data', 'kafka-defaults'))).toBe('kafka-defaults')
  })

  it('parses profile names and rejects others', () => {
    expect(parseBrokerProfile('kafka-defaults')).toBe('kafka-defaults')
    expect(() => parseBrokerProfile('defaults')).toThrow(/unknown broker profile/)
  })
})
