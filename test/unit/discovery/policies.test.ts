import { describe, expect, it } from 'vitest'
import { mostPreferredUp, priorityPolicy, stickyPolicy } from '../../../src/discovery/policies.js'
import type { ClusterView, DiscoveryView, HealthState } from '../../../src/discovery/types.js'

const NOW = 10_000_000
const LONG_AGO = NOW - 3_600_000

/** A view listing clusters most preferred first, as discovery builds it. `since` defaults to an hour ago. */
function view(active: string | undefined, clusters: Array<[name: string, health: HealthState, since?: number]>): DiscoveryView {
  const list: ClusterView[] = clusters.map(([name, health, since = LONG_AGO], i) => ({
    name,
    priority: i + 1,
    local: false,
    health,
    since,
  }))
  return { now: NOW, active, clusters: list }
}

describe('mostPreferredUp', () => {
  it('returns the first up cluster in view order, skipping down and unknown ones', () => {
    expect(
      mostPreferredUp(
        view(undefined, [
          ['dc1', 'down'],
          ['dc2', 'unknown'],
          ['dc3', 'up'],
          ['dc4', 'up'],
        ]),
      ),
    ).toBe('dc3')
  })

  it('follows the order of the view, not the names', () => {
    expect(
      mostPreferredUp(
        view(undefined, [
          ['zeta', 'up'],
          ['alpha', 'up'],
        ]),
      ),
    ).toBe('zeta')
  })

  it('returns undefined when no cluster is up', () => {
    expect(
      mostPreferredUp(
        view('dc1', [
          ['dc1', 'down'],
          ['dc2', 'unknown'],
        ]),
      ),
    ).toBeUndefined()
    expect(mostPreferredUp(view(undefined, []))).toBeUndefined()
  })
})

