// The whole course as its users meet it: `start` with a real sandbox, both decks in Chromium (live terminal, check
// panels on the Postfix then the Exim lab), and submissions graded by `grade` shown on the instructor page.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core'
import { downSessionsWithPrefix } from '../../grading/class.ts'
import { setParams } from '../../grading/harvest.ts'
import { testRunId, testSession } from '../../sandbox/test-session.ts'
import { summaryText } from '../../slides/addon-lab/check-run.ts'
import type { CheckSummary, LabInfo, Status } from '../../core/lab-protocol.ts'
import type { CatalogCheck } from '../exercise-catalog.ts'
import type { Attempt } from '../progress-store.ts'
import {
  cli,
  deckIsStale,
  dockerExec,
  findSlide,
  REPO,
  squash,
  startCourse,
  type CliResult,
  type CourseProcess,
  type DeckSlide,
  type StartedCourse,
} from './course-process.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const SHOTS = path.join(REPO, 'test-results')
const POSTFIX_DECK = '01-postfix-tls'
const EXIM_DECK = '02-acme-exim'
const POSTFIX_EXERCISE = 'postfix-tls-main-cf'
const EXIM_EXERCISE = 'exim-auth-tls-policy'
const session = testSession('e2e')
/** Grading sessions are `<batch>-000`…: the run's prefix, so the suite's teardown also finds them. */
const batch = `vt-${testRunId()}-grade`
const STATUS_LABEL: Record<Status, string> = { pass: 'Réussi', fail: 'À corriger', warn: 'Attention', skip: 'Non applicable', inconclusive: 'Non concluant' }
const MINUTE = 60_000

let dataDir = ''
let profileDir = ''
let classDir = ''
let course: CourseProcess | null = null
let started: StartedCourse
let context: BrowserContext | null = null
let page: Page
const grading = new AbortController()
let gradeRun: Promise<CliResult> | null = null

const api = async <T,>(p: string, init: RequestInit = {}): Promise<T> => {
  const res = await fetch(`${started.origin}${p}`, { ...init, headers: { authorization: `Bearer ${started.token}`, ...(init.headers ?? {}) } })
  const body = (await res.json()) as T
  if (!res.ok) throw new Error(`${p}: ${res.status} ${JSON.stringify(body)}`)
  return body
}

const deckUrl = (deck: string): string => {
  const d = started.decks.find((x) => x.name === deck)
  if (!d) throw new Error(`start did not list the deck ${deck}: ${started.decks.map((x) => x.name).join(', ')}`)
  return d.url
}

const shot = async (name: string, opts: { fullPage?: boolean } = {}): Promise<string> => {
  const file = path.join(SHOTS, `e2e-${name}.png`)
  await page.screenshot({ path: file, ...opts })
  return file
}

/** Docker adding or removing a network on the host makes Chromium drop in-flight loads (ERR_NETWORK_CHANGED). */
const NETWORK_CHANGED = /ERR_NETWORK_CHANGED|ERR_NETWORK_IO_SUSPENDED|ERR_CONNECTION_RESET/

async function goto(url: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await page.goto(url, { waitUntil: 'load', timeout: 2 * MINUTE })
      return
    } catch (err) {
      if (i >= 5 || !NETWORK_CHANGED.test(String(err))) throw err
    }
  }
}

/** Opens slide n of a deck and returns the slide's root (Slidev keeps neighbours mounted: scope every locator). */
async function openSlide(deck: string, slide: DeckSlide): Promise<Locator> {
  const root = page.locator(`.slidev-page-${slide.n}`)
  // A Docker network created meanwhile (the background grading) can make Chromium drop one script chunk: the page then
  // never renders. Loading it again is what a learner would do; a hash-only goto would not reload, hence reload().
  for (let attempt = 1; ; attempt++) {
    if (attempt === 1) await goto(`${deckUrl(deck)}#/${slide.n}`)
    else await page.reload({ waitUntil: 'load' })
    for (let i = 0; i < 5 && (await page.getByText('Failed to fetch this slide').count()) > 0; i++) await page.reload({ waitUntil: 'load' })
    try {
      // The route number comes from slides.md: a stale build would show another slide, said here rather than later.
      await expect
        .poll(() => root.locator('h1').first().innerText({ timeout: 1_000 }).then(squash, () => ''), { timeout: 40_000, message: `slide ${slide.n} of ${deck}` })
        .toBe(squash(slide.title))
      return root
    } catch (err) {
      if (attempt >= 3) throw err
    }
  }
}

