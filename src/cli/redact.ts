/**
 * The CLI's last line of defence for secrets: every write to stdout and stderr of the process
 * (the CLI's own output, the library's `debug` log, kafkajs' logger, an error's stack) goes
 * through a scrubber that replaces each secret of the configuration with `***`. The CLI never
 * prints a configuration value in the first place; this catches what a dependency might.
 *
 * @module
 */

/** What replaces a secret in the output. */
export const REDACTED = '***'

/**
 * Secrets shorter than this are not scrubbed: replacing every `a` or `dc` of the output would make
 * it unreadable, and the CLI prints no configuration value anyway.
 */
export const MIN_SECRET_LENGTH = 4

/** Replaces every occurrence of the secrets it was given. */
export class Redactor {
  private readonly patterns: string[]

  constructor(secrets: readonly string[]) {
    const variants = new Set<string>()
    for (const secret of secrets) {
      variants.add(secret)
      // As it appears inside a JSON string (--json output, JSON logs).
      variants.add(JSON.stringify(secret).slice(1, -1))
      // Each long line of a multi-line secret (a PEM key), should one be printed alone.
      for (const line of secret.split(/\r?\n/)) if (line.trim().length >= 16) variants.add(line.trim())
    }
    // Longest first, so that a secret containing another is replaced whole.
    this.patterns = [...variants].filter((v) => v.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length)
  }

  /** Whether there is anything to scrub. */
  get empty(): boolean {
    return this.patterns.length === 0
  }

  /** `text` with every secret replaced by {@link REDACTED}. */
  redact(text: string): string {
    let out = text
    for (const pattern of this.patterns) if (out.includes(pattern)) out = out.split(pattern).join(REDACTED)
    return out
  }
}

/**
 * Routes every write to `process.stdout` and `process.stderr` through `redactor`. Returns the
 * function that puts the original writers back.
 */
export function installRedaction(redactor: Redactor): () => void {
  if (redactor.empty) return () => {}
  const streams = [process.stdout, process.stderr]
  // eslint-disable-next-line @typescript-eslint/unbound-method -- bound to its stream below, and put back on it
  const originals = streams.map((stream) => stream.write)
  streams.forEach((stream, i) => {
    const original = originals[i]!.bind(stream) as (...args: unknown[]) => boolean
    stream.write = (chunk: unknown, ...rest: unknown[]): boolean => {
      const text = typeof chunk === 'string' ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : undefined
      // An encoding argument was for the original string; the scrubbed one is passed as UTF-8.
      if (text === undefined) return original(chunk, ...rest)
      const args = typeof rest[0] === 'string' ? rest.slice(1) : rest
      return original(redactor.redact(text), 'utf8', ...args)
    }
  })
  return () =>
    streams.forEach((stream, i) => {
      stream.write = originals[i]!
    })
}
