// A class in four Chromium contexts against one class server with three real Postfix sandboxes: an instructor and
// three learners join by their links, the learners type in their terminals and press Vérifier, the instructor's live
// grid (and the presenter's class panel) shows the three rows change; a learner who follows is moved to the
// presenter's slide; no learner reads another's progress or terminal, with their own cookie or with none.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromium, request as pwRequest, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core'
import WebSocket from 'ws'
import type { Status } from '../../core/lab-protocol.ts'
import { TEST_SESSION_PREFIX, testRunId } from '../../sandbox/test-session.ts'
import { CLI, cli, deckIsStale, DIST_DIR, findSlide, REPO, squash, type DeckSlide } from '../e2e/course-process.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const DECK = '01-postfix-tls'
const EXERCISE = 'postfix-tls-main-cf'
const MINUTE = 60_000

let root: string
let server: ChildProcess | null = null
let links: Ready
let browser: Browser
let slide: DeckSlide
const contexts: BrowserContext[] = []
let instructor: Page
const learners: { page: Page; statuses: Status[]; slideRoot: Locator }[] = []

interface Ready {
  url: string
  instructor: { url: string }
  learners: { name: string; url: string }[]
  dataDir: string
}

/** `class start` as typed, in its own process (so that it can be killed with SIGKILL); resolves with its JSON line. */
function startClass(port: number): Promise<Ready> {
  const child = spawn(
    process.execPath,
    [CLI, 'class', 'start', '--learners', '3', '--host', '127.0.0.1', '--port', String(port), '--no-build', '--json', '--data-dir', root],
    // Sessions <prefix><run>-c…-01: the suite's teardown finds them if this file dies before its own afterAll.
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SMTP_TLS_LAB_TEST_PREFIX: `${TEST_SESSION_PREFIX}${testRunId()}-` } },
  )
  server = child
  let err = ''
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(JSON.parse(line) as Ready))
    child.once('exit', (code) => reject(new Error(`class start exited ${code}: ${err}`)))
  })
}

const sessions = (): string[] => (JSON.parse(readFileSync(path.join(root, 'class.json'), 'utf8')) as { seats: { session: string }[] }).seats.map((s) => s.session)

/** Every learner's sandbox up, as the server says to each learner. */
async function sandboxesUp(): Promise<void> {
  for (const l of links.learners) {
    const ctx = await pwRequest.newContext()
    await ctx.get(l.url)
    let state = ''
    for (const until = Date.now() + 5 * MINUTE; state !== 'up' && Date.now() < until; await new Promise((r) => setTimeout(r, 1_000))) {
      state = ((await (await ctx.get(`${links.url}api/lab`)).json()) as { state: string }).state
    }
    if (state !== 'up') throw new Error(`sandbox of ${l.name}: ${state}`)
    await ctx.dispose()
  }
}