const compact = (s: string): string => s.replace(/\s+/g, '')

/** Types a command into the slide's terminal and waits for `expected` after its echo; retypes after a reconnection. */
async function runInTerminal(root: Locator, command: string, expected: string): Promise<string> {
  const status = root.locator('.lab-terminal__status')
  const rows = root.locator('.lab-terminal .xterm-rows')
  for (let attempt = 1; ; attempt++) {
    await expect.poll(() => status.innerText({ timeout: 1_000 }).catch(() => ''), { timeout: 3 * MINUTE, message: 'terminal status' }).toContain('Connecté')
    await root.locator('.lab-terminal .xterm').click()
    await page.keyboard.type(command, { delay: 20 })
    await page.keyboard.press('Enter')
    try {
      await expect
        .poll(
          async () => {
            // A narrow terminal wraps long answers: compare without any whitespace.
            const screen = compact(await rows.innerText())
            const echo = screen.lastIndexOf(compact(command))
            return echo === -1 ? '' : screen.slice(echo + compact(command).length)
          },
          { timeout: MINUTE, message: `answer to ${command}` },
        )
        .toContain(compact(expected))
      return squash(await rows.innerText())
    } catch (err) {
      if (attempt >= 3) throw err
    }
  }
}

interface PanelRun {
  readonly statuses: Status[]
  readonly summary: string
}

