import { describe, expect, it } from 'vitest'
import { clusterName, parseCluster, parseDuration, topicName, wholeNumber } from '../../../src/flags/values.js'

describe('kafkajs-dr flag values', () => {
  it('reads NAME=HOST:PORT[,HOST:PORT] and durations', () => {
    expect(parseCluster('dc_1=host-a:9092, host-b:19092')).toEqual({ name: 'dc_1', brokers: ['host-a:9092', 'host-b:19092'] })
    expect(() => parseCluster('dc1')).toThrow(/expected NAME=HOST:PORT/)
    expect(() => parseCluster('=a:1')).toThrow(/expected NAME=HOST:PORT/)
    expect(() => parseCluster('dc1=host')).toThrow("--cluster dc1: 'host' is not HOST:PORT")
    expect(() => parseCluster('dc1=host:70000')).toThrow("--cluster dc1: 'host:70000' is not HOST:PORT")
    expect(parseDuration('--timeout', '30')).toBe(30_000)
    expect(parseDuration('--timeout', '1.5s')).toBe(1500)
    expect(parseDuration('--timeout', '250ms')).toBe(250)
    expect(parseDuration('--timeout', '2m')).toBe(120_000)
  })
})

describe('shared flag values', () => {
  it("one rule for --cluster everywhere: the library's cluster names (1 to 64 characters), hosts without =", () => {
    expect(parseCluster(`${'a'.repeat(64)}=h:1`).name).toHaveLength(64)
    expect(() => parseCluster(`${'a'.repeat(65)}=h:1`)).toThrow(/expected NAME=HOST:PORT/)
    expect(() => parseCluster('dc.1=h:1')).toThrow(/expected NAME=HOST:PORT/)
    expect(() => parseCluster('dc1=a=b:1')).toThrow("--cluster dc1: 'a=b:1' is not HOST:PORT")
    expect(() => parseCluster('dc1', '--peer')).toThrow('--peer: expected NAME=HOST:PORT')
  })

  it('reads cluster and topic names and whole numbers, or says what they take', () => {
    expect(clusterName('--to', 'dc-2_b')).toBe('dc-2_b')
    expect(() => clusterName('--to', 'dc 2')).toThrow("--to: 'dc 2' is not a cluster name (letters, digits, '_', '-')")
    expect(topicName('--topic', 'orders.v2_x-y')).toBe('orders.v2_x-y')
    for (const bad of ['', '.', '..', 'a/b', 'a b', 'x'.repeat(250)])
      expect(() => topicName('--topic', bad)).toThrow(/is not a Kafka topic name/)
    expect(() => topicName('--topic', 'x'.repeat(201), 200)).toThrow(/is not a Kafka topic name/)
    expect(wholeNumber('--rate', '42', 1, 100, 'records a second')).toBe(42)
    expect(() => wholeNumber('--rate', '4.2', 1, 100, 'records a second')).toThrow(
      "--rate: expected records a second, a whole number from 1 to 100, got '4.2'",
    )
    expect(() => parseDuration('--timeout', '50ms', 100)).toThrow("--timeout: expected at least 100 ms, got '50ms'")
  })
})
