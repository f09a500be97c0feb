/**
 * How the CLI prints: aligned tables and short durations for people, one JSON document for
 * `--json`, and one line for an error.
 *
 * @module
 */

/** Aligned columns, two spaces apart, indented by `indent`; the header row first. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>, indent = '  '): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string =>
    `${indent}${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}`.trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}

/** A duration for people: `850 ms`, `4.2 s`, `3 min 5 s`, `2 h 10 min`, `3 d 4 h`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const s = Math.round(ms / 1000)
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`
}

/** How long ago `timestamp` (ms since epoch) was, for people: `4.2 s ago`. */
export function ago(timestamp: number, now = Date.now()): string {
  return `${duration(Math.max(0, now - timestamp))} ago`
}

/** A value that may be missing, for a table cell. */
export function cell(value: string | number | undefined | null): string {
  return value === undefined || value === null || value === '' ? '-' : String(value)
}

/** A short quote of a text for a table or a line: one line, at most `max` characters. */
export function short(text: string, max = 80): string {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}

/** The JSON document of `--json`: stable key order as built, two-space indentation. */
export function json(value: unknown): string {
  return `${JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`
}
