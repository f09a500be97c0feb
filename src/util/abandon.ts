/**
 * Abandoning work in flight: {@link Abandon.guard} settles like the work, or rejects as soon as
 * {@link Abandon.fire} is called.
 *
 * Why not `Promise.race([work, signal])` with one long-lived `signal` promise: every race adds a
 * reaction to `signal` that stays until `signal` settles, so a producer that sends millions of
 * records between two switches would keep millions of them. Here a guard forgets its work as soon
 * as the work settles.
 *
 * @module
 */

/** See the module description. */
export class Abandon {
  private readonly waiting = new Set<(error: Error) => void>()
  private fired: Error | undefined

  /** Whether {@link fire} was called. */
  get isFired(): boolean {
    return this.fired !== undefined
  }

  /** Settles like `work`, or rejects with the error given to {@link fire} (at once if it was fired already). */
  guard<T>(work: Promise<T>): Promise<T> {
    if (this.fired) {
      work.catch(() => {})
      return Promise.reject(this.fired)
    }
    return new Promise<T>((resolve, reject) => {
      this.waiting.add(reject)
      work.then(
        (value) => {
          this.waiting.delete(reject)
          resolve(value)
        },
        (error: unknown) => {
          this.waiting.delete(reject)
          reject(error)
        },
      )
    })
  }

  /** Rejects every guarded work still pending, and every later guard, with `error`. */
  fire(error: Error): void {
    if (this.fired) return
    this.fired = error
    const waiting = [...this.waiting]
    this.waiting.clear()
    for (const reject of waiting) reject(error)
  }
}
