import type { Consumer } from 'kafkajs'
import type { FailoverContext } from '../../cluster/index.js'
import { NotConnectedError } from '../../errors/index.js'
import { removeGroupMembers } from '../../cluster/leave-group.js'
import { logger } from '../../util/log.js'
import { delay, withTimeout } from '../../util/timeout.js'
import { CLUSTER_CALL_TIMEOUT_MS } from '../copies.js'
import type { DeliveryFilter } from '../delivery/delivery-filter.js'
import { KAFKAJS_SESSION_TIMEOUT_MS } from '../kafkajs-config.js'
import type { ValidConsumerOptions } from '../options.js'
import type { Positioner, PositionReason, StartPositions } from '../positioning.js'
import type { ProcessedPositions, TopicPartition } from '../positions.js'
import { ConsumerSession } from '../session/consumer-session.js'
import type { InstrumentationListener, PositionedSession, SessionOwner } from '../session/types.js'
import type { FailoverRunConfig, FailoverSubscribeOptions } from '../run-config.js'
import type { FormerInstances } from './former-instances.js'
import { FormerMembers } from './former-members.js'

const log = logger('consumer')

/** What the sessions are run with: fixed at `run()`. */
export interface RunSpec {
  subscription: FailoverSubscribeOptions
  run: FailoverRunConfig
}

/** What a {@link SessionRegistry} works with. */
export interface SessionRegistrySetup {
  ctx: FailoverContext
  options: ValidConsumerOptions
  positioner: Positioner
  /** Where a session on `cluster` notes what it processed. */
  positionsOn: (cluster: string) => ProcessedPositions
  /** The application's kafkajs instrumentation listeners, attached to every session. */
  listeners: readonly InstrumentationListener[]
  /** Whether the consumer runs (a stopped or disconnected consumer starts nothing). */
  isRunning: () => boolean
  /** Reads each record's provenance and skips what the consumer does not deliver (shared by every session). */
  filter?: DeliveryFilter
  /** Positioning a session's assignment failed; the session tries again after a back-off. */
  onPositionFailed: (session: PositionedSession, error: unknown, attempt: number) => void
  /** kafkajs gave a session's consumer up (see `SessionOwner.gaveUp`). */
  onGaveUp: (session: ConsumerSession, error: unknown, byApplication: boolean) => void
  /** With `instanceId`: the consumer's identity and the members of its former incarnations (shared by every lane). */
  instances?: FormerInstances
}

/**
 * The group's session on each cluster (at most one delivering, the others standbys): how one is
 * started and how one is dropped, leaving no member behind that a returning cluster would keep.
 */
export class SessionRegistry implements SessionOwner {
  private readonly sessions = new Map<string, ConsumerSession>()
  /** The session that delivers (or is being positioned to). */
  delivering: ConsumerSession | undefined
  private spec: RunSpec | undefined
  private readonly formerMembers: FormerMembers
  private readonly groupId: string

  constructor(private readonly setup: SessionRegistrySetup) {
    this.groupId = setup.options.groupId
    this.formerMembers = new FormerMembers(setup.ctx, this.groupId)
  }

  /** The session on `cluster`, if any. */
  get(cluster: string): ConsumerSession | undefined {
    return this.sessions.get(cluster)
  }

  /** Every session, by cluster. */
  get byCluster(): ReadonlyMap<string, ConsumerSession> {
    return this.sessions
  }

  /** What every session of the coming run is started with; set before anything can start one. */
  prepare(spec: RunSpec): void {
    this.spec = spec
  }

  /** Starts a session on `cluster` (replacing the one there), as the active one or a standby. */
  async start(
    cluster: string,
    topics: string[],
    active: boolean,
    reason: PositionReason,
    added: readonly string[] = [],
  ): Promise<ConsumerSession> {
    const { ctx, options } = this.setup
    const spec = this.spec
    if (!spec) throw new NotConnectedError('FailoverConsumer (not running)')
    // The members this instance had there before the cluster went down go first, or the new
    // session's join would be held until they time out.
    await this.formerMembers.remove(cluster)
    const { instances } = this.setup
    const session = new ConsumerSession({
      cluster,
      kafka: ctx.connection(cluster).kafka,
      config: options,
      policy: ctx.replicationPolicy,
      positions: this.setup.positionsOn(cluster),
      filter: this.setup.filter,
      owner: this,
      // A killed former process of this instance is still a member there: found before the join, removed during it.
      ...(instances ? { identity: instances.identity, beforeJoin: () => instances.lookBeforeJoin(cluster) } : {}),
    })
    session.setPurpose(reason, added)
    const previous = this.sessions.get(cluster)
    this.sessions.set(cluster, session)
    if (previous) this.drop(cluster, previous)
    try {
      await withTimeout(
        session.start(topics, spec.subscription.fromBeginning ?? false, spec.run, this.setup.listeners, active),
        CLUSTER_CALL_TIMEOUT_MS,
        `starting the session of '${this.groupId}' on '${cluster}'`,
        { cluster, group: this.groupId },
      )
    } catch (error) {
      this.drop(cluster, session)
      throw error
    }
    // stop() or disconnect() may have run while this session was starting: it must not outlive them.
    if (!this.setup.isRunning()) this.drop(cluster, session)
    return session
  }

