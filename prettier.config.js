// @ts-check
// Layout of every source, test, script and config file: `npm run format` rewrites it,
// `npm run format:check` (in `npm test`) fails on any file it would change. Prettier's defaults,
// with the style the code already had: no semicolons, single quotes. 140 columns: 95% of the code
// lines already fitted in 133, so the first run wrapped the longest lines and left the rest (at 120
// columns its diff was a third larger, at 100 nearly twice as large). Prettier does not rewrap
// comments: they stay at about 100 columns, as written.

/** @type {import('prettier').Config} */
export default {
  semi: false,
  singleQuote: true,
  printWidth: 140,
}
