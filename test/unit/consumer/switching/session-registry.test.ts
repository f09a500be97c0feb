/**
 * A session's teardown on a healthy cluster whose kafkajs consumer cannot leave in time (its join
 * is held by a rebalance, or completes only after the disconnect): the member is removed on its
 * behalf, so that the group's next generation does not wait out its session.
 */
import type { Consumer, Kafka } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import type { FailoverContext } from '../../../../src/cluster/index.js'
import { validateConsumerConfig } from '../../../../src/consumer/options.js'
import type { Positioner } from '../../../../src/consumer/positioning.js'
import { ProcessedPositions } from '../../../../src/consumer/positions.js'
import type { PositionedSession } from '../../../../src/consumer/session/types.js'
import { SessionRegistry } from '../../../../src/consumer/switching/session-registry.js'
import { createReplicationPolicy } from '../../../../src/topology/index.js'

/** dc1 up (or not), whose connection's teardown finishes after `teardownMs` (never: Infinity); the kafkajs client records LeaveGroups. */
function registryOn(health: 'up' | 'down', teardownMs: number) {
  const leaves: string[] = []
  /** When the connection's teardown began, in ms since the epoch. */
  const teardowns: number[] = []
  const kafka = {
    [Symbol('private:Kafka:createCluster')]: () => ({
      connect: async () => {},
      refreshMetadata: async () => {},
      disconnect: async () => {},
      findGroupCoordinator: async () => ({
        leaveGroup: async ({ groupId, memberId }: { groupId: string; memberId: string }) => {
          leaves.push(`${groupId} ${memberId}`)
        },
      }),
    }),
  } as unknown as Kafka
  const ctx = {
    clusters: [{ name: 'dc1' }, { name: 'dc2' }],
    healthOf: () => health,
    connection: () => ({
      kafka,
      teardown: (_client: unknown, timeoutMs: number) =>
        new Promise<boolean>((resolve) => {
          teardowns.push(Date.now())
          if (teardownMs < timeoutMs) setTimeout(() => resolve(true), teardownMs)
          else setTimeout(() => resolve(false), timeoutMs)
        }),
    }),
  } as unknown as FailoverContext
  const options = validateConsumerConfig(
    { groupId: 'billing' },
    { replicationPolicy: createReplicationPolicy('prefix', ['dc1', 'dc2']), clusters: ['dc1', 'dc2'], provenance: true },
  )
  const registry = new SessionRegistry({
    ctx,
    options,
    positioner: {} as Positioner,
    positionsOn: (cluster) => new ProcessedPositions(cluster),
    listeners: [],
    isRunning: () => true,
    onPositionFailed: () => {},
    onGaveUp: () => {},
  })
  return { registry, leaves, teardowns }
}

/** A session with `memberId` from its last join; without one, `joining` says whether its consumer runs. */
const session = (
  memberId: string | undefined,
  joining = memberId === undefined,
): { -readonly [K in keyof PositionedSession]: PositionedSession[K] } => ({
  cluster: 'dc1',
  topics: ['orders'],
  reason: 'start',
  added: [],
  memberId,
  isJoining: joining,
})
const client = { events: { GROUP_JOIN: 'consumer.group_join' }, on: () => () => {} } as unknown as Consumer

/** A kafkajs consumer whose first join returns after `joinMs` (disconnected or not), when the session learns its member id. */
function joiningClient(s: ReturnType<typeof session>, joinMs: number): Consumer {
  const listeners = new Set<(event: { payload: { memberId: string } }) => void>()
  setTimeout(() => {
    s.memberId = 'member-2'
    s.isJoining = false
    for (const listener of [...listeners]) listener({ payload: { memberId: 'member-2' } })
  }, joinMs).unref()
  return {
    events: { GROUP_JOIN: 'consumer.group_join' },
    on: (_event: string, listener: (event: { payload: { memberId: string } }) => void) => {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
  } as unknown as Consumer
}

describe('SessionRegistry teardown', () => {
  it('removes the member on its behalf when kafkajs has not left by half the bound, and says it left', async () => {
    const { registry, leaves } = registryOn('up', Infinity)
    const started = Date.now()
    expect(await registry.teardown(session('member-1'), client, 400)).toBe(true)
    expect(leaves).toEqual(['billing member-1'])
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it('sends nothing when kafkajs leaves in time, before its consumer runs, or when the cluster is not up', async () => {
    for (const [health, teardownMs, memberId] of [
      ['up', 10, 'member-1'],
      ['up', Infinity, undefined],
      ['down', Infinity, 'member-1'],
    ] as const) {
      const { registry, leaves } = registryOn(health, teardownMs)
      expect(await registry.teardown(session(memberId, false), client, 200)).toBe(teardownMs === 10)
      expect(leaves).toEqual([])
    }
  })

  it('does not wait for a join that was never started (the consumer was stopped before it ran)', async () => {
    const { registry, leaves, teardowns } = registryOn('up', 10)
    const started = Date.now()
    expect(await registry.teardown(session(undefined, false), client, 1000)).toBe(true)
    expect(teardowns[0]! - started).toBeLessThan(50)
    expect(leaves).toEqual([])
  })

  it('waits for a first join under way (kafkajs leaves only after one), up to half the bound, then disconnects', async () => {
    const { registry, leaves, teardowns } = registryOn('up', 10)
    const joining = session(undefined)
    const started = Date.now()
    expect(await registry.teardown(joining, joiningClient(joining, 100), 1000)).toBe(true)
    expect(teardowns[0]! - started).toBeGreaterThanOrEqual(90)
    expect(leaves).toEqual([])
  })

  it('lets a first join still under way at half the bound finish in the background, then disconnects it', async () => {
    const { registry, leaves, teardowns } = registryOn('up', 10)
    const slow = session(undefined)
    const started = Date.now()
    // Cut at the bound, the join could complete at the broker as a member nobody can remove.
    expect(await registry.teardown(slow, joiningClient(slow, 600), 400)).toBe(false)
    expect(Date.now() - started).toBeLessThan(400)
    expect(teardowns).toEqual([])
    await new Promise((resolve) => setTimeout(resolve, 700))
    expect(teardowns[0]! - started).toBeGreaterThanOrEqual(590)
    expect(leaves).toEqual([])
  })
})
