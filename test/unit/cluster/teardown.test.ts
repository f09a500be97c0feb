/** Teardown: bounded, a cluster whose teardown timed out is not waited for again, nothing opened after a close. */
import type { Kafka } from 'kafkajs'
import { describe, expect, it, vi } from 'vitest'
import { ClusterConnection, disconnectWithin } from '../../../src/cluster/index.js'
import { NotConnectedError } from '../../../src/errors/index.js'
import { ConnectOnce } from '../../../src/util/connect-once.js'

const hung = { disconnect: () => new Promise<void>(() => {}) }
const quick = { disconnect: async () => {} }

describe('ClusterConnection.teardown', () => {
  it('waits at most the bound for a hung client, then does not wait on that cluster again', async () => {
    const cluster = new ClusterConnection('dc1', 1, {} as Kafka)
    let started = Date.now()
    expect(await cluster.teardown(hung, 200)).toBe(false)
    expect(Date.now() - started).toBeGreaterThanOrEqual(190)
    started = Date.now()
    expect(await cluster.teardown(hung, 200)).toBe(false)
    expect(Date.now() - started).toBeLessThan(50)
    // Another cluster is not affected.
    expect(await new ClusterConnection('dc2', 2, {} as Kafka).teardown(quick, 200)).toBe(true)
  })

  it('knows the cluster hangs from the timeout itself, even when its timer fires early by Date.now()', async () => {
    // Timers fire when told while Date.now() stands still: the extreme of a timer that fires a
    // millisecond before Date.now() says its time is up (about one in eight 50 ms timers here).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      const cluster = new ClusterConnection('dc1', 1, {} as Kafka)
      const first = cluster.teardown(hung, 3000)
      await vi.advanceTimersByTimeAsync(3000)
      expect(await first).toBe(false)
      expect(cluster.isUnresponsive).toBe(true)
    } finally {
      vi.useRealTimers()
    }
  })

  it('disconnectWithin: 0 ms starts the disconnect without waiting; a throw is swallowed', async () => {
    let called = false
    expect(
      await disconnectWithin(
        {
          disconnect: async () => {
            called = true
          },
        },
        0,
      ),
    ).toBe(false)
    expect(called).toBe(true)
    expect(
      await disconnectWithin(
        {
          disconnect: async () => {
            throw new Error('socket closed')
          },
        },
        100,
      ),
    ).toBe(false)
  })
})

describe('after close()', () => {
  it('a cluster connection lends no admin and its probes fail without connecting anything', async () => {
    let admins = 0
    const cluster = new ClusterConnection('dc1', 1, {
      admin: () => {
        admins++
        return { connect: async () => {}, disconnect: async () => {}, describeCluster: async () => ({ clusterId: 'x', brokers: [] }) }
      },
    } as unknown as Kafka)
    await cluster.close(100)
    await expect(cluster.admin()).rejects.toBeInstanceOf(NotConnectedError)
    const result = await cluster.probe(200)
    expect(result.ok).toBe(false)
    expect(admins).toBe(0)
  })

  it('ConnectOnce refuses to connect, and tears down a client whose attempt succeeded after the close', async () => {
    let finish!: () => void
    const teardowns: number[] = []
    const once = new ConnectOnce(
      {
        connect: () =>
          new Promise<void>((resolve) => {
            finish = resolve
          }),
      },
      () => {},
    )
    const connecting = once.connect()
    await once.close(async (ms) => {
      teardowns.push(ms)
    }, 500)
    await expect(once.connect()).rejects.toBeInstanceOf(NotConnectedError)
    // Torn down at the close, bounded; and again, without waiting, once the late attempt succeeded.
    expect(teardowns).toEqual([500])
    finish()
    await connecting
    await new Promise((r) => setTimeout(r, 0))
    expect(teardowns).toEqual([500, 0])
  })
})

describe('close() during a probe', () => {
  /** An admin whose connect() hangs until disconnect() breaks it off, as a TLS handshake does. */
  function interruptible(events: string[]) {
    let breakOff!: (error: Error) => void
    return {
      connect: () =>
        new Promise<void>((_resolve, reject) => {
          breakOff = reject
        }),
      disconnect: async () => {
        events.push('disconnect')
        // kafkajs rejects the connect a moment later (and logs the broken handshake then).
        setTimeout(() => {
          events.push('probe ended')
          breakOff(new Error('Client network socket disconnected before secure TLS connection was established'))
        }, 20)
      },
      describeCluster: async () => ({ clusterId: 'x', brokers: [] }),
    }
  }

  it('resolves after the probe it cut short has ended, so nothing of it comes after', async () => {
    const events: string[] = []
    const cluster = new ClusterConnection('dc1', 1, { admin: () => interruptible(events) } as unknown as Kafka)
    const probing = cluster.probe(5000)
    await new Promise((r) => setTimeout(r, 10))
    await cluster.close(1000)
    events.push('closed')
    expect(events).toEqual(['disconnect', 'probe ended', 'closed'])
    expect((await probing).ok).toBe(false)
  })

  it('does not wait for a probe on a cluster whose teardown hangs', async () => {
    const cluster = new ClusterConnection('dc1', 1, {
      admin: () => ({ connect: () => new Promise<void>(() => {}), disconnect: () => new Promise<void>(() => {}) }),
    } as unknown as Kafka)
    void cluster.probe(5000)
    await new Promise((r) => setTimeout(r, 10))
    const started = Date.now()
    await cluster.close(200)
    expect(Date.now() - started).toBeLessThan(400)
  })
})

describe('an admin given up on while its cluster hangs', () => {
  /**
   * An admin on a hung cluster: connect() finishes only when the cluster wakes up (`wake`), and
   * kafkajs then keeps what it connected, whatever disconnect() was called before.
   */
  function hungAdmin() {
    let wake!: () => void
    const admin = {
      disconnects: 0,
      connect: () =>
        new Promise<void>((resolve) => {
          wake = resolve
        }),
      disconnect: async () => {
        admin.disconnects++
      },
      describeCluster: async () => ({ clusterId: 'x', brokers: [] }),
    }
    return { admin, wake: () => wake() }
  }
  const settle = () => new Promise((r) => setTimeout(r, 10))

  it('a probe that timed out disconnects its admin, and again once the late connect has finished', async () => {
    const { admin, wake } = hungAdmin()
    const cluster = new ClusterConnection('dc1', 1, { admin: () => admin } as unknown as Kafka)
    expect((await cluster.probe(30)).ok).toBe(false)
    await settle()
    expect(admin.disconnects).toBe(1)
    wake()
    await settle()
    expect(admin.disconnects).toBe(2)
  })

  it('the shared admin that timed out connecting is disconnected again once its connect has finished', async () => {
    const { admin, wake } = hungAdmin()
    const cluster = new ClusterConnection('dc1', 1, { admin: () => admin } as unknown as Kafka)
    await expect(cluster.admin(30)).rejects.toThrow(/did not finish within 30 ms/)
    await settle()
    expect(admin.disconnects).toBe(1)
    wake()
    await settle()
    expect(admin.disconnects).toBe(2)
  })
})