describe('priorityPolicy', () => {
  const policy = priorityPolicy({ autoFailback: true, failbackDelayMs: 30_000 })
  const noFailback = priorityPolicy({ autoFailback: false, failbackDelayMs: 30_000 })

  it('without an active cluster, picks the most preferred up cluster', () => {
    expect(
      policy(
        view(undefined, [
          ['dc1', 'down'],
          ['dc2', 'up'],
          ['dc3', 'up'],
        ]),
      ),
    ).toBe('dc2')
  })

  it('without an active cluster, picks a preferred cluster that just came up (no failback delay applies)', () => {
    expect(
      policy(
        view(undefined, [
          ['dc1', 'up', NOW],
          ['dc2', 'up'],
        ]),
      ),
    ).toBe('dc1')
  })

  it('when the active cluster is down, picks the most preferred up cluster', () => {
    expect(
      policy(
        view('dc1', [
          ['dc1', 'down'],
          ['dc2', 'up'],
          ['dc3', 'up'],
        ]),
      ),
    ).toBe('dc2')
  })

  it('treats an active cluster of unknown health as not up', () => {
    expect(
      policy(
        view('dc1', [
          ['dc1', 'unknown'],
          ['dc2', 'up'],
        ]),
      ),
    ).toBe('dc2')
  })

  it('treats an active cluster missing from the view as not up', () => {
    expect(
      policy(
        view('gone', [
          ['dc1', 'down'],
          ['dc2', 'up'],
        ]),
      ),
    ).toBe('dc2')
  })

  it('returns undefined when no cluster is up', () => {
    expect(
      policy(
        view(undefined, [
          ['dc1', 'down'],
          ['dc2', 'unknown'],
        ]),
      ),
    ).toBeUndefined()
    expect(
      policy(
        view('dc1', [
          ['dc1', 'down'],
          ['dc2', 'down'],
        ]),
      ),
    ).toBeUndefined()
  })

  it('keeps the active cluster while it is up and the most preferred', () => {
    expect(
      policy(
        view('dc1', [
          ['dc1', 'up'],
          ['dc2', 'up'],
        ]),
      ),
    ).toBe('dc1')
  })

  it('keeps a less preferred active cluster while the preferred ones are not up', () => {
    expect(
      policy(
        view('dc3', [
          ['dc1', 'down'],
          ['dc2', 'unknown'],
          ['dc3', 'up'],
        ]),
      ),
    ).toBe('dc3')
  })

  it('fails back once the preferred cluster has been up for exactly failbackDelayMs', () => {
    expect(
      policy(
        view('dc2', [
          ['dc1', 'up', NOW - 30_000],
          ['dc2', 'up'],
        ]),
      ),
    ).toBe('dc1')
  })

  it('does not fail back while the preferred cluster has been up for less than failbackDelayMs', () => {
    expect(
      policy(
        view('dc2', [
          ['dc1', 'up', NOW - 29_999],
          ['dc2', 'up'],
        ]),
      ),
    ).toBe('dc2')
    expect(
      policy(
        view('dc2', [
          ['dc1', 'up', NOW],
          ['dc2', 'up'],
        ]),
      ),
    ).toBe('dc2')
  })

  it('fails back to the most preferred of several up clusters', () => {
    expect(
      policy(
        view('dc3', [
          ['dc1', 'up'],
          ['dc2', 'up'],
          ['dc3', 'up'],
        ]),
      ),
    ).toBe('dc1')
  })

  it('fails back to a more preferred cluster that has been up long enough while the most preferred one is still settling', () => {
    const policy = priorityPolicy({ autoFailback: true, failbackDelayMs: 30_000 })
    expect(
      policy(
        view('dc3', [
          ['dc1', 'up', NOW - 10_000],
          ['dc2', 'up'],
          ['dc3', 'up'],
        ]),
      ),
    ).toBe('dc2')
  })

  it('never fails back to a less preferred cluster, however long it has been up', () => {
    expect(
      policy(
        view('dc2', [
          ['dc1', 'down'],
          ['dc2', 'up', NOW],
          ['dc3', 'up'],
        ]),
      ),
    ).toBe('dc2')
  })

  it('never fails back without autoFailback, however long the preferred cluster has been up', () => {
    expect(
      noFailback(
        view('dc2', [
          ['dc1', 'up', NOW - 10 * 3_600_000],
          ['dc2', 'up'],
        ]),
      ),
    ).toBe('dc2')
  })

  it('without autoFailback still leaves a down active cluster for the most preferred up one', () => {
    expect(
      noFailback(
        view('dc2', [
          ['dc1', 'up', NOW],
          ['dc2', 'down'],
          ['dc3', 'up'],
        ]),
      ),
    ).toBe('dc1')
  })

  it('with failbackDelayMs 0 fails back at once', () => {
    const eager = priorityPolicy({ autoFailback: true, failbackDelayMs: 0 })
    expect(
      eager(
        view('dc2', [
          ['dc1', 'up', NOW],
          ['dc2', 'up'],
        ]),
      ),
    ).toBe('dc1')
  })
})

describe('stickyPolicy', () => {
  it('stays on an up active cluster even when a more preferred one has long been up', () => {
    expect(
      stickyPolicy(
        view('dc2', [
          ['dc1', 'up'],
          ['dc2', 'up'],
        ]),
      ),
    ).toBe('dc2')
  })

  it('leaves a down active cluster for the most preferred up one', () => {
    expect(
      stickyPolicy(
        view('dc2', [
          ['dc1', 'down'],
          ['dc2', 'down'],
          ['dc3', 'up'],
          ['dc4', 'up'],
        ]),
      ),
    ).toBe('dc3')
  })

  it('without an active cluster picks the most preferred up one', () => {
    expect(
      stickyPolicy(
        view(undefined, [
          ['dc1', 'unknown'],
          ['dc2', 'up'],
        ]),
      ),
    ).toBe('dc2')
  })

  it('returns undefined when no cluster is up', () => {
    expect(
      stickyPolicy(
        view('dc1', [
          ['dc1', 'down'],
          ['dc2', 'down'],
        ]),
      ),
    ).toBeUndefined()
  })
})
