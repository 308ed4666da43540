// The instructor's faults on a real class server (HTTP, random port) with one real Postfix sandbox: a learner's cookie
// gets 403, an unknown fault 400, and the instructor's inject then clear has its real effect in the learner's sandbox
// (port 25 dropped for the partners' address, the toolbox still let in), first over HTTP, then from the live grid in
// Chromium.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromium, type Browser } from 'playwright-core'
import type { SandboxHandle } from '../../checker/sandbox-handle.ts'
import { TEST_SESSION_PREFIX, testRunId } from '../../sandbox/test-session.ts'
import { staticCatalog } from '../exercise-catalog.ts'
import type { SandboxEngine } from '../lab-controller.ts'
import { openClassDir, type OpenedClassDir } from './class-dir.ts'
import { startClassServer, type ClassServer } from './class-server.ts'
import { servedNames } from './hosts.ts'
import { anonymousSeats } from './roster.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const FAULT = 'port25-blocked-from-partners'

let root: string
let data: OpenedClassDir
let engine: SandboxEngine
let cls: ClassServer
let handle: SandboxHandle
let browser: Browser | null = null

const tokenOf = (url: string): string => new URL(url).searchParams.get('token')!

/** Whether a TCP connection from `service` to the mail host's port 25 opens within 3 s. */
async function reaches25(service: 'partners' | 'toolbox'): Promise<boolean> {
  const r = await handle.exec(service, ['timeout', '3', 'bash', '-c', `exec 3<>/dev/tcp/${handle.address('mail')}/25`])
  return r.exitCode === 0
}

async function post(p: string, headers: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(new URL(p, cls.links.url), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'stl-class-faults-'))
  data = openClassDir(root, anonymousSeats(1), { sessionPrefix: `${TEST_SESSION_PREFIX}${testRunId()}-` })
  const { dockerEngine } = await import('../engine-adapter.ts')
  engine = dockerEngine()
  const catalog = staticCatalog([], async () => {
    throw new Error('no checks here')
  })
  const t0 = Date.now()
  cls = await startClassServer({
    data, lab: 'postfix', host: '127.0.0.1', port: 0, engine, catalog, distDir: path.join(root, 'dist'),
    hostNames: servedNames('127.0.0.1'), publicHost: '127.0.0.1', prestart: true, idleAfterMs: 0,
  })
  await cls.sandboxesReady
  handle = cls.lab.labFor(data.store.getLearner(data.cls.seats[0]!.id)!).current()!
  console.log(`class server and sandbox up in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
}, 5 * 60_000)

afterAll(async () => {
  await browser?.close()
  await cls?.close()
  if (engine) await engine.down(data.cls.seats[0]!.session).catch(() => undefined)
  data?.release()
  rmSync(root, { recursive: true, force: true })
}, 2 * 60_000)

describe('instructor faults on a real sandbox', () => {
  it('refuses a learner (403) and an unknown fault (400); the instructor injects and clears a fault with its real effect', async () => {
    expect(handle).toBeTruthy()
    const seat = data.cls.seats[0]!
    const instructor = { authorization: `Bearer ${data.cls.instructorToken}` }
    const learner = { cookie: `stl_session=${tokenOf(cls.links.learners[0]!.url)}` }
    const path = (action: string, fault = FAULT): string => `/api/class/learners/${seat.id}/faults/${fault}/${action}`

    expect((await post(path('inject'), learner)).status).toBe(403)
    const unknown = await post(path('inject', 'disk-on-fire'), { ...instructor, 'accept-language': 'en' })
    expect(unknown.status).toBe(400)
    expect(unknown.body.error).toMatch(/^Unknown fault "disk-on-fire": choose one of /)
    // Start state: partners and toolbox both reach port 25, so the check below can tell.
    expect(await reaches25('partners')).toBe(true)

    let t0 = Date.now()
    const injected = await post(path('inject'), instructor)
    console.log(`inject answered in ${Date.now() - t0} ms`)
    expect(injected.status).toBe(200)
    expect(injected.body).toMatchObject({ ok: true, learner: seat.id, fault: FAULT, action: 'inject', output: expect.stringContaining('port 25 now drops') })
    expect((await handle.exec('mail', ['nft', 'list', 'table', 'inet', 'lab_maintenance'])).stdout).toMatch(/tcp dport 25 drop/)
    expect(await reaches25('partners')).toBe(false)
    expect(await reaches25('toolbox')).toBe(true)

    t0 = Date.now()
    const cleared = await post(path('clear'), instructor)
    console.log(`clear answered in ${Date.now() - t0} ms`)
    expect(cleared.status).toBe(200)
    expect(cleared.body).toMatchObject({ ok: true, action: 'clear' })
    expect((await handle.exec('mail', ['nft', 'list', 'table', 'inet', 'lab_maintenance'])).exitCode).not.toBe(0)
    expect(await reaches25('partners')).toBe(true)
  }, 60_000)

  it('from the live class grid: the learner’s fault selector, Inject and Réparer, with the outcome shown', async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] })
    const context = await browser.newContext({ locale: 'fr-FR' })
    const page = await context.newPage()
    await page.goto(cls.links.instructor.url)
    await page.waitForURL(new URL('/instructor', cls.links.url).href)
    const row = page.locator('#class-grid tbody tr.class-row').first()
    const select = row.locator('select.fault-select')
    await expect.poll(() => select.locator('option').count(), { timeout: 20_000 }).toBeGreaterThan(5)
    await select.selectOption(FAULT)
    await row.locator('button.fault-inject').click()
    // A snapshot may redraw the grid meanwhile: the outcome is found again in the fresh row.
    await expect.poll(() => row.locator('.fault-result').innerText(), { timeout: 30_000 }).toMatch(/^✓ inject port25-blocked-from-partners : port 25 now drops/)
    expect(await reaches25('partners')).toBe(false)
    expect(await row.locator('button.fault-clear').innerText()).toBe('Réparer')
    await row.locator('button.fault-clear').click()
    await expect.poll(() => row.locator('.fault-result').innerText(), { timeout: 30_000 }).toMatch(/^✓ clear port25-blocked-from-partners : /)
    expect(await reaches25('partners')).toBe(true)
    // English on request, as the rest of the lab.
    const en = await context.newPage()
    await en.goto(new URL('/instructor?lang=en', cls.links.url).href)
    const enRow = en.locator('#class-grid tbody tr.class-row').first()
    await expect.poll(() => enRow.locator('button.fault-clear').count(), { timeout: 20_000 }).toBe(1)
    expect([await enRow.locator('button.fault-inject').innerText(), await enRow.locator('button.fault-clear').innerText()]).toEqual(['Inject', 'Clear'])
    expect(await en.locator('#class-grid thead th', { hasText: 'Faults' }).count()).toBe(1)
  }, 90_000)
})
