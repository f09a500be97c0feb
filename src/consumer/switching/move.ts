/**
 * Where a move happens: delivery going from one session to another (a switch, a follow of the
 * group, a restart for new copies or after a crash). A move away from a dead or hung cluster
 * stops delivery there at once (and the session); one away from a healthy cluster makes before
 * it breaks: the old session delivers until the target's standby has joined and its checkpoint
 * view has caught up. Then the session on the new cluster is activated: its partitions are
 * positioned by translation and resumed. Nothing on a move's path waits for a cluster being left.
 * A move that fails is retried with capped back-off for as long as its target stays where
 * delivery belongs.
 *
 * @module
 */
import type { FailoverContext } from '../../cluster/index.js'
import { asKafkaDRError, FailoverError, type KafkaDRError } from '../../errors/index.js'
import { backoff } from '../../util/backoff.js'
import { errorMessage, logger } from '../../util/log.js'
import { delay, withTimeout } from '../../util/timeout.js'
import { type CopyFinder, sameTopics } from '../copies.js'
import type { ConsumerMovedEvent, ConsumerMoveFailedEvent } from '../events.js'
import type { Positioner, PositionReason } from '../positioning.js'
import type { ConsumerSession } from '../session/consumer-session.js'
import type { PositionedSession } from '../session/types.js'
import type { SessionRegistry } from './session-registry.js'

const log = logger('consumer')

/** How often a move waiting for its target to come back looks at the target's health, in ms. */
const HEALTH_POLL_MS = 100
/** Back-off between attempts of a move, in ms. */
const MOVE_RETRY = { initialMs: 250, maxMs: 5000 }
/** How long a move away from a healthy cluster waits for the target's standby to join, in ms. */
const JOIN_WAIT_MS = 60_000

/** Where moves are told, each the payload of the consumer event of that name. */
export interface MoveEvents {
  /** `consumer:moved`. */
  moved: (event: ConsumerMovedEvent) => void
  /** `consumer:move-failed`. */
  moveFailed: (event: ConsumerMoveFailedEvent) => void
}

/** What {@link Moves} works with. */
export interface MovesSetup {
  ctx: FailoverContext
  groupId: string
  copies: CopyFinder
  positioner: Positioner
  sessions: SessionRegistry
  /** Whether the consumer runs (a stopped or disconnected consumer moves nothing). */
  isRunning: () => boolean
  /** Where delivery belongs now: a move whose target no longer is gives up. */
  target: () => string | undefined
  /** Where moves are told (`consumer:moved`, `consumer:move-failed`). */
  events: MoveEvents
}

/** The move under way: positioning failures of its session are its failures. */
interface MoveUnderWay {
  session?: ConsumerSession
  fail: (error: unknown, attempt: number) => void
}

/** The moves of one set of sessions, one at a time: a newer move supersedes an older one. */
export class Moves {
  /** Bumped by every move and by {@link cancel}: an older move gives up. */
  private generations = 0
  private underWay: MoveUnderWay | undefined

  constructor(private readonly setup: MovesSetup) {}

  /** The current generation: work started under an older one is stale. */
  get generation(): number {
    return this.generations
  }

  /** Whether a move is under way. */
  get moving(): boolean {
    return this.underWay !== undefined
  }

  /** Makes the move under way (if any) give up. */
  cancel(): void {
    this.generations++
  }

  /** Positioning `session`'s assignment failed: a failure of the move under way, or reported on its own. */
  positionFailed(session: PositionedSession, error: unknown, attempt: number): void {
    if (this.underWay?.session === session) this.underWay.fail(error, attempt)
    else
      this.setup.events.moveFailed({
        timestamp: Date.now(),
        group: this.setup.groupId,
        to: session.cluster,
        attempt,
        error: this.moveError(error, session.cluster),
      })
  }

