// Renders every slide of built decks in Chromium (one browser, one page, reused) and measures how each one fits.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { measureShownSlide, type SlideFit } from './fit-measure.ts'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json', '.woff2': 'font/woff2' }

export interface StaticDecks {
  readonly origin: string
  close(): Promise<void>
}

/**
 * Serves built decks at /decks/<name>/ like the lab server does, with an /api that answers "lab up", so the
 * components show what a class sees (the Vérifier bar, not the offline notice).
 */
export async function serveDecks(distDir: string): Promise<StaticDecks> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (url.pathname === '/api/health') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
    if (url.pathname.startsWith('/api/lab')) {
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ lab: 'postfix', session: 'fit', state: 'up', services: [] }))
    }
    const m = /^\/decks\/([^/]+)\/(.*)$/.exec(url.pathname)
    let file = m ? path.join(distDir, m[1] ?? '', m[2] || 'index.html') : ''
    if (m && (!existsSync(file) || statSync(file).isDirectory())) file = path.join(distDir, m[1] ?? '', 'index.html')
    if (!file || !file.startsWith(distDir) || !existsSync(file)) return void res.writeHead(404).end()
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' })
    res.end(readFileSync(file))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) }
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--font-render-hinting=none'],
  })
}

export interface FitRunOptions {
  readonly origin: string
  readonly deck: string
  readonly slides: number
  readonly viewport: { readonly width: number; readonly height: number }
  readonly minTextPx: number
  /** Folder for one screenshot per slide (NN.png); none when absent. */
  readonly shotsDir?: string
}

/** Walks the deck slide by slide on one page: hash navigation, no transitions, mermaid given time to draw. */
export async function fitDeck(page: Page, o: FitRunOptions): Promise<SlideFit[]> {
  await page.setViewportSize({ width: o.viewport.width, height: o.viewport.height })
  // esbuild's keepNames wraps functions in __name(); the page has no such helper.
  await page.addInitScript('window.__name = (f) => f')
  await page.goto(`${o.origin}/decks/${o.deck}/#/1`, { waitUntil: 'load' })
  await page.addStyleTag({ content: '*, *::before, *::after { transition: none !important; animation: none !important; }' })
  await page.waitForSelector('.slidev-page-1', { state: 'visible', timeout: 30_000 })
  if (o.shotsDir) mkdirSync(o.shotsDir, { recursive: true })
  const out: SlideFit[] = []
  for (let no = 1; no <= o.slides; no++) {
    await page.evaluate((n) => { window.location.hash = `#/${n}` }, no)
    await page.waitForFunction((n) => {
      const el = document.querySelector(`.slidev-page-${n}`)
      return !!el && getComputedStyle(el).display !== 'none' && el.getBoundingClientRect().width > 0
    }, no, { timeout: 10_000 })
    // Mermaid draws after mount; wait until each diagram has its SVG.
    await page.waitForFunction((n) => {
      const el = document.querySelector(`.slidev-page-${n}`)
      return !!el && Array.from(el.querySelectorAll('.mermaid')).every((m) => (m.shadowRoot ?? m).querySelector('svg'))
    }, no, { timeout: 10_000 }).catch(() => undefined)
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))))
    const fit = await page.evaluate(measureShownSlide, { minTextPx: o.minTextPx, tolerance: 2 })
    out.push({ ...fit, no })
    if (o.shotsDir) await page.screenshot({ path: path.join(o.shotsDir, `${String(no).padStart(3, '0')}.png`) })
  }
  return out
}

export function describeFits(deck: string, viewport: string, fits: readonly SlideFit[]): string[] {
  return fits.flatMap((f) => f.problems.map((p) => `${deck} @${viewport} slide ${f.no} « ${f.title} »: ${p.kind} — ${p.where}: ${p.detail}`))
}
