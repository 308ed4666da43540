// Every slide of both decks, rendered by Debian's Chromium at 1280×720 and 1920×1080: nothing leaves the frame, no
// command scrolls sideways, and nothing is drawn under 16 px at 1280×720. Screenshots stay in test-results/fit/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { buildDeck, listDecks } from '../deck-build.ts'
import { deckSlides } from '../decks/deck-exercises.ts'
import { CHROMIUM, describeFits, fitDeck, launchChromium, serveDecks, type StaticDecks } from './fit-run.ts'
import type { SlideFit } from './fit-measure.ts'

const SHOTS = path.resolve('test-results', 'fit')
const VIEWPORTS = [
  { width: 1280, height: 720, minTextPx: 16 },
  { width: 1920, height: 1080, minTextPx: 0 },
] as const

describe('the course decks fit a projected 16:9 frame', () => {
  const decks = listDecks()
  let dist: string
  let srv: StaticDecks
  let browser: Browser
  let page: Page
  const report: Record<string, SlideFit[]> = {}

  beforeAll(async () => {
    expect(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (apt-get install chromium)`).toBe(true)
    dist = mkdtempSync(path.join(tmpdir(), 'deck-fit-'))
    for (const d of decks) await buildDeck(d, { distDir: dist })
    srv = await serveDecks(dist)
    browser = await launchChromium()
    page = await browser.newPage()
    // Nothing may leave the machine.
    await page.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()))
  }, 300_000)

  afterAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    writeFileSync(path.join(SHOTS, 'report.json'), JSON.stringify(report, null, 2))
    await browser?.close()
    await srv?.close()
    if (dist) rmSync(dist, { recursive: true, force: true })
  })

  it('builds both course decks', () => {
    expect(decks.map((d) => d.name)).toEqual(expect.arrayContaining(['01-postfix-tls', '02-acme-exim']))
  })

  for (const vp of VIEWPORTS) {
    for (const name of ['01-postfix-tls', '02-acme-exim']) {
      const label = `${vp.width}x${vp.height}`
      it(`${name} at ${label}: every slide's content stays in its frame, code never scrolls sideways${vp.minTextPx ? ', no text under 16 px' : ''}`, async () => {
        const deck = decks.find((d) => d.name === name)
        expect(deck).toBeDefined()
        const count = deckSlides(deck!.entry).length
        const fits = await fitDeck(page, {
          origin: srv.origin,
          deck: name,
          slides: count,
          viewport: { width: vp.width, height: vp.height },
          minTextPx: vp.minTextPx,
          shotsDir: path.join(SHOTS, name, label),
        })
        report[`${name}@${label}`] = fits
        // Every slide was really shown and measured (a blank page would pass every check).
        expect(fits.length).toBe(count)
        expect(fits.filter((f) => f.no < 1 || f.title === '' && f.minTextPx === 0).map((f) => f.no)).toEqual([])
        expect(describeFits(name, label, fits)).toEqual([])
      }, 180_000)
    }
  }

  it('catches what it is meant to catch: a slide too long, a command cut, text too small', async () => {
    await page.setViewportSize({ width: 1280, height: 720 })
    const html = `<!doctype html><div class="slidev-slide-content" style="width:980px;height:552px;transform:scale(1.306);transform-origin:0 0">
      <div class="slidev-page slidev-page-1" style="width:980px;height:552px;position:relative">
        <h1>Probe</h1><div style="height:700px">too long</div>
        <pre style="width:200px;overflow:auto;white-space:pre"><code>openssl s_client -connect mail.domaine.tld:25 -starttls smtp</code></pre>
        <p style="font-size:12px">petit</p></div></div>`
    await page.setContent(html)
    const { measureShownSlide } = await import('./fit-measure.ts')
    const fit = await page.evaluate(measureShownSlide, { minTextPx: 16, tolerance: 2 })
    expect(fit.problems.map((p) => p.kind).sort()).toEqual(expect.arrayContaining(['code-cut', 'overflow', 'small-text']))
  })
})
