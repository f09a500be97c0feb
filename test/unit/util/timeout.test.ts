import { describe, expect, it, vi } from 'vitest'
import { KafkaDRError, TimeoutError } from '../../../src/errors.js'
import { sleep, withTimeout } from '../../../src/util/timeout.js'
import { watchUnhandledRejections } from '../helpers/unhandled.js'

const unhandled = watchUnhandledRejections()

/** A promise settled by hand. */
function deferred<T>(): { promise: Promise<T>, resolve: (v: T) => void, reject: (e: unknown) => void } {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

describe('withTimeout', () => {
  it('resolves with the promise\'s value when it settles first', async () => {
    await expect(withTimeout(Promise.resolve(42), 1000, 'answer')).resolves.toBe(42)
  })

  it('rejects with the promise\'s own error when it fails first', async () => {
    const error = new Error('broker said no')
    await expect(withTimeout(Promise.reject(error), 1000, 'answer')).rejects.toBe(error)
  })

  it('rejects with a retriable TimeoutError naming the operation and the deadline, with the context given', async () => {
    const never = new Promise<never>(() => {})
    const error = await withTimeout(never, 10, 'health probe of \'dc1\'', { cluster: 'dc1', topic: 't' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TimeoutError)
    expect(error).toBeInstanceOf(KafkaDRError)
    const timeout = error as TimeoutError
    expect(timeout.message).toBe('health probe of \'dc1\' did not finish within 10 ms')
    expect(timeout.code).toBe('ERR_TIMEOUT')
    expect(timeout.retriable).toBe(true)
    expect(timeout.cluster).toBe('dc1')
    expect(timeout.topic).toBe('t')
  })

  it('does not let the losing promise\'s later rejection become unhandled', async () => {
    const late = deferred<never>()
    await expect(withTimeout(late.promise, 5, 'slow')).rejects.toBeInstanceOf(TimeoutError)
    late.reject(new Error('rejected after the deadline'))
    await unhandled.settle()
    expect(unhandled.reasons).toEqual([])
  })

  it('ignores the losing promise\'s later value', async () => {
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
      void withTimeout(new Promise<never>(() => {}), 1000, 'op').catch((e: unknown) => { outcome = e })
      await vi.advanceTimersByTimeAsync(999)
      expect(outcome).toBeUndefined()
      await vi.advanceTimersByTimeAsync(1)
      expect(outcome).toBeInstanceOf(TimeoutError)
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('sleep', () => {
  it('resolves after the given time', async () => {
    vi.useFakeTimers()
    try {
      let done = false
      void sleep(500).then(() => { done = true })
      await vi.advanceTimersByTimeAsync(499)
      expect(done).toBe(false)
      await vi.advanceTimersByTimeAsync(1)
      expect(done).toBe(true)
    } finally {
      vi.useRealTimers()
    }
  })

  it('resolves early, without an error, when the signal aborts', async () => {
    vi.useFakeTimers()
    try {
      const controller = new AbortController()
      let done = false
      const sleeping = sleep(60_000, controller.signal).then(() => { done = true })
      await vi.advanceTimersByTimeAsync(10)
      expect(done).toBe(false)
      controller.abort(new Error('stop'))
      await sleeping
      expect(done).toBe(true)
      // Its timer is gone too.
      expect(vi.getTimerCount()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })

  it('resolves at once for an already aborted signal', async () => {
    vi.useFakeTimers()
    try {
      let done = false
      void sleep(60_000, AbortSignal.abort()).then(() => { done = true })
      await vi.advanceTimersByTimeAsync(0)
      expect(done).toBe(true)
      expect(vi.getTimerCount()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })

  it('removes its abort listener when the time is up', async () => {
    vi.useFakeTimers()
    try {
      const controller = new AbortController()
      const add = vi.spyOn(controller.signal, 'addEventListener')
      const remove = vi.spyOn(controller.signal, 'removeEventListener')
      const sleeping = sleep(100, controller.signal)
      await vi.advanceTimersByTimeAsync(100)
      await sleeping
      expect(add).toHaveBeenCalledTimes(1)
      expect(remove).toHaveBeenCalledWith('abort', add.mock.calls[0]![1])
    } finally {
      vi.useRealTimers()
    }
  })
})
