import { afterEach, beforeEach } from 'vitest'

/**
 * Records the process's unhandled rejections during each test of the calling file.
 * `await unhandled.settle()` waits one macrotask so that Node has reported any by then.
 */
export function watchUnhandledRejections(): { readonly reasons: unknown[]; settle(): Promise<void> } {
  const reasons: unknown[] = []
  const listener = (reason: unknown): void => {
    reasons.push(reason)
  }
  beforeEach(() => {
    reasons.length = 0
    process.on('unhandledRejection', listener)
  })
  afterEach(() => {
    process.off('unhandledRejection', listener)
  })
  return {
    reasons,
    settle: () => new Promise<void>((resolve) => setTimeout(resolve, 20)),
  }
}
