/**
 * The soak's section of docs/chaos.md, between two markers: the soak writes it, and a chaos run
 * that rewrites the page keeps it.
 */
const START = '<!-- soak:start -->'
const END = '<!-- soak:end -->'

/** Puts `section` between the markers of `page` (appended with them when it has none). */
export function withSoakSection(page: string, section: string): string {
  const block = `${START}\n${section}${END}`
  const start = page.indexOf(START)
  const end = page.indexOf(END)
  if (start === -1 || end < start) return `${page.trimEnd()}\n\n## Soak\n\n${block}\n`
  return `${page.slice(0, start)}${block}${page.slice(end + END.length)}`
}

/** `fresh` (a new chaos page) with the soak section of `previous`, if it had one, after its heading. */
export function keepSoakSection(previous: string, fresh: string): string {
  const start = previous.indexOf(START)
  const end = previous.indexOf(END)
  if (start === -1 || end < start) return fresh
  return withSoakSection(fresh, previous.slice(start + START.length + 1, end))
}
