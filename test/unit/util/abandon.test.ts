import { describe, expect, it } from 'vitest'
import { Abandon } from '../../../src/util/abandon.js'

describe('Abandon', () => {
  it('settles like the work when not fired', async () => {
    const abandon = new Abandon()
    await expect(abandon.guard(Promise.resolve(1))).resolves.toBe(1)
    await expect(abandon.guard(Promise.reject(new Error('boom')))).rejects.toThrow('boom')
  })

  it('rejects pending work at fire, and later guards at once', async () => {
    const abandon = new Abandon()
    const pending = abandon.guard(new Promise(() => {}))
    const error = new Error('moved')
    abandon.fire(error)
    await expect(pending).rejects.toBe(error)
    await expect(abandon.guard(new Promise(() => {}))).rejects.toBe(error)
    expect(abandon.isFired).toBe(true)
  })

  it('keeps nothing of work that settled (no build-up between fires)', async () => {
    const abandon = new Abandon()
    for (let i = 0; i < 1000; i++) await abandon.guard(Promise.resolve(i))
    expect((abandon as unknown as { waiting: Set<unknown> }).waiting.size).toBe(0)
  })
})
