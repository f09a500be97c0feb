/**
 * `npm run docs:check [-- --no-build]`: builds the documentation site (`npm run docs`: the guides of
 * docs/ and the API reference, into docs/api/), checks every local link of every page, then opens
 * the landing page, one guide and one API page in headless Chromium (the system's: Debian's
 * `chromium`, or CHROMIUM_PATH) and checks what a reader sees: the title once, the navigation with
 * every guide and the API, the diagram drawn, the page marked as current. Screenshots go to
 * docs-check-out/ (to look at; nothing is compared by pixel). Exits 1 when a check fails.
 */
import { spawnSync } from 'node:child_process'
import { accessSync, constants, existsSync, readFileSync, readdirSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { delimiter, dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { chromium, type Page } from 'playwright-core'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const SITE = join(ROOT, 'docs', 'api')
const OUT = join(ROOT, 'docs-check-out')

interface Result {
  name: string
  ok: boolean
  detail: string
}
const results: Result[] = []

function check(name: string, ok: boolean, detail = ''): void {
  results.push({ name, ok, detail })
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail === '' ? '' : `: ${detail}`}`)
}

/** Each guide's title: the first heading of each file typedoc.json lists as a project document. */
function guideTitles(): string[] {
  const config = JSON.parse(readFileSync(join(ROOT, 'typedoc.json'), 'utf8')) as { projectDocuments: string[] }
  return config.projectDocuments.map((file) => {
    const heading = /^#[ \t]+(.+?)[ \t]*$/m.exec(readFileSync(join(ROOT, file), 'utf8'))
    if (heading === null) throw new Error(`${file} has no heading`)
    return heading[1]!.replace(/`/g, '')
  })
}

function htmlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return htmlFiles(path)
    return entry.name.endsWith('.html') ? [path] : []
  })
}

/** Every link of the site to a file of the site, and to an anchor of a page, leads somewhere. */
function checkLinks(): void {
  const broken: string[] = []
  const ids = new Map<string, Set<string>>()
  const idsOf = (file: string): Set<string> => {
    let found = ids.get(file)
    if (found === undefined) {
      found = new Set([...readFileSync(file, 'utf8').matchAll(/\s(?:id|name)="([^"]+)"/g)].map((m) => m[1]!))
      ids.set(file, found)
    }
    return found
  }
  const pages = htmlFiles(SITE)
  let links = 0
  for (const page of pages) {
    for (const match of readFileSync(page, 'utf8').matchAll(/<a\s[^>]*?href="([^"]+)"/g)) {
      const href = match[1]!.replace(/&amp;/g, '&')
      if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue // https:, mailto: ...
      links++
      const [path, fragment] = href.split('#') as [string, string | undefined]
      const target = path === '' ? page : resolve(dirname(page), decodeURIComponent(path))
      if (!existsSync(target)) broken.push(`${relative(SITE, page)} -> ${href}: no such file`)
      else if (fragment !== undefined && fragment !== '' && target.endsWith('.html') && !idsOf(target).has(decodeURIComponent(fragment))) {
        broken.push(`${relative(SITE, page)} -> ${href}: no such anchor`)
      }
    }
  }
  check(`${links} local links of ${pages.length} pages lead somewhere`, broken.length === 0, broken.slice(0, 10).join('; '))
}