  /**
   * Moves delivery to `to`. Resolves when the consumer delivers there, or rejects with the first
   * failure (the client reports the switch as failed); attempts go on in the background with
   * capped back-off while `to` stays the target, each failure reported by `consumer:move-failed`.
   */
  moveTo(
    to: string,
    reason: PositionReason,
    added: readonly string[] = [],
    why: ConsumerMovedEvent['reason'] = reason === 'new-copies' ? 'new-copies' : 'switch',
  ): Promise<void> {
    const { ctx, sessions, groupId } = this.setup
    const generation = ++this.generations
    const started = Date.now()
    const old = sessions.delivering
    const from = old?.cluster
    const current = (): boolean => generation === this.generations && this.setup.isRunning() && this.setup.target() === to
    const oldIsUp = old !== undefined && old.cluster !== to && ctx.healthOf(old.cluster) === 'up'
    const target = sessions.get(to)
    // Make before break when the cluster being left is healthy (a failback, an operator's switch):
    // it keeps delivering while the target's standby finishes joining (a cluster that came back
    // waits for the group's dead members to time out first). A dead or hung cluster's session
    // stops at once: nothing here waits for it.
    // The target's checkpoint view is brought up to date meanwhile too (after a cluster's return
    // it is seconds behind), so that the positioning after the break reads memory at once.
    const ready = oldIsUp
      ? (async () => {
          if (target && !target.hasJoined) await this.targetJoined(to, started + JOIN_WAIT_MS, () => generation === this.generations)
          await this.setup.positioner.warm(to)
        })()
      : Promise.resolve()

    return new Promise<void>((resolve, reject) => {
      let settled = false
      const settle = (error?: KafkaDRError): void => {
        if (settled) return
        settled = true
        if (error === undefined) resolve()
        else reject(error)
      }
      const fail = (error: unknown, attempt: number): void => {
        const cause = this.moveError(error, to)
        log('moving %s to %s failed (attempt %d): %s', groupId, to, attempt, errorMessage(cause))
        this.setup.events.moveFailed({ timestamp: Date.now(), group: groupId, to, attempt, error: cause })
        settle(cause)
      }
      const move: MoveUnderWay = { fail }
      this.underWay = move
      /** A session this move activated: deactivated again if a newer move supersedes this one before it delivers. */
      let activated: ConsumerSession | undefined
      void (async () => {
        await ready
        if (!current()) return settle()
        if (sessions.delivering === old) sessions.delivering = undefined
        old?.deactivate()
        if (old && old.cluster !== to && ctx.healthOf(old.cluster) !== 'up') sessions.drop(old.cluster, old)
        for (let attempt = 1; current(); attempt++) {
          try {
            // Not on a cluster the probes hold down (every cluster down, or an operator's choice
            // of a dead one): an attempt there only fails, and a session started before the
            // cluster counts as up again would skip the removal of this instance's former members
            // and wait behind them for a session timeout.
            if (ctx.healthOf(to) === 'down') await this.untilNotDown(to, current)
            if (!current()) break
            const topics = await this.setup.copies.physicalTopics(to)
            let session = sessions.get(to)
            const via = session && sameTopics(session.topics, topics) ? 'standby' : 'new-session'
            if (!session || via === 'new-session') session = await sessions.start(to, topics, true, reason, added)
            else session.setPurpose(reason, added)
            activated = session
            if (!current()) break
            move.session = session
            sessions.delivering = session
            await session.activate()
            // kafkajs gave the session up meanwhile: its replacement is the next attempt.
            if (session.isStopped && current())
              throw new FailoverError(`the session on '${to}' crashed while it was being positioned`, { cluster: to, group: groupId })
            if (!current() || !session.isActive) break
            this.setup.events.moved({ timestamp: Date.now(), group: groupId, from, to, reason: why, via, durationMs: Date.now() - started })
            settle()
            return
          } catch (error) {
            if (!current()) break
            fail(error, attempt)
            await delay(backoff(attempt, MOVE_RETRY))
          }
        }
        // Superseded by a newer move, a stop or a disconnect: nothing of this one to report, and
        // nothing of it may deliver beside the session that does now.
        if (activated !== undefined && activated !== sessions.delivering && activated.isActive) activated.deactivate()
        settle()
      })().finally(() => {
        if (this.underWay === move) this.underWay = undefined
      })
    })
  }

  /** Until the probes no longer hold `cluster` down, or `stillWanted` turns false. */
  private async untilNotDown(cluster: string, stillWanted: () => boolean): Promise<void> {
    while (stillWanted() && this.setup.ctx.healthOf(cluster) === 'down') await delay(HEALTH_POLL_MS)
  }

  /**
   * Until the session on `cluster` has joined its group (a crashed one's replacement included),
   * the deadline passes, or `stillWanted` turns false.
   */
  private async targetJoined(cluster: string, deadline: number, stillWanted: () => boolean): Promise<void> {
    while (Date.now() < deadline && stillWanted()) {
      const session = this.setup.sessions.get(cluster)
      if (session?.hasJoined && !session.isStopped) return
      await (session && !session.isStopped
        ? withTimeout(session.joined, Math.min(1000, deadline - Date.now()), 'standby join').catch(() => {})
        : delay(500))
    }
  }

  /** A move's failure as the `consumer:move-failed` payload carries it. */
  private moveError(error: unknown, to: string): KafkaDRError {
    return asKafkaDRError(error, `Moving the consumer of '${this.setup.groupId}' to '${to}' failed`, {
      group: this.setup.groupId,
      cluster: to,
    })
  }
}
