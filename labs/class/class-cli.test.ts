// `smtp-tls-lab class start` as typed: its JSON ready line, join links that open each learner's course, the
// instructor's role, Host refusal; then kill -9 and a restart on the same class directory: the same seats, the
// learners' cookies still valid, their progress back.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { ProgressStore } from '../progress-store.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const CLI = path.join(ROOT, 'bin', 'smtp-tls-lab.mjs')

interface Ready {
  url: string
  instructor: { url: string }
  learners: { name: string; url: string }[]
  https: boolean
  fingerprint: string | null
  dataDir: string
  pid: number
}

const dir = mkdtempSync(path.join(tmpdir(), 'stl-class-cli-'))
const children: ChildProcess[] = []

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

/** `class start` on every interface (HTTPS), no sandbox; resolves with its JSON line. */
function startClass(): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = spawn(
    process.execPath,
    [CLI, 'class', 'start', '--learners', '3', '--port', '0', '--no-prestart', '--no-sandbox', '--no-build', '--json', '--data-dir', dir],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SMTP_TLS_LAB_TEST_PREFIX: 'h10' } },
  )
  children.push(child)
  let err = ''
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.once('line', (line) => resolve({ child, ready: JSON.parse(line) as Ready }))
    child.once('exit', (code) => reject(new Error(`class start exited ${code}: ${err}`)))
  })
}

/** A request to the server's loopback address, under the Host of the link (the address learners use). */
function get(ready: Ready, url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; cookie: string }> {
  const u = new URL(url)
  const ca = readFileSync(path.join(ready.dataDir, 'server-cert.pem'), 'utf8')
  return new Promise((resolve, reject) => {
    const r = request(
      { host: '127.0.0.1', port: u.port, path: u.pathname + u.search, headers: { host: u.host, ...headers }, ca, servername: 'localhost' },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (body += c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, cookie: String(res.headers['set-cookie'] ?? '').split(';')[0]! }))
      },
    )
    r.on('error', reject)
    r.end()
  })
}

describe('class start', () => {
  it('prints the ready line, opens each learner’s course by their link, keeps the instructor’s page theirs, refuses a foreign Host; and comes back after kill -9', async () => {
    const { child, ready } = await startClass()
    expect(Object.keys(ready)).toEqual(expect.arrayContaining(['url', 'instructor', 'learners']))
    expect(ready.https).toBe(true)
    expect(ready.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/)
    expect(ready.learners.map((l) => l.name)).toEqual(['Apprenant 01', 'Apprenant 02', 'Apprenant 03'])
    expect(ready.url).toMatch(/^https:\/\//)

    const cookies: string[] = []
    for (const [i, l] of ready.learners.entries()) {
      const join = await get(ready, l.url)
      expect(join.status).toBe(200)
      expect(join.body).toContain('location.replace("/")')
      cookies.push(join.cookie)
      const course = await get(ready, ready.url, { cookie: join.cookie })
      expect(course.status).toBe(200)
      const me = JSON.parse((await get(ready, new URL('/api/progress', ready.url).href, { cookie: join.cookie })).body) as { learner: { id: string; name: string } }
      expect(me.learner).toEqual({ id: `l0${i + 1}`, name: l.name })
    }
    const instructorCookie = (await get(ready, ready.instructor.url)).cookie
    expect((await get(ready, new URL('/instructor', ready.url).href, { cookie: cookies[0]! })).status).toBe(403)
    expect((await get(ready, new URL('/instructor', ready.url).href, { cookie: instructorCookie })).status).toBe(200)
    expect((await get(ready, new URL('/instructor/class.csv', ready.url).href, { cookie: instructorCookie })).status).toBe(200)
    expect((await get(ready, ready.url, { host: 'evil.example' })).status).toBe(421)

    // A check run l02 finished before the kill (written as the server writes it: SQLite beside the running server).
    const store = new ProgressStore(ready.dataDir)
    const id = store.startAttempt('l02', 'postfix-tls-main-cf', 'postfix')
    store.recordResult(id, 0, { id: 'cert.trusted', status: 'pass', title: { fr: 't', en: 't' }, summary: { fr: 's', en: 's' }, evidence: { lines: ['ok'] }, durationMs: 1 })
    store.finishAttempt(id, 'done')
    store.close()

    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    const again = await startClass()
    expect(again.ready.learners.map((l) => new URL(l.url).search)).toEqual(ready.learners.map((l) => new URL(l.url).search))
    expect(again.ready.fingerprint).toBe(ready.fingerprint)
    // Cookies do not depend on the port: the open tabs' cookies still name their learner.
    const progress = JSON.parse((await get(again.ready, new URL('/api/progress', again.ready.url).href, { cookie: cookies[1]! })).body) as {
      learner: { id: string }
      exercises: Record<string, { passed: boolean }>
    }
    expect(progress.learner.id).toBe('l02')
    expect(progress.exercises['postfix-tls-main-cf']?.passed).toBe(true)
    const snap = JSON.parse((await get(again.ready, new URL('/api/class?exercise=postfix-tls-main-cf', again.ready.url).href, { cookie: instructorCookie })).body) as {
      learners: { id: string; criteria: Record<string, string> }[]
    }
    expect(snap.learners.find((l) => l.id === 'l02')?.criteria['cert.trusted']).toBe('pass')
    again.child.kill('SIGTERM')
    await new Promise((r) => again.child.once('exit', r))
  }, 90_000)
})