function findChromium(): string | undefined {
  const candidates = process.env['CHROMIUM_PATH']
    ? [process.env['CHROMIUM_PATH']]
    : (process.env['PATH'] ?? '')
        .split(delimiter)
        .flatMap((dir) => ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'].map((name) => join(dir, name)))
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

/** Opens a page of the site and waits for its navigation, which the site's script builds. */
async function open(page: Page, path: string): Promise<void> {
  await page.goto(pathToFileURL(join(SITE, path)).href)
  await page.waitForSelector('#tsd-nav-container li a', { state: 'attached', timeout: 10_000 })
}

async function texts(page: Page, selector: string): Promise<string[]> {
  return (await page.locator(selector).allTextContents()).map((text) => text.replace(/\s+/g, ' ').trim())
}

/** The navigation's "Guides" folder lists every guide, and the API's groups follow it. */
async function checkNavigation(page: Page, label: string, guides: string[]): Promise<void> {
  const nav = await texts(page, '#tsd-nav-container a, #tsd-nav-container summary')
  const missing = guides.filter((title) => !nav.includes(title))
  check(
    `${label}: the navigation lists the ${guides.length} guides under "Guides"`,
    nav.includes('Guides') && missing.length === 0,
    missing.length > 0 ? `missing ${missing.join(', ')}` : nav.includes('Guides') ? '' : 'no "Guides" folder',
  )
  const api = ['MultiClusterKafka', 'KafkaDRError', 'MultiClusterKafkaOptions'].filter((name) => !nav.includes(name))
  check(`${label}: the navigation lists the API`, api.length === 0, api.length > 0 ? `missing ${api.join(', ')}` : '')
}

async function checkTitle(page: Page, label: string, expected: string): Promise<void> {
  const titles = await texts(page, 'h1')
  check(`${label}: one title, "${expected}"`, titles.length === 1 && titles[0] === expected, `h1: ${JSON.stringify(titles)}`)
}

async function checkCurrent(page: Page, label: string, expected: string): Promise<void> {
  const current = await texts(page, '#tsd-nav-container a.current')
  check(
    `${label}: the navigation marks it as the current page`,
    current.length === 1 && current[0] === expected,
    `current: ${JSON.stringify(current)}`,
  )
}

/** Every image of the page's text was loaded and has a size (an SVG that is not valid XML has none). */
async function checkImages(page: Page, label: string, minimum: number): Promise<void> {
  // In the page: <img> elements (this project's types have no DOM).
  const images = await page
    .locator('.tsd-typography img')
    .evaluateAll((imgs) =>
      (imgs as unknown as { src: string; naturalWidth: number }[]).map((img) => ({ src: img.src, width: img.naturalWidth })),
    )
  const empty = images.filter((image) => image.width === 0)
  check(
    `${label}: ${images.length} picture(s) drawn`,
    images.length >= minimum && empty.length === 0,
    empty.map((image) => `${image.src} not drawn`).join('; '),
  )
}

async function main(): Promise<void> {
  if (!process.argv.includes('--no-build')) {
    const build = spawnSync('npm', ['run', 'docs'], { cwd: ROOT, stdio: 'inherit' })
    if (build.status !== 0) {
      console.error('docs:check: npm run docs failed')
      process.exit(1)
    }
  }
  const guides = guideTitles()
  checkLinks()

  const executablePath = findChromium()
  if (executablePath === undefined) {
    console.error('docs:check needs Chromium: apt-get install chromium (Debian), or set CHROMIUM_PATH')
    process.exit(1)
  }
  await mkdir(OUT, { recursive: true })
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] })
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))

    // The landing page: the README, its title once, the architecture diagram drawn.
    await open(page, 'index.html')
    await checkTitle(page, 'landing page', 'kafkajs-dr')
    await checkNavigation(page, 'landing page', guides)
    await checkImages(page, 'landing page', 1)
    const diagrams = await page.locator('p.diagram img').count()
    const mermaidSource = await page.locator('pre code.mermaid').count()
    check(
      'landing page: the architecture diagram is drawn, not shown as source',
      diagrams === 1 && mermaidSource === 0,
      `${diagrams} drawn, ${mermaidSource} shown as source`,
    )
    await page.screenshot({ path: join(OUT, 'landing.png') })

    // A guide: its own title once, the navigation with it as the current page, its picture.
    await open(page, 'documents/drill.html')
    await checkTitle(page, 'guide', 'The disaster drill')
    await checkNavigation(page, 'guide', guides)
    await checkCurrent(page, 'guide', 'The disaster drill')
    await checkImages(page, 'guide', 1)
    await page.screenshot({ path: join(OUT, 'guide.png') })

    // An API page.
    await open(page, 'classes/MultiClusterKafka.html')
    await checkTitle(page, 'API page', 'Class MultiClusterKafka')
    await checkNavigation(page, 'API page', guides)
    await checkCurrent(page, 'API page', 'MultiClusterKafka')
    const members = await texts(page, '.tsd-member h3')
    check(
      'API page: its members are listed',
      members.some((m) => m.startsWith('connect')) && members.some((m) => m.startsWith('failover')),
      `${members.length} members`,
    )
    await page.screenshot({ path: join(OUT, 'api.png') })

    check('no script error on the three pages', errors.length === 0, errors.join('; '))
  } finally {
    await browser.close()
  }

  const failed = results.filter((r) => !r.ok).length
  console.log(`screenshots in ${relative(process.cwd(), OUT) || '.'}/`)
  console.log(`docs: ${results.length - failed} passed, ${failed} failed`)
  process.exit(failed === 0 ? 0 : 1)
}

await main()
