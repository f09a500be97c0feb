import type { ConsumerSession } from './consumer-session.js'
import type { InstrumentationListener } from './types.js'

/**
 * Adds an application's kafkajs instrumentation listener to `listeners` (which sessions started
 * later attach) and to every session there is now; returns the remover.
 */
export function addInstrumentationListener(
  listeners: InstrumentationListener[],
  sessions: () => Iterable<ConsumerSession>,
  event: InstrumentationListener[0],
  listener: InstrumentationListener[1],
): () => void {
  // Each call's own entry: sessions started later attach it too, and the remover finds it by identity.
  const entry: InstrumentationListener = [event, listener]
  listeners.push(entry)
  for (const session of sessions()) session.attach(entry)
  return () => {
    const at = listeners.indexOf(entry)
    // A second call must not splice(-1), which would remove the last listener, someone else's.
    if (at === -1) return
    listeners.splice(at, 1)
    for (const session of sessions()) session.detach(entry)
  }
}