  /** See {@link SessionOwner.position}: the consumer's translation onto the session's cluster. */
  position(session: PositionedSession, assigned: readonly TopicPartition[]): Promise<StartPositions> {
    return this.setup.positioner.positions(session.cluster, session.topics, assigned, session.reason, session.added)
  }

  /** See {@link SessionOwner.startOffsets}. */
  startOffsets(session: PositionedSession): Promise<StartPositions> {
    return this.setup.positioner.startOffsets(session.cluster, session.topics)
  }

  /** See {@link SessionOwner.positionFailed}. */
  positionFailed(session: PositionedSession, error: unknown, attempt: number): void {
    this.setup.onPositionFailed(session, error, attempt)
  }

  /** See {@link SessionOwner.clusterError}: discovery probes the cluster at once. */
  clusterError(session: PositionedSession, error: unknown): void {
    this.setup.ctx.reportError(session.cluster, error)
  }

  /** See {@link SessionOwner.gaveUp}: told only of a session this registry still holds. */
  gaveUp(session: PositionedSession, error: unknown, byApplication: boolean): void {
    const held = this.sessions.get(session.cluster)
    if (held === session) this.setup.onGaveUp(held, error, byApplication)
  }

  /** See {@link SessionOwner.joined}: with `instanceId`, looks for another live instance with the same id. */
  joined(session: PositionedSession): void {
    if (this.sessions.get(session.cluster) === session) this.setup.instances?.checkAfterJoin(session.cluster)
  }

  /**
   * See {@link SessionOwner.teardown}. kafkajs leaves the group only once a join under way has
   * returned, and a disconnect during its first join sends no LeaveGroup at all: the broker may
   * still complete that join, as a member nobody can name or remove, which holds the group's next
   * generation for its session (30 s by default). So on a healthy cluster a first join under way
   * is waited for, up to half the bound; one that has not returned by then finishes in the
   * background (within the session timeout) and leaves, and the teardown reports it not left in
   * time. A member whose consumer has not left by half of what remains is removed on its behalf.
   */
  async teardown(session: PositionedSession, client: Consumer, timeoutMs: number): Promise<boolean> {
    const { ctx, options } = this.setup
    const connection = ctx.connection(session.cluster)
    const up = ctx.healthOf(session.cluster) === 'up'
    const started = Date.now()
    if (session.isJoining && up) {
      await firstJoin(client, timeoutMs / 2)
      if (session.isJoining) {
        log('%s on %s: first join still under way at teardown; it leaves once joined', options.groupId, session.cluster)
        void firstJoin(client, options.kafkajs.sessionTimeout ?? KAFKAJS_SESSION_TIMEOUT_MS).then(() =>
          connection.teardown(client, options.teardownTimeoutMs),
        )
        return false
      }
    }
    const left = Math.max(0, timeoutMs - (Date.now() - started))
    const done = connection.teardown(client, left)
    const { memberId } = session
    if (memberId === undefined || !up) return done
    const half = left / 2
    if (await Promise.race([done.then(() => true), delay(half).then(() => false)])) return done
    const { gone } = await removeGroupMembers(connection.kafka, options.groupId, [memberId], half)
    log(
      '%s on %s still leaving after %d ms: member %s %s on its behalf',
      options.groupId,
      session.cluster,
      half,
      memberId,
      gone.length > 0 ? 'removed' : 'could not be removed',
    )
    return (await done) || gone.length > 0
  }

  /** Stops a session in the background (bounded) and forgets it. */
  drop(cluster: string, session: ConsumerSession): void {
    // Its cluster is down: the member stays there, dead, when the cluster comes back.
    if (this.setup.ctx.healthOf(cluster) !== 'up') this.formerMembers.note(cluster, session.memberId)
    if (this.sessions.get(cluster) === session) this.sessions.delete(cluster)
    if (this.delivering === session) this.delivering = undefined
    // A member that could not leave in time (its cluster hung or died during the stop: a restart
    // for new copies just before a fault) stays in the group there too.
    void session.stop(this.setup.options.teardownTimeoutMs).then((left) => {
      if (!left) this.formerMembers.note(cluster, session.memberId)
    })
  }

  /** Stops every session at once (each leaves its group within `timeoutMs`, or in the background). */
  async stopAll(timeoutMs: number): Promise<void> {
    this.delivering = undefined
    this.spec = undefined
    const sessions = [...this.sessions.values()]
    this.sessions.clear()
    await Promise.all(sessions.map((s) => s.stop(timeoutMs)))
  }
}

/**
 * Resolves once `client` has joined its group (kafkajs' `GROUP_JOIN`), or after `timeoutMs`.
 * Not at the event itself: kafkajs marks its consumer running only a few microtasks later, and a
 * disconnect before that sends no LeaveGroup (the member stays for its session). The next
 * macrotask comes after them.
 */
function firstJoin(client: Consumer, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      remove()
      resolve()
    }
    const remove = client.on(client.events.GROUP_JOIN, () => setImmediate(done))
    const timer = setTimeout(done, timeoutMs)
    timer.unref()
  })
}
