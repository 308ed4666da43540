// The addon's components in a real browser: the built Postfix deck served with a scripted lab server on loopback,
// driven by playwright-core and Debian's Chromium (offline notice, live terminal bytes, check panel wording).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { buildDeck, listDecks, selectDecks } from '../deck-build.ts'
import { json, startFakeLabServer, type FakeLabServer } from './fake-lab-server.ts'
import type { CheckResult, CheckStreamMessage, ExerciseDetail } from '../../core/lab-protocol.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const DECK = '01-postfix-tls'
const SHOTS = path.resolve('test-results')
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json' }

function result(id: string, status: CheckResult['status'], extra: Partial<CheckResult> = {}): CheckResult {
  return {
    id,
    status,
    title: { fr: `Titre ${id}`, en: id },
    summary: { fr: `Constat ${id}`, en: id },
    evidence: { lines: [`S: 220 mail.domaine.tld ESMTP (${id})`] },
    remedy: { postfix: 'smtpd_tls_protocols = >=TLSv1.2', exim: '-' },
    durationMs: 5,
    ...extra,
  }
}

/** What GET /api/exercises/:id answers: a text with a run block and raw HTML that must show as text, two hints. */
function exerciseDetail(lang: 'fr' | 'en'): ExerciseDetail {
  const text = lang === 'en'
    ? '# Obtain a certificate\n\nAsk Pebble for it <b>now</b>:\n\n```bash run=mail\npostconf -e "smtpd_tls_security_level = may"\n```\n'
    : '# Obtenir un certificat\n\nDemandez-le à Pebble <b>maintenant</b> :\n\n```bash run=mail\npostconf -e "smtpd_tls_security_level = may"\n```\n'
  return {
    id: 'postfix-obtain-certificate',
    lab: 'postfix',
    title: { fr: 'Obtenir un certificat', en: 'Obtain a certificate' },
    text,
    lang,
    hints: [
      { fr: 'Le secret TSIG est dans `/etc/lab/tsig.key`.', en: 'The TSIG secret is in `/etc/lab/tsig.key`.' },
      { fr: 'Rechargez Postfix.', en: 'Reload Postfix.', run: { service: 'mail', script: 'postfix reload' } },
    ],
  }
}