/** Presses « Vérifier » and waits for the run's end; a run the server could not finish (network blip) is redone. */
async function verify(deck: string, slide: DeckSlide): Promise<{ root: Locator; run: PanelRun }> {
  for (let attempt = 1; ; attempt++) {
    const root = await openSlide(deck, slide)
    const panel = root.locator('.check-panel')
    const button = panel.locator('.check-panel__verify')
    await expect.poll(() => button.innerText(), { timeout: MINUTE }).toBe('Vérifier')
    await button.click()
    const rows = panel.locator('.check-panel__row[data-status]')
    const problem = panel.locator('.check-panel__problem')
    await expect
      .poll(async () => (await button.innerText()) === 'Vérifier' && ((await rows.count()) > 0 || (await problem.count()) > 0), {
        timeout: 10 * MINUTE,
        interval: 1_000,
        message: 'end of the check run',
      })
      .toBe(true)
    if ((await problem.count()) > 0) {
      if (attempt >= 3) throw new Error(`the check run did not finish three times: ${await problem.innerText()}`)
      continue
    }
    const statuses = (await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-status') ?? ''))) as Status[]
    for (const [i, s] of statuses.entries()) {
      expect(Object.keys(STATUS_LABEL), `status of row ${i}`).toContain(s)
      expect(squash(await rows.nth(i).locator('.check-panel__badge').innerText())).toContain(STATUS_LABEL[s])
    }
    return { root, run: { statuses, summary: squash(await panel.locator('.check-panel__summary').innerText()) } }
  }
}

const countOf = (statuses: readonly Status[]): CheckSummary => {
  const c: Record<Status, number> = { pass: 0, fail: 0, warn: 0, inconclusive: 0, skip: 0 }
  for (const s of statuses) c[s]++
  return c
}

/** The learner's last attempt at an exercise as the server stored it. */
async function lastAttempt(exercise: string): Promise<Attempt> {
  const progress = await api<{ attempts: Attempt[] }>('/api/progress')
  const mine = progress.attempts.filter((a) => a.exercise === exercise)
  expect(mine.length, `attempts at ${exercise}`).toBeGreaterThan(0)
  return mine.reduce((a, b) => (b.id > a.id ? b : a))
}

const resultKey = (r: Attempt['results'][number]): string => (r.result as { key?: string }).key ?? r.checkId

async function exerciseChecks(id: string): Promise<readonly CatalogCheck[]> {
  return (await api<{ checks: CatalogCheck[] }>(`/api/exercises/${id}`)).checks
}

/** A panel run against the stored attempt: one row per check of the exercise, and the page says what was stored. */
async function expectRunMatchesStore(exercise: string, run: PanelRun): Promise<void> {
  const checks = await exerciseChecks(exercise)
  const attempt = await lastAttempt(exercise)
  expect(attempt.status).toBe('done')
  expect(attempt.results.map(resultKey).sort()).toEqual(checks.map((c) => c.key).sort())
  expect(run.statuses.length, `rows shown for the ${checks.length} checks of ${exercise}`).toBe(checks.length)
  expect(run.statuses.slice().sort()).toEqual(attempt.results.map((r) => r.status).sort())
  expect(run.summary).toBe(summaryText(countOf(run.statuses)))
}

describe('the course end to end: learner decks on real sandboxes, then the instructor page', () => {
  beforeAll(async () => {
    expect(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (apt-get install chromium)`).toBe(true)
    mkdirSync(SHOTS, { recursive: true })
    for (const deck of [POSTFIX_DECK, EXIM_DECK]) {
      if (!deckIsStale(deck)) continue
      const r = await cli(['slides', 'build', '--deck', deck], { timeoutMs: 10 * MINUTE })
      expect(r.code, `slides build --deck ${deck}\n${r.stderr}`).toBe(0)
    }
    dataDir = mkdtempSync(path.join(tmpdir(), 'stl-e2e-data-'))
    profileDir = mkdtempSync(path.join(tmpdir(), 'stl-e2e-chromium-'))
    course = startCourse(['--port', '0', '--data-dir', dataDir, '--session', session])
    started = await course.ready

    // Graded while the learner works: two submissions of the Postfix main.cf exercise. alice hands in the Debian
    // main.cf of a fresh mail container with the scripted solution's settings (exercises/02-postfix-tls-main-cf/solve.sh);
    // bob hands in notes instead of main.cf, which the grader refuses without a sandbox.
    const debianMainCf = await dockerExec(`stl-${session}-mail`, ['cat', '/etc/postfix/main.cf'])
    classDir = mkdtempSync(path.join(tmpdir(), 'stl-e2e-class-'))
    mkdirSync(path.join(classDir, 'alice'))
    writeFileSync(
      path.join(classDir, 'alice', 'main.cf'),
      setParams(debianMainCf, {
        smtpd_tls_cert_file: '/etc/letsencrypt/live/mail.domaine.tld/fullchain.pem',
        smtpd_tls_key_file: '/etc/letsencrypt/live/mail.domaine.tld/privkey.pem',
        smtpd_tls_security_level: 'may',
        smtpd_tls_protocols: '>=TLSv1.2',
        smtpd_tls_mandatory_protocols: '>=TLSv1.2',
        smtpd_tls_loglevel: '1',
      }),
    )
    mkdirSync(path.join(classDir, 'bob'))
    writeFileSync(path.join(classDir, 'bob', 'notes.txt'), 'je n’ai pas fini\n')
    gradeRun = cli(
      ['grade', '--exercise', POSTFIX_EXERCISE, '--class', classDir, '--out', `${classDir}-grades`, '--data-dir', dataDir, '--batch', batch, '--parallel', '1', '--json'],
      { timeoutMs: 20 * MINUTE, signal: grading.signal },
    )
    gradeRun.catch(() => undefined)

    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 720 },
      acceptDownloads: true,
      locale: 'fr-FR',
    })
    // Nothing may leave the machine: the course is served from loopback only.
    await context.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()))
    page = context.pages()[0] ?? (await context.newPage())
  }, 20 * MINUTE)

  afterAll(async () => {
    await context?.close().catch(() => undefined)
    await course?.stop()
    if (gradeRun) {
      grading.abort() // a no-op once grading has ended; otherwise `grade` removes its sandboxes on SIGTERM
      await gradeRun.catch(() => undefined)
    }
    const down = await cli(['sandbox', 'down', '--session', session], { timeoutMs: 5 * MINUTE }).catch((e: unknown) => ({ code: -1, stdout: '', stderr: String(e) }))
    if (down.code !== 0) process.stderr.write(`e2e: sandbox down --session ${session} exited ${down.code}: ${down.stderr}\n`)
    await downSessionsWithPrefix(`${batch}-`).catch(() => [])
    for (const dir of [dataDir, profileDir, classDir, classDir && `${classDir}-grades`]) if (dir) rmSync(dir, { recursive: true, force: true })
  }, 10 * MINUTE)

  afterEach(async (ctx) => {
    // What the page showed when a step failed: the first thing to look at.
    if (ctx.task.result?.state === 'fail' && context) {
      const slug = ctx.task.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 60)
      await shot(`failed-${slug}`).catch(() => undefined)
    }
  })

  it('start brings the postfix sandbox up and lists both decks with the learner token', async () => {
    expect(started.sandbox).toBe(true)
    expect(started.session).toBe(session)
    expect(started.lab).toBe('postfix')
    expect(started.state, course!.stderr()).toBe('up')
    expect(started.decks.map((d) => d.name)).toEqual(expect.arrayContaining([POSTFIX_DECK, EXIM_DECK]))
    expect(deckUrl(POSTFIX_DECK)).toBe(`${started.origin}/decks/${POSTFIX_DECK}/?token=${started.token}`)
  })

  it('the Postfix deck shows the lab ready with every service healthy', async () => {
    const root = await openSlide(POSTFIX_DECK, findSlide(POSTFIX_DECK, '<LabStatus lab="postfix"'))
    const status = root.locator('.lab-status')
    await expect.poll(() => status.innerText().then(squash), { timeout: 2 * MINUTE }).toContain('Lab Postfix prêt')
    const services = await root.locator('.lab-status__services li').allInnerTexts()
    expect(services.map((s) => squash(s).split(' ')[1]).sort()).toEqual(['acme', 'attacker', 'dns', 'mail', 'partners', 'toolbox'])
    expect(await root.locator('.lab-status__services li[data-healthy="false"]').count()).toBe(0)
    await shot('postfix-lab-status')
  }, 5 * MINUTE)

  const mainCfSlide = (): DeckSlide => findSlide(POSTFIX_DECK, '<LabTerminal lab="postfix" service="mail"', `<CheckPanel exercise="${POSTFIX_EXERCISE}"`)

  it('typing postconf mail_version in the mail terminal prints what docker exec prints in that container', async () => {
    const truth = (await dockerExec(`stl-${session}-mail`, ['postconf', 'mail_version'])).trim()
    expect(truth).toMatch(/^mail_version = \d+\.\d+\.\d+$/)
    const root = await openSlide(POSTFIX_DECK, mainCfSlide())
    const screen = await runInTerminal(root, 'postconf mail_version', truth)
    expect(compact(screen)).toContain(compact(`postconf mail_version ${truth}`))
    expect(squash(await root.locator('.lab-terminal__status').innerText())).toBe('mail · Connecté')
    await shot('postfix-terminal')
  }, 8 * MINUTE)

  it('pressing Vérifier on the main.cf slide shows a result row, with its status, for every check of postfix-tls-main-cf', async () => {
    const { run } = await verify(POSTFIX_DECK, mainCfSlide())
    await expectRunMatchesStore(POSTFIX_EXERCISE, run)
    // The learner has not done the exercise: the lab's default main.cf keeps Debian's snakeoil certificate.
    expect(run.statuses).toContain('fail')
    await shot('postfix-check-panel')
  }, 15 * MINUTE)

  it('on the certbot slide Vérifier shows a row for each of the four checks of postfix-obtain-certificate, the same check run on toolbox and on mail told apart', async () => {
    const slide = findSlide(POSTFIX_DECK, '<LabTerminal lab="postfix" service="toolbox"', '<CheckPanel exercise="postfix-obtain-certificate"')
    const checks = await exerciseChecks('postfix-obtain-certificate')
    expect(new Set(checks.map((c) => c.id)).size, 'checks sharing an id').toBeLessThan(checks.length)
    const { run } = await verify(POSTFIX_DECK, slide)
    await expectRunMatchesStore('postfix-obtain-certificate', run)
    await shot('postfix-certbot-check-panel')
  }, 15 * MINUTE)

  it('the Exim deck offers to replace the running Postfix lab, and Démarrer brings the exim lab up', async () => {
    const root = await openSlide(EXIM_DECK, findSlide(EXIM_DECK, '<LabStatus lab="exim"'))
    const head = root.locator('.lab-status__head')
    await expect.poll(() => head.innerText().then(squash), { timeout: 2 * MINUTE }).toContain('Le lab Postfix tourne ; ce chapitre utilise le lab Exim')
    await head.getByRole('button', { name: 'Démarrer' }).click()
    await expect
      .poll(() => head.innerText().then(squash, () => ''), { timeout: 12 * MINUTE, interval: 2_000, message: 'exim lab ready' })
      .toContain('Lab Exim prêt')
    const lab = await api<LabInfo>('/api/lab')
    expect(lab.lab).toBe('exim')
    expect(lab.state).toBe('up')
    expect(lab.services.map((s) => s.name).sort()).toEqual(['acme', 'dns', 'mail', 'toolbox'])
    await shot('exim-lab-status')
  }, 15 * MINUTE)

  it('on the Exim AUTH/TLS slide the mail terminal runs Exim and Vérifier shows a row for every check of exim-auth-tls-policy', async () => {
    const slide = findSlide(EXIM_DECK, '<LabTerminal lab="exim" service="mail"', `<CheckPanel exercise="${EXIM_EXERCISE}"`)
    const truth = (await dockerExec(`stl-${session}-mail`, ['exim', '-bV'])).split('\n')[0]!.trim()
    expect(truth).toMatch(/^Exim version 4\.\d+/)
    const root = await openSlide(EXIM_DECK, slide)
    await runInTerminal(root, 'exim -bV | head -n1', squash(truth))
    expect(squash(await root.locator('.lab-terminal__status').innerText())).toBe('mail · Connecté')
    await shot('exim-terminal')
    const catalog = await api<{ id: string; lab: string }[]>('/api/exercises')
    expect(catalog.filter((e) => e.lab === 'exim').map((e) => e.id), 'exim exercises served by the lab server').toContain(EXIM_EXERCISE)
    const { run } = await verify(EXIM_DECK, slide)
    await expectRunMatchesStore(EXIM_EXERCISE, run)
    await shot('exim-check-panel')
  }, 15 * MINUTE)

  it('grade --class stores two graded submissions, and /instructor shows them with a CSV export', async () => {
    const r = await gradeRun!
    expect(r.code, r.stderr).toBe(0)
    const summary = JSON.parse(r.stdout) as { counts: { submissions: number; graded: number; rejected: number; error: number; passed: number; incomplete: number } }
    expect(summary.counts).toEqual({ submissions: 2, graded: 1, rejected: 1, error: 0, passed: 1, incomplete: 0 })
    const checks = await exerciseChecks(POSTFIX_EXERCISE)

    await goto(`${started.origin}/instructor?token=${started.token}`)
    const rows = page.locator('#class-table tbody tr')
    await expect.poll(() => rows.count(), { timeout: MINUTE }).toBe(2)
    await shot('instructor')
    const cells = (await rows.evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')))).sort()
    const [alice, bob] = cells
    expect(alice!.slice(0, 4)).toEqual(['alice', POSTFIX_EXERCISE, batch, 'graded'])
    expect(alice![4]).toMatch(/^(\d+(\.\d+)?)\/\1$/)
    expect(bob!.slice(0, 4)).toEqual(['bob', POSTFIX_EXERCISE, batch, 'rejected'])
    const rates = await page.locator('#criteria-rates tbody tr td:first-child').allInnerTexts()
    expect(rates).toEqual(expect.arrayContaining(checks.map((c) => c.key)))

    await rows.filter({ hasText: 'alice' }).click()
    await expect.poll(() => page.locator('#drilldown').isVisible()).toBe(true)
    expect(await page.locator('#drilldown-title').innerText()).toContain(`alice — ${POSTFIX_EXERCISE}`)
    expect(await page.locator('#drilldown-body h3').count()).toBeGreaterThanOrEqual(checks.length)
    await shot('instructor-drilldown', { fullPage: true })

    const [download] = await Promise.all([page.waitForEvent('download', { timeout: MINUTE }), page.locator('#csv-export').click()])
    expect(download.suggestedFilename()).toMatch(/\.csv$/)
    const saved = path.join(SHOTS, 'e2e-grades.csv')
    await download.saveAs(saved)
    const lines = readFileSync(saved, 'utf8').split('\r\n').filter((l) => l !== '')
    // Every cell is quoted (and guarded against formulas): compare the unquoted values.
    const csvCells = (l: string) => l.split(',').map((c) => c.replace(/^"|"$/g, ''))
    const header = csvCells(lines[0]!)
    expect(header.slice(0, 7)).toEqual(['learner', 'exercise', 'batch', 'verdict', 'score', 'max_score', 'reason'])
    expect(header).toEqual(expect.arrayContaining(checks.map((c) => c.key)))
    expect(lines.slice(1).map((l) => csvCells(l).slice(0, 4).join(',')).sort()).toEqual([
      `alice,${POSTFIX_EXERCISE},${batch},graded`,
      `bob,${POSTFIX_EXERCISE},${batch},rejected`,
    ])
  }, 25 * MINUTE)
})
