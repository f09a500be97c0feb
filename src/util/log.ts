/**
 * `debug` loggers, one namespace per component, the same words as the events
 * (`DEBUG=kafkajs-dr:*` shows everything). Never log record payloads, credentials or SASL/SSL
 * options: only names, ids, offsets and error messages.
 */
import createDebug from 'debug'

/** Component namespaces, e.g. `kafkajs-dr:discovery`. */
export type LogArea =
  'client' | 'cluster' | 'discovery' | 'producer' | 'consumer' | 'offsets' | 'checkpoint' | 'events' | 'metrics' | 'replication'

/** Returns the `debug` logger for one component. */
export function logger(area: LogArea): createDebug.Debugger {
  return createDebug(`kafkajs-dr:${area}`)
}

/** A one-line description of an error, safe for logs. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`
  return String(error)
}
