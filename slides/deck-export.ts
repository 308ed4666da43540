// Handouts: a PDF of a deck (optionally with presenter notes), made by Slidev's print views in Debian's Chromium.
// Slidev's own `slidev export` insists on the playwright-chromium package and its downloaded browser; this drives the
// same export-mode server and the same print routes through playwright-core and /usr/bin/chromium instead.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { UserError } from '../bin/errors.ts'
import type { Deck } from './deck-build.ts'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export interface ExportResult {
  readonly deck: string
  readonly pdf: string
  readonly notes: boolean
  readonly pages: number
  readonly slides: number
  readonly bytes: number
  readonly durationMs: number
}

/** Pages of a PDF as Chromium writes them: one `/Type /Page` dictionary per page (the tree nodes are `/Pages`). */
export function countPdfPages(pdf: Buffer): number {
  return (pdf.toString('latin1').match(/\/Type\s*\/Page(?![a-zA-Z])/g) ?? []).length
}

export function exportFileName(deck: string, notes: boolean): string {
  return `${deck}${notes ? '-notes' : ''}.pdf`
}

/** Starts Slidev in export mode for one deck, prints its print view to PDF, stops everything. */
export async function exportDeck(deck: Deck, opts: { outDir: string; notes?: boolean; timeoutMs?: number; log?: (s: string) => void }): Promise<ExportResult> {
  if (!existsSync(CHROMIUM)) throw new UserError(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`)
  const t0 = performance.now()
  const notes = opts.notes ?? false
  const timeout = opts.timeoutMs ?? 120_000
  mkdirSync(opts.outDir, { recursive: true })
  const pdfPath = path.join(opts.outDir, exportFileName(deck.name, notes))
  const { resolveOptions, createServer } = await import('@slidev/cli')
  const options = await resolveOptions({ entry: deck.entry }, 'export')
  const server = await createServer(options, { server: { port: 0, host: '127.0.0.1', strictPort: false }, clearScreen: false, logLevel: 'error' })
  await server.listen()
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] })
  try {
    const address = server.httpServer?.address() as AddressInfo | null
    if (!address) throw new UserError('the Slidev export server did not start')
    const origin = `http://127.0.0.1:${address.port}`
    const { width, height } = { width: options.data.config.canvasWidth, height: Math.round(options.data.config.canvasWidth / options.data.config.aspectRatio) }
    const page = await (await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 })).newPage()
    // The handout is made offline: only the export server is reachable.
    await page.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()))
    opts.log?.(`${deck.name}: rendering${notes ? ' with notes' : ''}…\n`)
    await page.goto(`${origin}/?print=true#/${notes ? 'presenter/print' : 'print'}`, { waitUntil: 'networkidle', timeout })
    await page.emulateMedia({ media: 'screen', colorScheme: 'light' })
    // Slidev's slide list counts a `src:` import as one entry; the print view has one container per rendered slide.
    const sel = notes ? '.slidev-page' : '.print-slide-container'
    await page.waitForFunction((q) => document.querySelectorAll(q).length > 0, sel, { timeout })
    const rendered = await page.evaluate((q) => document.querySelectorAll(q).length, sel)
    await page.waitForFunction(() => document.querySelectorAll('.slidev-slide-loading').length === 0, undefined, { timeout })
    // Mermaid draws into a hidden container before moving each diagram into its slide.
    await page.waitForFunction(() => !document.querySelector('#mermaid-rendering-container div'), undefined, { timeout }).catch(() => undefined)
    await page.waitForLoadState('networkidle')
    await page.pdf(
      notes
        ? { path: pdfPath, printBackground: true, preferCSSPageSize: true, margin: { left: 0, top: 0, right: 0, bottom: 0 } }
        : { path: pdfPath, width: `${width}px`, height: `${height}px`, printBackground: true, preferCSSPageSize: true, margin: { left: 0, top: 0, right: 0, bottom: 0 } },
    )
    const pdf = readFileSync(pdfPath)
    return { deck: deck.name, pdf: pdfPath, notes, pages: countPdfPages(pdf), slides: rendered, bytes: statSync(pdfPath).size, durationMs: Math.round(performance.now() - t0) }
  } finally {
    await browser.close()
    await server.close()
  }
}
