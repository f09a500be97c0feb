// @ts-check
/**
 * The typedoc plugin of kafkajs-dr's documentation site (typedoc.json's `plugin`):
 *
 * - Each guide (a project document, docs/*.md) is named in the navigation by its first heading and
 *   listed under "Guides", so the Markdown files need no front matter (GitHub would show it as a
 *   table at the top of each guide); its page is named after its file (docs/usage.md:
 *   documents/usage.html), so a new heading breaks no link (the `kind-guides` router).
 * - Each ```mermaid block of the README and the guides is drawn: an SVG rendered at build time by
 *   mermaid in headless Chromium (site/mermaid.mjs), and kept in docs/diagrams/ under a hash of its
 *   source, so that a build without Chromium (CI) draws the diagrams that have not changed. A new or
 *   changed diagram needs Chromium once; the SVG it writes there is to be committed. GitHub draws
 *   the same blocks itself.
 */
import { createHash } from 'node:crypto'
import { copyFile, mkdir, readdir, rm, stat } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { URL, fileURLToPath } from 'node:url'
import { Converter, KindRouter, MarkdownEvent, ReflectionKind, RendererEvent } from 'typedoc'
import { MERMAID_CONFIG, findChromium, renderMermaid } from './mermaid.mjs'

const GUIDES_GROUP = 'Guides'
const DIAGRAM_CACHE = fileURLToPath(new URL('../docs/diagrams/', import.meta.url))
const FENCE = /^```mermaid[ \t]*\n([\s\S]*?)^```[ \t]*$/gm

/** @param {import('typedoc').Application} app */
export function load(app) {
  /** @type {WeakMap<import('typedoc').Reflection, string>} each guide's file name, without `.md` */
  const fileNames = new WeakMap()
  app.converter.on(Converter.EVENT_CREATE_DOCUMENT, (_context, doc) => {
    fileNames.set(doc, doc.name)
    const heading = /^#[ \t]+(.+?)[ \t]*$/m.exec(doc.content.map((part) => part.text).join(''))
    if (heading) doc.name = heading[1].replace(/`/g, '')
    doc.frontmatter['group'] ??= GUIDES_GROUP
  })
  app.renderer.defineRouter(
    'kind-guides',
    class extends KindRouter {
      /** @param {import('typedoc').Reflection} reflection */
      getIdealBaseName(reflection) {
        const fileName = fileNames.get(reflection)
        return fileName === undefined ? super.getIdealBaseName(reflection) : `documents/${fileName}`
      }
    },
  )

  /** The drawn diagrams by their source's hash: the output file and its alternative text. */
  const drawn = new Map()

  app.renderer.on(RendererEvent.BEGIN, () => {
    app.renderer.preRenderAsyncJobs.push(async (event) => {
      drawn.clear()
      const sources = new Map()
      for (const markdown of markdownOf(event.project)) {
        for (const match of markdown.matchAll(FENCE)) sources.set(hashOf(match[1]), match[1])
      }
      await drawDiagrams(app, sources, event.outputDirectory, drawn)
    })
  })

  // Before typedoc's own Markdown parser (priority 0), which would show the block as code.
  app.renderer.on(
    MarkdownEvent.PARSE,
    (event) => {
      const toRoot = '../'.repeat(event.page.url.split('/').length - 1)
      event.parsedText = event.parsedText.replace(FENCE, (block, source) => {
        const diagram = drawn.get(hashOf(source))
        if (!diagram) return block
        // The picture fits the page's width; the link opens it at its own size.
        const src = `${toRoot}${diagram.file}`
        return `<p class="diagram"><a href="${src}"><img src="${src}" alt="${escapeHtml(diagram.alt)}"></a></p>\n`
      })
    },
    100,
  )
}

/**
 * Renders the diagrams missing from docs/diagrams/, copies every diagram into the site, and removes
 * from docs/diagrams/ the renderings no diagram uses any more.
 *
 * @param {import('typedoc').Application} app
 * @param {Map<string, string>} sources by hash
 * @param {string} outputDirectory
 * @param {Map<string, { file: string, alt: string }>} drawn
 */
async function drawDiagrams(app, sources, outputDirectory, drawn) {
  await mkdir(DIAGRAM_CACHE, { recursive: true })
  const missing = []
  for (const [hash, source] of sources) {
    if (!(await exists(cached(hash)))) missing.push({ hash, source })
  }
  if (missing.length > 0) {
    const chromium = findChromium()
    if (chromium === undefined) {
      app.logger.error(
        `${missing.length} diagram(s) of the README or the guides changed and must be rendered again, which needs ` +
          'Chromium (Debian: apt-get install chromium; or set CHROMIUM_PATH). Then run npm run docs again and commit ' +
          `what it writes to ${relative(process.cwd(), DIAGRAM_CACHE)}.`,
      )
      return
    }
    await renderMermaid(
      chromium,
      missing.map(({ hash, source }) => ({ id: `diagram-${hash}`, source, file: cached(hash) })),
    )
    for (const { hash } of missing) app.logger.info(`rendered a diagram to ${relative(process.cwd(), cached(hash))}: commit it`)
  }
  const target = join(outputDirectory, 'assets', 'diagrams')
  await mkdir(target, { recursive: true })
  for (const [hash, source] of sources) {
    await copyFile(cached(hash), join(target, `${hash}.svg`))
    drawn.set(hash, { file: `assets/diagrams/${hash}.svg`, alt: altText(source) })
  }
  for (const name of await readdir(DIAGRAM_CACHE)) {
    if (name.endsWith('.svg') && !sources.has(name.slice(0, -'.svg'.length))) {
      await rm(join(DIAGRAM_CACHE, name))
      app.logger.info(`removed ${relative(process.cwd(), join(DIAGRAM_CACHE, name))}: no diagram uses it any more`)
    }
  }
}

/**
 * The Markdown of the README and of every guide.
 *
 * @param {import('typedoc').ProjectReflection} project
 * @returns {string[]}
 */
function markdownOf(project) {
  const texts = [(project.readme ?? []).map((part) => part.text).join('')]
  for (const doc of project.getReflectionsByKind(ReflectionKind.Document)) {
    if (doc.isDocument()) texts.push(doc.content.map((part) => part.text).join(''))
  }
  return texts
}

/**
 * The rendering's name: the source and the settings it was rendered with.
 *
 * @param {string} source
 */
function hashOf(source) {
  return createHash('sha256')
    .update(JSON.stringify({ source, config: MERMAID_CONFIG }))
    .digest('hex')
    .slice(0, 16)
}

/** @param {string} hash */
function cached(hash) {
  return join(DIAGRAM_CACHE, `${hash}.svg`)
}

/**
 * The diagram's `accTitle` (mermaid's accessible title), which GitHub uses too.
 *
 * @param {string} source
 */
function altText(source) {
  return /^\s*accTitle\s*:\s*(.+?)\s*$/m.exec(source)?.[1] ?? 'diagram'
}

/** @param {string} text */
function escapeHtml(text) {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** @param {string} path */
async function exists(path) {
  return stat(path).then(
    () => true,
    () => false,
  )
}
