import { describe, expect, it } from 'vitest'
import { SafeEmitter } from '../../../src/util/safe-emitter.js'
import { watchUnhandledRejections } from '../helpers/unhandled.js'

interface Events {
  tick: (n: number) => void
  other: (s: string) => void
}

const unhandled = watchUnhandledRejections()

describe('SafeEmitter', () => {
  it("calls every listener with the event's arguments", () => {
    const emitter = new SafeEmitter<Events>()
    const seen: number[] = []
    emitter.on('tick', (n) => seen.push(n))
    emitter.on('tick', (n) => seen.push(n * 10))
    expect(emitter.emit('tick', 2)).toBe(true)
    expect(seen).toEqual([2, 20])
  })

  it('a listener that throws does not stop the others, and emit does not throw', () => {
    const emitter = new SafeEmitter<Events>()
    const seen: string[] = []
    emitter.on('tick', () => {
      seen.push('first')
    })
    emitter.on('tick', () => {
      throw new Error('listener bug')
    })
    emitter.on('tick', () => {
      seen.push('third')
    })
    expect(() => emitter.emit('tick', 1)).not.toThrow()
    expect(seen).toEqual(['first', 'third'])
  })

  it('survives a listener that throws something that is not an Error', () => {
    const emitter = new SafeEmitter<Events>()
    const seen: number[] = []
    emitter.on('tick', () => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- a listener that throws a non-Error is the case under test
      throw 'a string'
    })
    emitter.on('tick', (n) => seen.push(n))
    expect(() => emitter.emit('tick', 7)).not.toThrow()
    expect(seen).toEqual([7])
  })

  it('an async listener that rejects causes no unhandled rejection and does not stop the others', async () => {
    const emitter = new SafeEmitter<Events>()
    const seen: number[] = []
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- a rejecting listener is the case under test
    emitter.on('tick', async () => {
      throw new Error('async listener bug')
    })
    emitter.on('tick', (n) => seen.push(n))
    expect(() => emitter.emit('tick', 3)).not.toThrow()
    await unhandled.settle()
    expect(unhandled.reasons).toEqual([])
    expect(seen).toEqual([3])
  })

  it('does not throw on an unhandled error event', () => {
    const emitter = new SafeEmitter<{ error: (e: Error) => void }>()
    expect(emitter.emit('error', new Error('nobody listens'))).toBe(false)
  })

  it('once() fires a listener once', () => {
    const emitter = new SafeEmitter<Events>()
    const seen: number[] = []
    emitter.once('tick', (n) => seen.push(n))
    emitter.emit('tick', 1)
    emitter.emit('tick', 2)
    expect(seen).toEqual([1])
    expect(emitter.listenerCount('tick')).toBe(0)
  })

  it('once() fires once even when the listener throws', () => {
    const emitter = new SafeEmitter<Events>()
    let calls = 0
    emitter.once('tick', () => {
      calls++
      throw new Error('x')
    })
    emitter.emit('tick', 1)
    emitter.emit('tick', 2)
    expect(calls).toBe(1)
  })

  it('off() removes a listener added with on()', () => {
    const emitter = new SafeEmitter<Events>()
    const seen: number[] = []
    const listener = (n: number): void => {
      seen.push(n)
    }
    emitter.on('tick', listener)
    emitter.off('tick', listener)
    emitter.emit('tick', 1)
    expect(seen).toEqual([])
    expect(emitter.listenerCount('tick')).toBe(0)
  })

  it('off() removes a listener added with once() before it fired', () => {
    const emitter = new SafeEmitter<Events>()
    const seen: number[] = []
    const listener = (n: number): void => {
      seen.push(n)
    }
    emitter.once('tick', listener)
    emitter.off('tick', listener)
    emitter.emit('tick', 1)
    expect(seen).toEqual([])
    expect(emitter.listenerCount('tick')).toBe(0)
  })

  it('removeListener() and addListener() behave like off() and on()', () => {
    const emitter = new SafeEmitter<Events>()
    const seen: number[] = []
    const listener = (n: number): void => {
      seen.push(n)
    }
    emitter.addListener('tick', listener)
    emitter.emit('tick', 1)
    emitter.removeListener('tick', listener)
    emitter.emit('tick', 2)
    expect(seen).toEqual([1])
  })

  it('off() removes only the given listener, and only from the given event', () => {
    const emitter = new SafeEmitter<Events>()
    const seen: string[] = []
    const a = (): void => {
      seen.push('a')
    }
    const b = (): void => {
      seen.push('b')
    }
    emitter.on('tick', a)
    emitter.on('tick', b)
    emitter.on('other', a)
    emitter.off('tick', a)
    emitter.emit('tick', 1)
    emitter.emit('other', 'x')
    expect(seen).toEqual(['b', 'a'])
  })

  it('off() with a listener that was never added changes nothing', () => {
    const emitter = new SafeEmitter<Events>()
    const seen: number[] = []
    emitter.on('tick', (n) => seen.push(n))
    emitter.off('tick', () => {})
    emitter.emit('tick', 1)
    expect(seen).toEqual([1])
  })

  it('off() without a listener removes every listener of the event', () => {
    const emitter = new SafeEmitter<Events>()
    emitter.on('tick', () => {})
    emitter.once('tick', () => {})
    emitter.off('tick')
    expect(emitter.listenerCount('tick')).toBe(0)
  })

  it('calls a listener with the context given to on()', () => {
    const emitter = new SafeEmitter<Events>()
    const context = { seen: [] as number[] }
    emitter.on(
      'tick',
      function (this: typeof context, n: number) {
        this.seen.push(n)
      },
      context,
    )
    emitter.emit('tick', 4)
    expect(context.seen).toEqual([4])
  })

  it('on() returns the emitter for chaining', () => {
    const emitter = new SafeEmitter<Events>()
    expect(emitter.on('tick', () => {})).toBe(emitter)
    expect(emitter.once('tick', () => {})).toBe(emitter)
    expect(emitter.off('tick')).toBe(emitter)
  })
})
