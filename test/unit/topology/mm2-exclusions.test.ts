import { describe, expect, it } from 'vitest'
import { DEFAULT_CHECKPOINT_TOPIC } from '../../../src/offsets/checkpoint-codec.js'
import { MM2_DEFAULT_TOPICS_EXCLUDE, isExcludedByMm2Defaults, mm2DefaultExclusion } from '../../../src/topology/mm2-exclusions.js'

describe('MM2 default exclusions', () => {
  it("mirrors MM2's default topics.exclude", () => {
    expect(MM2_DEFAULT_TOPICS_EXCLUDE).toEqual(['.*[\\-\\.]internal', '.*\\.replica', '__.*'])
  })

  it('lets the default checkpoint topic and ordinary names through', () => {
    for (const topic of [DEFAULT_CHECKPOINT_TOPIC, 'orders', 'dc1.orders', 'internal-orders', 'my_topic']) {
      expect(mm2DefaultExclusion(topic), topic).toBeUndefined()
      expect(isExcludedByMm2Defaults(topic), topic).toBe(false)
    }
  })

  it.each([
    ['foo.internal', 'topics.exclude pattern `.*[\\-\\.]internal`'],
    ['foo-internal', 'topics.exclude pattern `.*[\\-\\.]internal`'],
    ['mm2-offsets.dc1.internal', 'topics.exclude pattern `.*[\\-\\.]internal`'],
    ['x.checkpoints.internal', 'topics.exclude pattern `.*[\\-\\.]internal`'],
    ['x.replica', 'topics.exclude pattern `.*\\.replica`'],
    ['__x', 'topics.exclude pattern `__.*`'],
    ['__consumer_timestamps', 'topics.exclude pattern `__.*`'],
    ['.hidden', 'ReplicationPolicy.isInternalTopic (a name starting with `.`)'],
  ])('names the rule that excludes %s', (topic, rule) => {
    expect(mm2DefaultExclusion(topic)).toBe(rule)
    expect(isExcludedByMm2Defaults(topic)).toBe(true)
  })

  it('matches whole names only, like Java Matcher.matches()', () => {
    for (const topic of ['foo.replicas', 'internal', 'foo.internals', 'foo_internal', 'a__b', 'replica']) {
      expect(mm2DefaultExclusion(topic), topic).toBeUndefined()
    }
  })
})
