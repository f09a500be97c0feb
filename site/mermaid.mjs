// @ts-check
/**
 * Renders mermaid diagrams to SVG files with mermaid itself, in headless Chromium (the system's:
 * Debian's `chromium` package, or CHROMIUM_PATH), driven by playwright-core, which downloads no
 * browser. Used by site/typedoc-plugin.mjs.
 */
import { accessSync, constants } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { delimiter, join } from 'node:path'

/** mermaid's settings; part of each rendering's name, so a change renders every diagram again. */
export const MERMAID_CONFIG = Object.freeze({ startOnLoad: false, theme: 'default', flowchart: Object.freeze({ wrappingWidth: 400 }) })

const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']

/**
 * The Chromium to use: CHROMIUM_PATH, else the first of the usual names on PATH.
 *
 * @returns {string | undefined}
 */
export function findChromium() {
  const candidates = process.env['CHROMIUM_PATH']
    ? [process.env['CHROMIUM_PATH']]
    : (process.env['PATH'] ?? '').split(delimiter).flatMap((dir) => CHROMIUM_NAMES.map((name) => join(dir, name)))
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

/**
 * Renders each diagram to its file, in one browser.
 *
 * @param {string} executablePath Chromium
 * @param {{ id: string, source: string, file: string }[]} diagrams
 */
export async function renderMermaid(executablePath, diagrams) {
  const { chromium } = await import('playwright-core')
  const require = createRequire(import.meta.url)
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] })
  try {
    const page = await browser.newPage()
    await page.setContent('<!doctype html><html><body></body></html>')
    await page.addScriptTag({ path: require.resolve('mermaid/dist/mermaid.min.js') })
    for (const { id, source, file } of diagrams) {
      const svg = await page.evaluate(async ([id, source, config]) => {
        // In the page: the browser's globals, and mermaid's, loaded above.
        const { document, mermaid, XMLSerializer } = /** @type {any} */ (globalThis)
        mermaid.initialize(config)
        const { svg } = await mermaid.render(id, source)
        // mermaid writes HTML (`<br>`): an SVG shown by an <img> must be XML.
        const holder = document.createElement('div')
        holder.innerHTML = svg
        const element = /** @type {SVGSVGElement} */ (holder.firstElementChild)
        // A size of its own, so that an <img> shows it at that size, or narrower where the page is.
        const { width, height } = element.viewBox.baseVal
        element.setAttribute('width', String(Math.ceil(width)))
        element.setAttribute('height', String(Math.ceil(height)))
        element.style.removeProperty('max-width')
        return new XMLSerializer().serializeToString(element)
      }, /** @type {const} */ ([id, source, MERMAID_CONFIG]))
      await writeFile(file, `${svg}\n`)
    }
  } finally {
    await browser.close()
  }
}
