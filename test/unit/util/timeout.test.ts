import { describe, expect, it, vi } from 'vitest'
import { KafkaDRError, TimeoutError } from '../../../src/errors/index.js'
import { delay, withTimeout } from '../../../src/util/timeout.js'
import { watchUnhandledRejections } from '../helpers/unhandled.js'

const unhandled = watchUnhandledRejections()

/** A promise settled by hand. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

describe('withTimeout', () => {
  it("resolves with the promise's value when it settles first", async () => {
    await expect(withTimeout(Promise.resolve(42), 1000, 'answer')).resolves.toBe(42)
  })

  it("rejects with the promise's own error when it fails first", async () => {
    const error = new Error('broker said no')
    await expect(withTimeout(Promise.reject(error), 1000, 'answer')).rejects.toBe(error)
  })

  it('rejects with a retriable TimeoutError naming the operation and the deadline, with the context given', async () => {
    const never = new Promise<never>(() => {})
    const error = await withTimeout(never, 10, "health probe of 'dc1'", { cluster: 'dc1', topic: 't' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TimeoutError)
    expect(error).toBeInstanceOf(KafkaDRError)
    const timeout = error as TimeoutError
    expect(timeout.message).toBe("health probe of 'dc1' did not finish within 10 ms")
    expect(timeout.code).toBe('ERR_TIMEOUT')
    expect(timeout.retriable).toBe(true)
    expect(timeout.cluster).toBe('dc1')
    expect(timeout.topic).toBe('t')
  })

  it("does not let the losing promise's later rejection become unhandled", async () => {
    const late = deferred<never>()
    await expect(withTimeout(late.promise, 5, 'slow')).rejects.toBeInstanceOf(TimeoutError)
    late.reject(new Error('rejected after the deadline'))
    await unhandled.settle()
    expect(unhandled.reasons).toEqual([])
  })

  it("ignores the losing promise's later value", async () => {
    const late = deferred<number>()
    const result = withTimeout(late.promise, 5, 'slow')
    await expect(result).rejects.toBeInstanceOf(TimeoutError)
    late.resolve(1)
    await expect(result).rejects.toBeInstanceOf(TimeoutError)
  })

  it('clears its timer once the promise settles', async () => {
    vi.useFakeTimers()
    try {
      await withTimeout(Promise.resolve('ok'), 60_000, 'fast')
      expect(vi.getTimerCount()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })

  it('times out exactly at the deadline, not before', async () => {
    vi.useFakeTimers()
    try {
      let outcome: unknown
      void withTimeout(new Promise<never>(() => {}), 1000, 'op').catch((e: unknown) => {
        outcome = e
      })
      await vi.advanceTimersByTimeAsync(999)
      expect(outcome).toBeUndefined()
      await vi.advanceTimersByTimeAsync(1)
      expect(outcome).toBeInstanceOf(TimeoutError)
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('delay', () => {
  it("rejects with the signal's reason when it is aborted, at once when it already is, and resolves otherwise", async () => {
    vi.useFakeTimers()
    try {
      const controller = new AbortController()
      const reason = new Error('disconnected')
      const waiting = delay(10_000, controller.signal).then(
        () => 'resolved',
        (e: unknown) => e,
      )
      controller.abort(reason)
      await vi.advanceTimersByTimeAsync(0)
      expect(await waiting).toBe(reason)
      expect(vi.getTimerCount()).toBe(0)
      await expect(delay(10, controller.signal)).rejects.toBe(reason)
      const plain = delay(10, new AbortController().signal)
      await vi.advanceTimersByTimeAsync(10)
      await expect(plain).resolves.toBeUndefined()
    } finally {
      vi.useRealTimers()
    }
  })

  it('lets the process exit while it waits, unless keepAlive says the wait is part of a pending call', async () => {
    const timers = vi.spyOn(globalThis, 'setTimeout')
    try {
      const background = delay(5)
      const pending = delay(5, undefined, { keepAlive: true })
      const [quiet, held] = timers.mock.results.map((r) => r.value as NodeJS.Timeout)
      expect(quiet!.hasRef()).toBe(false)
      expect(held!.hasRef()).toBe(true)
      await Promise.all([background, pending])
    } finally {
      timers.mockRestore()
    }
  })
})
