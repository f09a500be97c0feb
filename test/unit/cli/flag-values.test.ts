import { describe, expect, it } from 'vitest'
import { parseCluster, parseDuration } from '../../../src/cli/flag-values.js'

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