beforeAll(async () => {
  if (!existsSync(path.join(DIST_DIR, DECK, 'index.html')) || deckIsStale(DECK)) {
    const built = await cli(['slides', 'build', '--deck', DECK], { timeoutMs: 5 * MINUTE })
    expect(built.code, built.stderr).toBe(0)
  }
  slide = findSlide(DECK, '<LabTerminal lab="postfix" service="mail"', `<CheckPanel exercise="${EXERCISE}"`)
  root = mkdtempSync(path.join(tmpdir(), 'stl-class-browser-'))
  const t0 = Date.now()
  links = await startClass(0)
  await sandboxesUp()
  console.log(`class server and 3 sandboxes up in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] })
}, 10 * MINUTE)

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined)
  await browser?.close()
  if (server && server.exitCode === null) {
    server.kill('SIGTERM')
    await new Promise((r) => server!.once('exit', r))
  }
  if (root) {
    const { downSandbox } = await import('../../sandbox/engine.ts')
    await Promise.all(sessions().map((s) => downSandbox(s).catch(() => undefined)))
    rmSync(root, { recursive: true, force: true })
  }
}, 5 * MINUTE)

async function joined(url: string, landing: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  contexts.push(context)
  const page = await context.newPage()
  await page.goto(url)
  await page.waitForURL(new URL(landing, url).href)
  // The token went into an HttpOnly cookie: neither the address bar nor a script sees it.
  expect(page.url()).not.toContain('token')
  expect(await page.evaluate(() => document.cookie)).toBe('')
  return page
}

async function openSlide(page: Page, n: number): Promise<Locator> {
  const slideRoot = page.locator(`.slidev-page-${n}`)
  // A Docker network created meanwhile (ERR_NETWORK_CHANGED) can make Chromium drop a script chunk and the slide then
  // never renders: loading the page again is what a learner would do (as labs/e2e does).
  for (let attempt = 1; ; attempt++) {
    if (attempt === 1) await page.goto(`${links.url}decks/${DECK}/#/${n}`)
    else await page.reload({ waitUntil: 'load' })
    try {
      await expect.poll(() => slideRoot.locator('h1').first().innerText({ timeout: 1_000 }).then(squash, () => ''), { timeout: 40_000 }).toBe(squash(slide.title))
      return slideRoot
    } catch (err) {
      if (attempt >= 3) throw err
    }
  }
}

async function typeIn(page: Page, slideRoot: Locator, command: string, expected: string): Promise<void> {
  const status = slideRoot.locator('.lab-terminal__status')
  await expect.poll(() => status.innerText({ timeout: 1_000 }).catch(() => ''), { timeout: 2 * MINUTE }).toContain('Connecté')
  await slideRoot.locator('.lab-terminal .xterm').click()
  await page.keyboard.type(command, { delay: 10 })
  await page.keyboard.press('Enter')
  await expect.poll(() => slideRoot.locator('.lab-terminal .xterm-rows').innerText().then((t) => t.replace(/\s+/g, '')), { timeout: MINUTE }).toContain(expected)
}

async function verify(slideRoot: Locator): Promise<Status[]> {
  const panel = slideRoot.locator('.check-panel')
  const button = panel.locator('.check-panel__verify')
  await expect.poll(() => button.innerText(), { timeout: MINUTE }).toBe('Vérifier')
  await button.click()
  const rows = panel.locator('.check-panel__row[data-status]')
  await expect.poll(async () => (await button.innerText()) === 'Vérifier' && (await rows.count()) > 0, { timeout: 5 * MINUTE, interval: 1_000 }).toBe(true)
  return (await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-status') ?? ''))) as Status[]
}

/** A raw terminal socket as a script would open it: with a cookie header, or none. */
function rawTerminal(cookie: string | null): Promise<{ code: number; output: string; ws: WebSocket }> {
  const origin = links.url.replace(/\/$/, '')
  const ws = new WebSocket(`${origin.replace('http', 'ws')}/ws/terminal?service=mail&lab=postfix&cols=120&rows=20`, {
    headers: { origin, ...(cookie ? { cookie } : {}) },
  })
  let output = ''
  ws.on('message', (d) => (output += String(d)))
  return new Promise((resolve) => {
    ws.once('close', (code) => resolve({ code, output, ws }))
    ws.once('open', () => {
      setTimeout(() => ws.send('cat /tmp/who-am-i\r'), 1_500)
      setTimeout(() => resolve({ code: 0, output, ws }), 4_000)
    })
  })
}

describe('a class of three in Chromium', () => {
  it('shows the instructor each learner’s check run live, follows the presenter, and keeps each learner to their own lab', async () => {
    instructor = await joined(links.instructor.url, '/instructor')
    const gridRows = instructor.locator('#class-grid tbody tr.class-row')
    await expect.poll(() => gridRows.count(), { timeout: 30_000 }).toBe(3)
    await instructor.selectOption('#class-exercise', EXERCISE)
    await expect.poll(() => instructor.locator('#class-grid thead th').count(), { timeout: 30_000 }).toBeGreaterThan(5)
    // Before any run: no learner has a result on any criterion.
    expect(await instructor.locator('#class-grid tbody td.pass, #class-grid tbody td.fail').count()).toBe(0)

    for (const [i, l] of links.learners.entries()) {
      const page = await joined(l.url, '/')
      const slideRoot = await openSlide(page, slide.n)
      await typeIn(page, slideRoot, `echo learner-${i + 1} > /tmp/who-am-i; echo done-$((40+${i + 1}))`, `done-${41 + i}`)
      learners.push({ page, slideRoot, statuses: await verify(slideRoot) })
    }
    // Each row of the live grid turned into that learner's run, criterion by criterion.
    for (const [i, l] of learners.entries()) {
      const row = gridRows.nth(i)
      const shown = async (): Promise<string[]> => (await row.locator('td[data-criterion]').evaluateAll((tds) => tds.map((td) => td.className))).filter((c) => c !== 'none').sort()
      await expect.poll(shown, { timeout: 30_000, message: `row of learner ${i + 1}` }).toEqual([...l.statuses].sort())
      expect(l.statuses).toContain('fail') // start state: Debian's snakeoil certificate
      expect(await row.locator('td.connected').innerText()).toBe('oui')
    }
    // Drill-down: a click on a row shows that learner's evidence.
    await gridRows.nth(1).click()
    await expect.poll(() => instructor.locator('#class-evidence-title').innerText(), { timeout: 10_000 }).toContain('Apprenant 02')
    expect(await instructor.locator('#class-evidence-body .criterion').count()).toBe(learners[1]!.statuses.length)

    // Follow the presenter: learner 3 opts in and sits on slide 1; the instructor presents the lab slide.
    const follower = learners[2]!.page
    await follower.goto(`${links.url}decks/${DECK}/#/1`)
    await follower.locator('[data-testid=follow-presenter]').check({ force: true })
    const presenter = await instructor.context().newPage()
    await presenter.goto(`${links.url}decks/${DECK}/#/presenter/${slide.n}`)
    await expect.poll(() => new URL(follower.url()).hash, { timeout: 30_000 }).toBe(`#/${slide.n}`)
    // The presenter's class panel: the exercise of the slide and the three learners' rows.
    await presenter.locator('[data-testid=class-panel-toggle]').click({ force: true })
    const panel = presenter.locator('[data-testid=class-panel]')
    await expect.poll(() => panel.locator('.class-nav__row').count(), { timeout: 30_000 }).toBe(3)
    expect(await panel.innerText()).toContain(EXERCISE)
    expect(await panel.locator('td[data-status=fail]').count()).toBeGreaterThanOrEqual(3)

    // Isolation: learner 1's own cookie opens their own progress only; the class, the instructor page and others'
    // evidence are refused; with no cookie nothing opens.
    const mine = learners[0]!.page.context().request
    const base = links.url
    const progress = (await (await mine.get(`${base}api/progress`)).json()) as { learner: { id: string }; attempts: { learner: string }[] }
    expect(progress.learner.id).toBe('l01')
    expect(new Set(progress.attempts.map((a) => a.learner))).toEqual(new Set(['l01']))
    for (const p of ['api/class', 'instructor', `api/class/learners/l02/evidence?exercise=${EXERCISE}`, 'instructor/class.csv']) {
      expect((await mine.get(`${base}${p}`)).status(), p).toBe(403)
    }
    const anonymous = await pwRequest.newContext()
    expect((await anonymous.get(`${base}api/progress`)).status()).toBe(401)
    expect((await anonymous.get(`${base}api/class/learners/l02/evidence?exercise=${EXERCISE}`)).status()).toBe(401)
    await anonymous.dispose()
    // Terminals: with no cookie the socket is refused; learner 1's cookie opens learner 1's own shell, never another's.
    expect((await rawTerminal(null)).code).toBe(4401)
    const cookie = (await learners[0]!.page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ')
    const own = await rawTerminal(cookie)
    own.ws.close()
    expect(own.output).toContain('learner-1')
    expect(own.output).not.toMatch(/learner-[23]/)
  }, 15 * MINUTE)

  it('after kill -9 of the class server and a restart, progress and sandboxes are back and the open tabs reconnect by themselves', async () => {
    const port = new URL(links.url).port
    const first = learners[0]!
    // Learner 1 back on the lab slide, terminal connected, before the kill.
    const slideRoot = await openSlide(first.page, slide.n)
    const status = slideRoot.locator('.lab-terminal__status')
    await expect.poll(() => status.innerText().catch(() => ''), { timeout: 2 * MINUTE }).toContain('Connecté')
    server!.kill('SIGKILL')
    await new Promise((r) => server!.once('exit', r))
    await expect.poll(() => instructor.locator('#class-conn').innerText(), { timeout: 30_000 }).toContain('reconnexion')
    await expect.poll(() => status.innerText().catch(() => ''), { timeout: 30_000 }).not.toContain('Connecté')

    const t0 = Date.now()
    const again = await startClass(Number(port))
    expect(again.learners.map((l) => l.url)).toEqual(links.learners.map((l) => l.url))
    // No reload anywhere: the instructor's grid and the learner's terminal come back on their own.
    await expect.poll(() => instructor.locator('#class-conn').innerText(), { timeout: MINUTE }).toBe('en direct')
    await expect.poll(() => status.innerText().catch(() => ''), { timeout: 2 * MINUTE }).toContain('Connecté')
    console.log(`tabs reconnected ${((Date.now() - t0) / 1000).toFixed(1)} s after the restart`)
    // The same sandbox, adopted (not a fresh one): what learner 1 wrote before the kill is there.
    await typeIn(first.page, slideRoot, 'cat /tmp/who-am-i', 'learner-1')
    // Progress back: the grid (rebuilt from the store) shows each learner's last run as before.
    await instructor.selectOption('#class-exercise', EXERCISE)
    const rows = instructor.locator('#class-grid tbody tr.class-row')
    for (const [i, l] of learners.entries()) {
      const shown = async (): Promise<string[]> =>
        (await rows.nth(i).locator('td[data-criterion]').evaluateAll((tds) => tds.map((td) => td.className))).filter((c) => c !== 'none').sort()
      await expect.poll(shown, { timeout: 30_000, message: `row of learner ${i + 1} after restart` }).toEqual([...l.statuses].sort())
    }
  }, 10 * MINUTE)

  it('a terminal whose connection drops gets the same shell back on reconnection, and only its own learner can take it', async () => {
    const cookieOf = async (i: number): Promise<string> => (await learners[i]!.page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ')
    const origin = links.url.replace(/\/$/, '')
    /** Opens a terminal with this tid, asks the shell its pid, and returns it with the socket. */
    const shellPid = (cookie: string, tid: string): Promise<{ pid: string; who: string; ws: WebSocket }> =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`${origin.replace('http', 'ws')}/ws/terminal?service=mail&lab=postfix&cols=120&rows=20&tid=${tid}`, { headers: { origin, cookie } })
        let out = ''
        ws.on('message', (d) => {
          out += String(d)
          const m = /PID=(\d+)=(learner-\d)=/.exec(out)
          if (m) resolve({ pid: m[1]!, who: m[2]!, ws })
        })
        ws.once('open', () => setTimeout(() => ws.send('echo PID=$$=$(cat /tmp/who-am-i)=\r'), 1_000))
        ws.once('close', (code) => reject(new Error(`terminal closed ${code}: ${out}`)))
        setTimeout(() => reject(new Error(`no pid: ${out}`)), 30_000)
      })
    const tid = 'h10-keep-0123456789'
    const first = await shellPid(await cookieOf(0), tid)
    // The network goes away: no close frame, the socket just dies.
    first.ws.removeAllListeners('close')
    first.ws.terminate()
    await new Promise((r) => setTimeout(r, 1_000))
    const again = await shellPid(await cookieOf(0), tid)
    expect(first.who).toBe('learner-1')
    expect(again.pid).toBe(first.pid)
    again.ws.removeAllListeners('close')
    again.ws.terminate()
    await new Promise((r) => setTimeout(r, 500))
    // Another learner presenting the same terminal id gets a shell of their own sandbox, never learner 1's.
    const other = await shellPid(await cookieOf(1), tid)
    expect(other.who).toBe('learner-2')
    other.ws.close()
    // A new tid is a new shell.
    const fresh = await shellPid(await cookieOf(0), 'h10-other-0123456789')
    expect(fresh.who).toBe('learner-1')
    expect(fresh.pid).not.toBe(first.pid)
    fresh.ws.close()
  }, 5 * MINUTE)
})
