// The home page's course map in Chromium: both modules with their sections, every exercise with its state from
// /api/progress and a link to its lab slide carrying the token, and the page's words in English with ?lang=en.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdirSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { MANIFESTS } from '../exercises/index.ts'
import { listDecks } from '../slides/deck-build.ts'
import { deckOutline } from '../slides/decks/deck-exercises.ts'
import { courseMapHtml } from './course-map.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const decks = listDecks().map((d) => ({ name: d.name, title: d.title, outline: deckOutline(d.name, d.title, d.entry) }))

describe('the home page as a course map', () => {
  let server: http.Server
  let origin: string
  let browser: Browser
  let page: Page
  const seenAuth: string[] = []

  beforeAll(async () => {
    expect(existsSync(CHROMIUM)).toBe(true)
    server = http.createServer((req, res) => {
      if (req.url?.startsWith('/api/progress')) {
        seenAuth.push(req.headers.authorization ?? '')
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ exercises: { 'postfix-tls-main-cf': { attempts: 2, passed: true }, 'exim-renewal-hook': { attempts: 1, passed: false } } }))
        return
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end(courseMapHtml(decks, { instructor: false, storageKey: 'k' }))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await new Promise((r) => server?.close(r))
  })

  it('lists both modules, their sections, and every exercise once', () => {
    const html = courseMapHtml(decks, { instructor: false, storageKey: 'k' })
    for (const d of decks) expect(html).toContain(d.title)
    for (const [, m] of MANIFESTS) expect(html.split(`data-ex="${m.id}"`).length - 1, m.id).toBe(1)
    expect(decks.every((d) => (d.outline.sections.length) >= 4)).toBe(true)
  })

  it('shows each exercise state from the store and links each to its lab slide with the token', async () => {
    await page.goto(`${origin}/?token=tok123`)
    const state = (id: string) => page.locator(`li[data-ex="${id}"] .state`)
    await expect.poll(() => state('postfix-tls-main-cf').getAttribute('data-state')).toBe('done')
    expect(await state('postfix-tls-main-cf').innerText()).toBe('terminé')
    expect(await state('exim-renewal-hook').innerText()).toBe('en cours')
    expect(await state('postfix-hardening').innerText()).toBe('non commencé')
    expect(seenAuth).toContain('Bearer tok123')
    expect(await page.locator('li[data-ex="exim-break-fix-verify-21"] a').getAttribute('href')).toBe('/decks/02-acme-exim/?token=tok123#/lab-exim-break-fix-verify-21')
    mkdirSync(path.resolve('test-results'), { recursive: true })
    await page.screenshot({ path: path.resolve('test-results', 'course-map-fr.png'), fullPage: true })
  })

  it('switches the page’s words to English with ?lang=en, exercise titles included', async () => {
    await page.goto(`${origin}/?lang=en`)
    await expect.poll(() => page.locator('li[data-ex="postfix-tls-main-cf"] .state').innerText()).toBe('done')
    expect(await page.locator('h2').first().innerText()).toBe('Course map')
    expect(await page.locator('html').getAttribute('lang')).toBe('en')
    const en = MANIFESTS.find(([, m]) => m.id === 'exim-break-fix-verify-21')?.[1].title.en ?? ''
    expect(await page.locator('li[data-ex="exim-break-fix-verify-21"] a').innerText()).toBe(en)
    expect(await page.locator('li[data-ex="exim-break-fix-verify-21"] a').getAttribute('href')).toContain('lang=en')
    await page.screenshot({ path: path.resolve('test-results', 'course-map-en.png'), fullPage: true })
  })
})
