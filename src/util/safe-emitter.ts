import { EventEmitter } from 'eventemitter3'
import { errorMessage, logger } from './log.js'

const log = logger('events')

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any event's listener; on() and off() are typed per event
type Listener = (...args: any[]) => void

/**
 * An eventemitter3 emitter whose listeners cannot break the library: a listener that throws (or
 * returns a rejected promise) is logged under `kafkajs-dr:events`, and the other listeners still
 * run. Each listener is wrapped when added; `off` finds the wrapper again, so the usual
 * `on`/`once`/`off` contract holds. Typed by an interface mapping event names to listeners.
 */
export class SafeEmitter<Events extends object> extends EventEmitter<Events> {
  private readonly guarded = new WeakMap<Listener, Listener>()

  /** Adds a listener for `event`; if it throws or rejects, the error is logged and the other listeners still run. */
  override on<E extends EventEmitter.EventNames<Events>>(event: E, fn: EventEmitter.EventListener<Events, E>, context?: unknown): this {
    return super.on(event, this.guard(event, fn as Listener) as never, context)
  }

  /** Alias of `on`: adds a guarded listener for `event`. */
  override addListener<E extends EventEmitter.EventNames<Events>>(
    event: E,
    fn: EventEmitter.EventListener<Events, E>,
    context?: unknown,
  ): this {
    return this.on(event, fn, context)
  }

  /** Adds a guarded listener for `event` that is removed after its first call. */
  override once<E extends EventEmitter.EventNames<Events>>(event: E, fn: EventEmitter.EventListener<Events, E>, context?: unknown): this {
    return super.once(event, this.guard(event, fn as Listener) as never, context)
  }

  /** Removes the listeners of `event` (only `fn`, when given), as added by `on`, `addListener` or `once`. */
  override off<E extends EventEmitter.EventNames<Events>>(
    event: E,
    fn?: EventEmitter.EventListener<Events, E>,
    context?: unknown,
    once?: boolean,
  ): this {
    const wrapped = fn === undefined ? undefined : (this.guarded.get(fn as Listener) ?? fn)
    return super.off(event, wrapped as never, context, once)
  }

  /** Alias of `off`: removes the listeners of `event` (only `fn`, when given). */
  override removeListener<E extends EventEmitter.EventNames<Events>>(
    event: E,
    fn?: EventEmitter.EventListener<Events, E>,
    context?: unknown,
    once?: boolean,
  ): this {
    return this.off(event, fn, context, once)
  }

  private guard(event: unknown, fn: Listener): Listener {
    let wrapped = this.guarded.get(fn)
    if (!wrapped) {
      wrapped = function guardedListener(this: unknown, ...args: unknown[]): void {
        try {
          const result: unknown = fn.apply(this, args)
          if (result instanceof Promise)
            result.catch((error: unknown) => log('async listener of %s failed: %s', String(event), errorMessage(error)))
        } catch (error) {
          log('listener of %s threw: %s', String(event), errorMessage(error))
        }
      }
      this.guarded.set(fn, wrapped)
    }
    return wrapped
  }
}