describe('the lab components in the built Postfix deck', () => {
  let dist: string
  let srv: FakeLabServer
  let browser: Browser
  let page: Page
  let apiOnline = false
  /** The slide shown: Slidev keeps neighbouring slides mounted, so every locator is scoped to this one. */
  let slide = (sel: string) => page.locator(sel)
  const terminalText: string[] = []

  beforeAll(async () => {
    expect(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (apt-get install chromium)`).toBe(true)
    dist = mkdtempSync(path.join(tmpdir(), 'deck-dist-'))
    const [deck] = selectDecks(listDecks(), DECK)
    await buildDeck(deck!, { distDir: dist })
    srv = await startFakeLabServer()
    srv.http = (req, res) => {
      const url = new URL(req.url, 'http://127.0.0.1')
      if (url.pathname.startsWith('/api/')) {
        if (!apiOnline) { res.writeHead(404, { 'content-type': 'text/html' }); res.end('<h1>Not found</h1>'); return }
        if (url.pathname === '/api/health') return json(res, 200, { ok: true })
        if (url.pathname === '/api/lab') return json(res, 200, { lab: 'postfix', session: 's1', state: 'up', services: [{ name: 'mail', address: '10.0.0.20', healthy: true }] })
        if (url.pathname.endsWith('/check')) return json(res, 200, { runId: 'run-1' })
        if (url.pathname === '/api/exercises/postfix-obtain-certificate') return json(res, 200, exerciseDetail(url.searchParams.get('lang') === 'en' ? 'en' : 'fr'))
        if (url.pathname === '/api/exercises') {
          return json(res, 200, [{ id: 'postfix-obtain-certificate', lab: 'postfix', title: { fr: 'Obtenir un certificat', en: 'Obtain a certificate' } }])
        }
        return json(res, 404, { error: 'no route' })
      }
      const m = /^\/decks\/([^/]+)\/(.*)$/.exec(url.pathname)
      let file = m ? path.join(dist, m[1]!, m[2] || 'index.html') : ''
      if (m && (!existsSync(file) || statSync(file).isDirectory())) file = path.join(dist, m[1]!, 'index.html')
      if (!file || !file.startsWith(dist) || !existsSync(file)) { res.writeHead(404); res.end(); return }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' })
      res.end(readFileSync(file))
    }
    srv.ws = (socket, url) => {
      if (url.pathname === '/ws/terminal') {
        socket.send(Buffer.from('bienvenue dans toolbox\r\n$ '))
        socket.on('message', (data: Buffer, isBinary: boolean) => {
          // Like a TTY: echo each keystroke, answer the line on Enter.
          if (isBinary) socket.send(data.toString() === '\r' ? Buffer.from('\r\nmail_version = 3.7.11\r\n$ ') : data)
          else terminalText.push(data.toString())
        })
        return
      }
      const msgs: CheckStreamMessage[] = [
        { type: 'result', result: result('tls.version.tls1_0.rejected', 'fail') },
        { type: 'result', result: result('cert.trusted', 'inconclusive', { reason: 'timeout' }) },
        { type: 'result', result: result('smtp.starttls.offered', 'pass') },
        { type: 'done', summary: { pass: 1, fail: 1, warn: 0, inconclusive: 1, skip: 0 } },
      ]
      msgs.forEach((m, i) => setTimeout(() => socket.send(JSON.stringify(m)), 30 * i))
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    })
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } })
    // Nothing may leave the machine: any request to another host fails the test below.
    await page.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()))
  }, 240_000)

  afterAll(async () => {
    await browser?.close()
    await srv?.close()
    if (dist) rmSync(dist, { recursive: true, force: true })
  })

  async function openSlide(title: string, query = ''): Promise<void> {
    const titles = await import('../decks/headings.ts').then((h) => h.slideTitles(readFileSync(path.resolve('slides/decks', DECK, 'slides.md'), 'utf8')))
    const n = titles.findIndex((t) => t === title) + 1
    expect(n, `slide "${title}"`).toBeGreaterThan(0)
    await page.goto(`http://127.0.0.1:${srv.port}/decks/${DECK}/?token=tok${query}#/${n}`, { waitUntil: 'networkidle' })
    slide = (sel: string) => page.locator(`.slidev-page-${n} ${sel}`)
    // Docker creating networks on the host makes Chromium drop in-flight loads (ERR_NETWORK_CHANGED): reload then.
    for (let i = 0; i < 4 && (await page.getByText('Failed to fetch this slide').count()) > 0; i++) await page.reload({ waitUntil: 'networkidle' })
  }

  it('says the lab is offline and to run npm start when no lab server answers', async () => {
    const outside: string[] = []
    page.on('request', (r) => { if (new URL(r.url()).hostname !== '127.0.0.1' && !r.url().startsWith('data:')) outside.push(r.url()) })
    await openSlide('Lab 1 · certbot auprès de Pebble (toolbox)')
    const terminal = slide('.lab-terminal')
    await expect.poll(() => terminal.innerText(), { timeout: 15_000 }).toContain('Le lab est hors ligne')
    expect(await terminal.innerText()).toContain('npm start')
    expect(await slide('.check-panel').innerText()).toContain('Le lab est hors ligne')
    mkdirSync(SHOTS, { recursive: true })
    await page.screenshot({ path: path.join(SHOTS, 'slides-terminal-offline.png') })
    expect(outside).toEqual([])
  })

  it('connects the terminal once the lab server answers, and relays keystrokes and size', async () => {
    apiOnline = true
    await slide('.lab-terminal').getByRole('button', { name: 'Réessayer' }).click()
    const rows = slide('.lab-terminal .xterm-rows')
    await expect.poll(() => rows.innerText(), { timeout: 15_000 }).toContain('bienvenue dans toolbox')
    await slide('.lab-terminal .xterm').click()
    await page.keyboard.type('postconf mail_version')
    await page.keyboard.press('Enter')
    await expect.poll(() => rows.innerText(), { timeout: 10_000 }).toContain('mail_version = 3.7.11')
    expect(await rows.innerText()).toContain('$ postconf mail_version')
    const url = srv.wsUrls.find((u) => u.pathname === '/ws/terminal')
    expect(url?.searchParams.get('token')).toBe('tok')
    expect(url?.searchParams.get('service')).toBe('toolbox')
    expect(Number(url?.searchParams.get('cols'))).toBeGreaterThan(20)
    expect(await slide('.lab-terminal__status').innerText()).toContain('Connecté')
  })

  it('shows each check result live, with the inconclusive one put on the grader', async () => {
    await slide('.check-panel').getByRole('button', { name: 'Vérifier' }).click()
    const panel = slide('.check-panel')
    await expect.poll(() => panel.innerText(), { timeout: 10_000 }).toContain('1 réussi · 1 à corriger · 1 non concluant (côté correcteur)')
    const text = await panel.innerText()
    expect(text).toContain('À corriger')
    expect(text).toContain('Le correcteur n’a pas pu conclure : le serveur n’a pas répondu à temps')
    expect(text).toContain('smtpd_tls_protocols = >=TLSv1.2')
    expect(srv.requests.some((r) => r.url === '/api/exercises/postfix-obtain-certificate/check' && r.authorization === 'Bearer tok')).toBe(true)
    await page.screenshot({ path: path.join(SHOTS, 'slides-terminal-online.png') })
  })

  it('shows the exercise’s text and hints over the slide, one hint at a time, and closes on Esc', async () => {
    const before = await slide('.check-panel').boundingBox()
    const hash = new URL(page.url()).hash
    await slide('.check-panel').getByRole('button', { name: 'Énoncé' }).click()
    const view = page.locator('.exercise-text')
    const body = view.locator('.exercise-text__body')
    await expect.poll(() => body.innerText().catch(() => ''), { timeout: 10_000 }).toContain('Obtenir un certificat')
    // Raw HTML in the text is shown as text, never as markup.
    expect(await body.innerText()).toContain('<b>maintenant</b>')
    expect(await body.locator('b').count()).toBe(0)
    const block = view.locator('.exercise-run[data-service="mail"]')
    expect(await block.locator('.exercise-run__label').innerText()).toBe('dans le terminal mail')
    expect(await block.locator('pre > code').innerText()).toContain('postconf -e "smtpd_tls_security_level = may"')
    const fontPx = await body.locator('p').first().evaluate((el) => Number.parseFloat(getComputedStyle(el).fontSize))
    expect(fontPx).toBeGreaterThanOrEqual(16)
    // The commands are readable: light on the dark block, not the theme's faded code colour.
    const codeColor = await block.locator('pre > code').evaluate((el) => getComputedStyle(el).color)
    expect(codeColor).toBe('rgb(243, 244, 246)')
    expect(await view.locator('.exercise-text__hint').count()).toBe(0)
    await view.getByRole('button', { name: 'Indice suivant (1/2)' }).click()
    expect(await view.locator('.exercise-text__hint').first().innerText()).toContain('/etc/lab/tsig.key')
    await view.getByRole('button', { name: 'Indice suivant (2/2)' }).click()
    const second = view.locator('.exercise-text__hint').nth(1)
    expect(await second.innerText()).toContain('Rechargez Postfix.')
    expect(await second.locator('.exercise-run__label').innerText()).toBe('dans le terminal mail')
    expect(await second.locator('pre > code').innerText()).toContain('postfix reload')
    expect(await view.getByRole('button', { name: /Indice suivant/ }).count()).toBe(0)
    // The slide under the panel keeps its layout.
    expect(await slide('.check-panel').boundingBox()).toEqual(before)
    mkdirSync(SHOTS, { recursive: true })
    await page.screenshot({ path: path.join(SHOTS, 'slides-exercise-text.png') })
    await page.keyboard.press('Escape')
    await expect.poll(() => view.count(), { timeout: 5_000 }).toBe(0)
    expect(new URL(page.url()).hash).toBe(hash)
    expect(srv.requests.some((r) => r.url === '/api/exercises/postfix-obtain-certificate?lang=fr' && r.authorization === 'Bearer tok')).toBe(true)
  })

  it('speaks English with ?lang=en, and names the exercise by its title, not its id', async () => {
    await openSlide('Lab 1 · certbot auprès de Pebble (toolbox)', '&lang=en')
    const panel = slide('.check-panel')
    await expect.poll(() => panel.locator('.check-panel__exercise').innerText(), { timeout: 10_000 }).toBe('Obtain a certificate')
    await panel.getByRole('button', { name: 'Check' }).click()
    await expect.poll(() => panel.innerText(), { timeout: 10_000 }).toContain('1 passed · 1 to fix · 1 inconclusive (grader’s side)')
    const text = await panel.innerText()
    expect(text).toContain('To fix')
    expect(text).toContain('The grader could not conclude: the server did not answer in time')
    expect(text).not.toContain('Vérifier')
    await expect.poll(() => slide('.lab-terminal__status').innerText(), { timeout: 15_000 }).toContain('Connected')
    await page.screenshot({ path: path.join(SHOTS, 'slides-check-panel-en.png') })
    // The text in English; the hints revealed earlier in this tab stay revealed; the close button closes it.
    await panel.getByRole('button', { name: 'Instructions' }).click()
    const view = page.locator('.exercise-text')
    await expect.poll(() => view.locator('.exercise-text__body').innerText().catch(() => ''), { timeout: 10_000 }).toContain('Ask Pebble for it')
    expect(await view.locator('.exercise-run__label').first().innerText()).toBe('in the mail terminal')
    expect(await view.locator('.exercise-text__hint').count()).toBe(2)
    expect(await view.locator('.exercise-text__hint').nth(1).innerText()).toContain('Reload Postfix.')
    await view.getByRole('button', { name: /Close/ }).click()
    await expect.poll(() => view.count(), { timeout: 5_000 }).toBe(0)
  })
})
