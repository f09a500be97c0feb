import kafkajs from 'kafkajs'
import { afterEach, describe, expect, it, vi } from 'vitest'

afterEach(() => {
  vi.doUnmock('node:module')
  vi.resetModules()
})

describe('kafkajs internals', () => {
  it("come from kafkajs' own modules", async () => {
    const internals = await import('../../../src/cluster/kafkajs-internals.js')
    expect(internals.CONSUMER_EVENTS.GROUP_JOIN).toBe('consumer.group_join')
    expect(internals.filterAbortedMessages).toBeTypeOf('function')
    expect(internals.ConnectionClass).toBeTypeOf('function')
    expect(internals.clusterFactoryOf(new kafkajs.Kafka({ brokers: ['127.0.0.1:9'] }))).toBeTypeOf('function')
  })

  it('never make the import fail when kafkajs moved its modules: event names from a consumer, reads through the public API', async () => {
    // A kafkajs whose files moved: every require of its internal paths throws.
    vi.doMock('node:module', async (importOriginal) => {
      const original = await importOriginal<typeof import('node:module')>()
      return {
        // eslint-disable-next-line @typescript-eslint/no-misused-spread -- a module namespace, not a class
        ...original,
        createRequire: (url: string | URL) => {
          const real = original.createRequire(url)
          return Object.assign((id: string) => {
            if (id.startsWith('kafkajs/src/')) throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' })
            return real(id) as unknown
          }, real)
        },
      }
    })
    vi.resetModules()
    const internals = await import('../../../src/cluster/kafkajs-internals.js')
    expect(internals.CONSUMER_EVENTS).toEqual(new kafkajs.Kafka({ brokers: ['127.0.0.1:9'] }).consumer({ groupId: 'g' }).events)
    expect(internals.filterAbortedMessages).toBeUndefined()
    expect(internals.ConnectionClass).toBeUndefined()
    expect(internals.clusterFactoryOf(new kafkajs.Kafka({ brokers: ['127.0.0.1:9'] }))).toBeUndefined()
  })
})
