import type { Consumer } from 'kafkajs'

/**
 * The partitions (or whole topics) the application paused, kept apart from the session's own
 * pauses: a repositioning resumes only what the application did not pause.
 */
export class UserPauses {
  /** Partitions paused per topic; undefined: the whole topic. */
  private readonly held = new Map<string, Set<number> | undefined>()
  /** Bumped by every pause, so that the record loop looks up pauses only when one happened. */
  count = 0

  /** Notes a pause, as kafkajs' `pause` takes it. */
  pause(topics: Parameters<Consumer['pause']>[0]): void {
    this.count++
    for (const { topic, partitions } of topics) {
      if (partitions === undefined) this.held.set(topic, undefined)
      else if (!this.held.has(topic) || this.held.get(topic) !== undefined) {
        const held = this.held.get(topic) ?? new Set<number>()
        for (const p of partitions) held.add(p)
        this.held.set(topic, held)
      }
    }
  }

  /** Notes a resume, as kafkajs' `resume` takes it. */
  resume(topics: Parameters<Consumer['resume']>[0]): void {
    for (const { topic, partitions } of topics) {
      const held = this.held.get(topic)
      if (partitions === undefined || held === undefined) this.held.delete(topic)
      else for (const p of partitions) held.delete(p)
    }
  }

  /** Whether the application holds the partition paused. */
  has(topic: string, partition: number): boolean {
    if (!this.held.has(topic)) return false
    const held = this.held.get(topic)
    return held === undefined || held.has(partition)
  }
}
