/**
 * Looks for secrets in everything a client emits: `debug` output (`DEBUG=kafkajs-dr:*`), kafkajs'
 * own log entries, event payloads, errors (their messages, stacks, causes and properties, walked
 * deeply), `status()`, and the output of the package's command. Each channel counts what it saw, so that a test can tell "nothing
 * leaked" from "nothing was captured".
 */
import { format } from 'node:util'
import createDebug from 'debug'
import type { logCreator } from 'kafkajs'

/** Where something was seen (`cli`: the output of the package's command). */
export type Channel = 'debug' | 'kafkajs' | 'event' | 'error' | 'status' | 'cli'

/**
 * Every string in `value`, with its path: plain objects, arrays, maps, sets, buffers (as UTF-8)
 * and errors (own properties, `message`, `stack`, `cause` and `errors` included) are walked;
 * other class instances (the handles an event may carry, such as a producer) are not data and
 * appear as `[ClassName]`. Cycles are cut.
 */
export function stringsIn(
  value: unknown,
  path = '$',
  seen = new WeakSet(),
  out: Array<[string, string]> = [],
  depth = 0,
): Array<[string, string]> {
  if (typeof value === 'string') {
    out.push([path, value])
    return out
  }
  if (typeof value !== 'object' || value === null || depth > 12) return out
  if (seen.has(value)) return out
  seen.add(value)
  if (value instanceof Uint8Array) {
    out.push([path, Buffer.from(value).toString('utf8')])
    return out
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => stringsIn(v, `${path}[${i}]`, seen, out, depth + 1))
    return out
  }
  if (value instanceof Map) {
    for (const [k, v] of value) {
      stringsIn(k, `${path}<key>`, seen, out, depth + 1)
      stringsIn(v, `${path}<${String(k)}>`, seen, out, depth + 1)
    }
    return out
  }
  if (value instanceof Set) {
    for (const v of value) stringsIn(v, `${path}<item>`, seen, out, depth + 1)
    return out
  }
  const proto = Object.getPrototypeOf(value) as object | null
  const isError = value instanceof Error
  if (!isError && proto !== Object.prototype && proto !== null) {
    out.push([path, `[${(value as { constructor?: { name?: string } }).constructor?.name ?? 'object'}]`])
    return out
  }
  const keys = new Set(isError ? [...Object.getOwnPropertyNames(value), 'name', 'message', 'stack', 'cause', 'errors'] : Object.keys(value))
  for (const key of keys) {
    let v: unknown
    try {
      v = (value as Record<string, unknown>)[key]
    } catch {
      continue
    }
    stringsIn(v, `${path}.${key}`, seen, out, depth + 1)
  }
  return out
}

/** Collects and searches what a client emitted for a set of secrets. */
export class SecretScan {
  /** Things seen, per channel. */
  readonly seen: Record<Channel, number> = { debug: 0, kafkajs: 0, event: 0, error: 0, status: 0, cli: 0 }
  /** Each place a secret was found: channel, where, and the text around it (the secret masked). */
  readonly leaks: string[] = []
  /** Names of the events seen (for the test's own checks). */
  readonly events: string[] = []

  constructor(private readonly secrets: readonly string[]) {
    for (const secret of secrets) if (secret.length < 8) throw new Error('a secret this short would match by chance')
  }

  /** Searches `value` (walked deeply) and counts it under `channel`. */
  scan(channel: Channel, where: string, value: unknown): void {
    this.seen[channel]++
    for (const [path, text] of stringsIn(value)) {
      for (const secret of this.secrets) {
        const at = text.indexOf(secret)
        if (at === -1) continue
        const around = text.slice(Math.max(0, at - 60), at + secret.length + 20).replace(secret, '<SECRET>')
        this.leaks.push(`${channel} ${where} ${path}: ...${around}...`)
      }
    }
  }

  /**
   * Turns on every `kafkajs-dr:*` debug namespace and sends its lines here (instead of stderr)
   * until the returned function is called, which puts back the namespaces and the output as
   * they were.
   */
  captureDebug(): () => void {
    const previousLog = createDebug.log
    const previousNamespaces = createDebug.disable()
    createDebug.enable([previousNamespaces, 'kafkajs-dr:*'].filter((n) => n !== '').join(','))
    createDebug.log = (...args: unknown[]) => this.scan('debug', 'line', format(...args))
    return () => {
      createDebug.log = previousLog
      createDebug.disable()
      if (previousNamespaces !== '') createDebug.enable(previousNamespaces)
    }
  }

  /** A kafkajs `logCreator` whose entries (every level the client's `logLevel` lets through) come here. */
  kafkajsLogCreator(): logCreator {
    return () =>
      ({ namespace, label, log }) =>
        this.scan('kafkajs', `${label} ${namespace}`, log)
  }
}
