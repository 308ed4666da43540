// Handouts: a PDF of a deck (optionally with presenter notes), made by Slidev's print views in Debian's Chromium.
// Slidev's own `slidev export` insists on the playwright-chromium package and its downloaded browser; this drives the
// same export-mode server and the same print routes through playwright-core and /usr/bin/chromium instead.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { UserError } from '../core/errors.ts'
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
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  try {
    const address = server.httpServer?.address() as AddressInfo | null
    if (!address) throw new UserError('the Slidev export server did not start')
    const origin = `http://127.0.0.1:${address.port}`
    const { width, height } = { width: options.data.config.canvasWidth, height: Math.round(options.data.config.canvasWidth / options.data.config.aspectRatio) }
    const page = await browser.newPage({ viewport: { width, height } })
    opts.log?.(`${deck.name}: rendering${notes ? ' with notes' : ''}…\n`)
    // Slidev's slide list counts a `src:` import as one entry; the print view has one container per rendered slide.
    // The notes view lists each slide's title and its notes (rendered markdown in `.prose`).
    const sel = notes ? '.prose' : '.print-slide-container'
    // Chromium aborts every pending load with ERR_NETWORK_CHANGED when the host's interfaces change (Docker adding a
    // sandbox network), and the export server serves hundreds of modules: a load that lost one is started again.
    let networkChanged = false
    page.on('requestfailed', (r) => { if (/ERR_NETWORK_CHANGED/.test(r.failure()?.errorText ?? '')) networkChanged = true })
    // So the page's requests are made by Node instead, which does not drop them; nothing leaves the export server.
    await page.route('**/*', async (route) => {
      const req = route.request()
      if (!req.url().startsWith(`${origin}/`)) return route.abort()
      try {
        const r = await fetch(req.url(), { method: req.method(), headers: req.headers() })
        // fetch has already decoded the body: its encoding and length headers no longer describe it.
        const headers: Record<string, string> = {}
        r.headers.forEach((v, k) => { if (!['content-encoding', 'content-length', 'transfer-encoding'].includes(k)) headers[k] = v })
        await route.fulfill({ status: r.status, headers, body: Buffer.from(await r.arrayBuffer()) })
      } catch {
        await route.abort()
      }
    })
    const ATTEMPTS = 4
    for (let attempt = 1; ; attempt++) {
      networkChanged = false
      await page.goto(`${origin}/?print=true#/${notes ? 'presenter/print' : 'print'}`, { waitUntil: 'networkidle', timeout })
      await page.emulateMedia({ media: 'screen', colorScheme: 'light' })
      const shown = networkChanged
        ? false
        : await page.waitForFunction((q) => document.querySelectorAll(q).length > 0, sel, { timeout: timeout / ATTEMPTS }).then(() => true, (e: unknown) => {
          if (attempt >= ATTEMPTS) throw e
          return false
        })
      if (shown && !networkChanged) break
      if (attempt >= ATTEMPTS) throw new UserError(`${deck.name}: the print view did not load after ${ATTEMPTS} attempts${networkChanged ? ' (the host network kept changing)' : ''}`)
      opts.log?.(`${deck.name}: print view incomplete${networkChanged ? ' (network changed)' : ''}, loading it again…\n`)
    }
    const rendered = await page.evaluate((q) => document.querySelectorAll(q).length, sel)
    await page.waitForFunction(() => document.querySelectorAll('.slidev-slide-loading').length === 0, undefined, { timeout })
    // Mermaid draws into a hidden container before moving each diagram into its slide.
    await page.waitForFunction(() => !document.querySelector('#mermaid-rendering-container div'), undefined, { timeout }).catch(() => undefined)
    await page.waitForLoadState('networkidle')
    await page.pdf(
      notes
        ? { path: pdfPath, printBackground: true, preferCSSPageSize: true, margin: { left: 0, top: 0, right: 0, bottom: 0 } }
        // One page per slide; Chromium adds a blank page after the last page break, which the range leaves out.
        : { path: pdfPath, width: `${width}px`, height: `${height}px`, pageRanges: `1-${rendered}`, printBackground: true, preferCSSPageSize: true, margin: { left: 0, top: 0, right: 0, bottom: 0 } },
    )
    const pdf = readFileSync(pdfPath)
    return { deck: deck.name, pdf: pdfPath, notes, pages: countPdfPages(pdf), slides: rendered, bytes: statSync(pdfPath).size, durationMs: Math.round(performance.now() - t0) }
  } finally {
    await browser.close()
    await server.close()
  }
}
