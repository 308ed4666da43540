// The lab server without sandboxes on 127.0.0.1:0: token auth, API shapes, static decks, check streams over WebSocket.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import type { CheckResult } from '../checker/types.ts'
import { CLOSE, type CheckStreamMessage } from '../core/lab-protocol.ts'
import { openDataDir, type OpenedDataDir } from './data-dir.ts'
import { staticCatalog } from './exercise-catalog.ts'
import { startLabServer, type LabServer } from './server.ts'

let root: string
let data: OpenedDataDir
let lab: LabServer
let base: string

const catalog = staticCatalog(
  [
    {
      id: 'postfix-submission-587',
      lab: 'postfix',
      title: { fr: 'Port 587 : TLS obligatoire avant AUTH', en: 'Port 587: TLS required before AUTH' },
      hints: [{ fr: 'Regardez master.cf', en: 'Look at master.cf' }],
      checks: [{ id: 'smtp.tls.required-before-mail', key: 'smtp.tls.required-before-mail', service: 'mail', port: 587 }],
      submission: ['/etc/postfix/main.cf'],
      text: async (lang) => (lang === 'en' ? '# Submission' : '# Soumission'),
    },
  ],
  async () => {
    throw new Error('no sandbox in these tests')
  },
)

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'stl-server-'))
  const dist = path.join(root, 'dist')
  mkdirSync(path.join(dist, 'postfix-tls', 'assets'), { recursive: true })
  writeFileSync(path.join(dist, 'postfix-tls', 'index.html'), '<!doctype html><title>TLS et sécurité</title><div id="app"></div>')
  writeFileSync(path.join(dist, 'postfix-tls', 'assets', 'app-1234.js'), 'console.log(1)')
  writeFileSync(path.join(root, 'secret.txt'), 'do not serve')
  data = openDataDir(path.join(root, 'data'))
  lab = await startLabServer({ host: '127.0.0.1', port: 0, store: data.store, engine: null, catalog, distDir: dist, version: 'test' })
  base = lab.origin
})

afterAll(async () => {
  await lab.close()
  data.release()
  rmSync(root, { recursive: true, force: true })
})

const auth = (): Record<string, string> => ({ authorization: `Bearer ${data.token}` })

/** A request whose path is sent exactly as written (fetch would normalise `..` away). */
function rawGet(rawPath: string): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: lab.port, path: rawPath, method: 'GET' }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type'] ?? '') }))
    })
    req.on('error', reject)
    req.end()
  })
}

function wsMessages(url: string): Promise<{ messages: unknown[]; code: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    const messages: unknown[] = []
    ws.on('message', (d) => messages.push(JSON.parse(d.toString())))
    ws.on('close', (code) => resolve({ messages, code }))
    ws.on('error', reject)
  })
}

describe('token authentication', () => {
  it('answers /api/health without a token', async () => {
    const res = await fetch(`${base}/api/health`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true, version: 'test' })
  })

  it('refuses /api requests without a token with 401 and a message saying how to get one', async () => {
    const res = await fetch(`${base}/api/lab`)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
    const body = (await res.json()) as { error: string; code: string }
    expect(body.code).toBe('unauthorized')
    expect(body.error).toMatch(/npm start/)
  })

  it('refuses a wrong token of the right shape, and a token in a malformed header', async () => {
    const wrong = (data.token[0] === 'A' ? 'B' : 'A') + data.token.slice(1)
    expect((await fetch(`${base}/api/lab`, { headers: { authorization: `Bearer ${wrong}` } })).status).toBe(401)
    expect((await fetch(`${base}/api/lab?token=${wrong}`)).status).toBe(401)
    expect((await fetch(`${base}/api/lab`, { headers: { authorization: `Basic ${data.token}` } })).status).toBe(401)
  })

  it('accepts the token as a Bearer header or as ?token=', async () => {
    expect((await fetch(`${base}/api/lab`, { headers: auth() })).status).toBe(200)
    expect((await fetch(`${base}/api/lab?token=${data.token}`)).status).toBe(200)
  })

  it('closes a WebSocket without a valid token with the unauthorized close code', async () => {
    const { code } = await wsMessages(`ws://127.0.0.1:${lab.port}/ws/checks?run=1`)
    expect(code).toBe(CLOSE.unauthorized)
    const t = await wsMessages(`ws://127.0.0.1:${lab.port}/ws/terminal?service=mail&token=wrongwrongwrongwrong`)
    expect(t.code).toBe(CLOSE.unauthorized)
  })
})

describe('API without a sandbox', () => {
  it('reports the lab as down with the learner session and sandboxes disabled', async () => {
    const body = await (await fetch(`${base}/api/lab`, { headers: auth() })).json()
    expect(body).toEqual({ lab: null, session: data.learner.session, state: 'down', services: [], sandboxEnabled: false })
  })

  it('refuses to start a lab with 409 and says how to get one', async () => {
    const res = await fetch(`${base}/api/lab/up`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: '{"lab":"postfix"}' })
    expect(res.status).toBe(409)
    const body = (await res.json()) as { error: string; code: string }
    expect(body.code).toBe('sandbox_disabled')
    expect(body.error).toMatch(/npm start/)
  })

  it('answers a body over 64 KiB with 413 and malformed JSON with 400', async () => {
    const big = await fetch(`${base}/api/lab/up`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ lab: 'x'.repeat(70_000) }),
    })
    expect(big.status).toBe(413)
    expect(((await big.json()) as { code: string }).code).toBe('body_too_large')
    const bad = await fetch(`${base}/api/lab/up`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: '{lab:' })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { code: string }).code).toBe('bad_json')
  })

  it('answers a wrong method with 405 and an unknown endpoint with 404, both as JSON', async () => {
    const m = await fetch(`${base}/api/lab/down`, { headers: auth() })
    expect(m.status).toBe(405)
    expect(((await m.json()) as { code: string }).code).toBe('method_not_allowed')
    const n = await fetch(`${base}/api/nothing`, { headers: auth() })
    expect(n.status).toBe(404)
    expect(n.headers.get('content-type')).toMatch(/application\/json/)
  })

  it('lists exercises as id, lab and title', async () => {
    const body = await (await fetch(`${base}/api/exercises`, { headers: auth() })).json()
    expect(body).toEqual([
      { id: 'postfix-submission-587', lab: 'postfix', title: { fr: 'Port 587 : TLS obligatoire avant AUTH', en: 'Port 587: TLS required before AUTH' } },
    ])
  })

  it('gives one exercise with its text in the asked language, hints and checks', async () => {
    const fr = (await (await fetch(`${base}/api/exercises/postfix-submission-587`, { headers: auth() })).json()) as Record<string, unknown>
    expect(fr).toMatchObject({ id: 'postfix-submission-587', lab: 'postfix', text: '# Soumission', lang: 'fr', attempts: [] })
    expect(fr.hints).toEqual([{ fr: 'Regardez master.cf', en: 'Look at master.cf' }])
    expect(fr.checks).toEqual([{ id: 'smtp.tls.required-before-mail', key: 'smtp.tls.required-before-mail', service: 'mail', port: 587 }])
    const en = (await (await fetch(`${base}/api/exercises/postfix-submission-587?lang=en`, { headers: auth() })).json()) as { text: string }
    expect(en.text).toBe('# Submission')
    const missing = await fetch(`${base}/api/exercises/nope`, { headers: auth() })
    expect(missing.status).toBe(404)
    expect(((await missing.json()) as { code: string }).code).toBe('unknown_exercise')
  })

  it('refuses a check run while no sandbox is available', async () => {
    const res = await fetch(`${base}/api/exercises/postfix-submission-587/check`, { method: 'POST', headers: auth() })
    expect(res.status).toBe(409)
  })

  it('streams a stored attempt over /ws/checks and reports it in /api/progress', async () => {
    const store = data.store
    const a = store.startAttempt(data.learner.id, 'postfix-submission-587', 'postfix')
    const r: CheckResult = {
      id: 'smtp.tls.required-before-mail',
      status: 'fail',
      title: { fr: 'TLS requis', en: 'TLS required' },
      summary: { fr: 'MAIL accepté sans TLS', en: 'MAIL accepted without TLS' },
      evidence: { lines: ['C: MAIL FROM:<a@b>', 'S: 250 2.1.0 Ok'] },
      durationMs: 30,
    }
    store.recordResult(a, 0, r)
    store.finishAttempt(a, 'done')
    const { messages, code } = await wsMessages(`ws://127.0.0.1:${lab.port}/ws/checks?run=${a}&token=${data.token}`)
    expect(code).toBe(1000)
    expect(messages).toEqual([
      { type: 'result', result: r },
      { type: 'done', summary: { pass: 0, fail: 1, warn: 0, inconclusive: 0, skip: 0 } },
    ] satisfies CheckStreamMessage[])
    const unknown = await wsMessages(`ws://127.0.0.1:${lab.port}/ws/checks?run=999999&token=${data.token}`)
    expect(unknown.code).toBe(CLOSE.labNotUp)
    const progress = (await (await fetch(`${base}/api/progress`, { headers: auth() })).json()) as {
      learner: { id: string }
      exercises: Record<string, { attempts: number; last: string; passed: boolean }>
      attempts: { id: number; results: { checkId: string; status: string }[] }[]
    }
    expect(progress.learner.id).toBe(data.learner.id)
    expect(progress.exercises['postfix-submission-587']).toMatchObject({ attempts: 1, last: 'done', passed: false })
    expect(progress.attempts.at(-1)?.results.map((x) => [x.checkId, x.status])).toEqual([['smtp.tls.required-before-mail', 'fail']])
  })

  it('closes a terminal WebSocket with the lab-not-up code when there is no sandbox', async () => {
    const { code } = await wsMessages(`ws://127.0.0.1:${lab.port}/ws/terminal?service=mail&cols=80&rows=24&token=${data.token}`)
    expect(code).toBe(CLOSE.labNotUp)
  })
})

describe('static decks', () => {
  it('serves an index page linking each built deck by its title', async () => {
    const res = await rawGet('/')
    expect(res.status).toBe(200)
    expect(res.type).toMatch(/text\/html/)
    expect(res.body).toContain('href="/decks/postfix-tls/"')
    expect(res.body).toContain('TLS et sécurité')
  })

  it('serves deck files with their type and falls back to index.html for slide routes', async () => {
    expect(await rawGet('/decks/postfix-tls/assets/app-1234.js')).toMatchObject({ status: 200, type: expect.stringMatching(/javascript/) })
    const route = await rawGet('/decks/postfix-tls/12?clicks=1')
    expect(route.status).toBe(200)
    expect(route.body).toContain('<div id="app">')
    expect((await rawGet('/decks/postfix-tls/assets/missing.js')).status).toBe(404)
    expect((await rawGet('/decks/nodeck/')).status).toBe(404)
  })

  it('rejects paths with .., encoded dots, encoded slashes or backslashes instead of resolving them', async () => {
    for (const p of [
      '/decks/postfix-tls/../../secret.txt',
      '/decks/postfix-tls/%2e%2e/%2e%2e/secret.txt',
      '/decks/postfix-tls/..%2f..%2fsecret.txt',
      '/decks/postfix-tls/..%5c..%5csecret.txt',
      '/decks/%2E%2E/secret.txt',
      '/api/../decks/postfix-tls/',
    ]) {
      const res = await rawGet(p)
      expect(res.status, p).toBe(400)
      expect(res.body).not.toContain('do not serve')
    }
  })
})

describe('instructor page', () => {
  it('serves the class page and answers grades as JSON and as a CSV download, only with the token', async () => {
    data.store.recordGrade({
      batch: 'class-a',
      learner: 'ana',
      exercise: 'postfix-submission-587',
      verdict: 'graded',
      score: 1,
      maxScore: 1,
      criteria: [{ checkId: 'smtp.tls.required-before-mail', status: 'pass', points: 1, maxPoints: 1, evidence: { lines: ['S: 530 5.7.0'] } }],
    })
    const page = await rawGet('/instructor')
    expect(page.status).toBe(200)
    expect(page.body).toContain('id="class-table"')
    expect((await fetch(`${base}/api/instructor/grades`)).status).toBe(401)
    const report = (await (await fetch(`${base}/api/instructor/grades?exercise=postfix-submission-587`, { headers: auth() })).json()) as {
      grades: { learner: string }[]
      rates: unknown[]
    }
    expect(report.grades.map((g) => g.learner)).toEqual(['ana'])
    expect(report.rates).toEqual([{ checkId: 'smtp.tls.required-before-mail', pass: 1, total: 1, rate: 1 }])
    const csv = await fetch(`${base}/api/instructor/grades.csv?token=${data.token}&exercise=postfix-submission-587`)
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/)
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="postfix-submission-587.csv"')
    expect(await csv.text()).toBe(
      '"learner","exercise","batch","verdict","score","max_score","reason","smtp.tls.required-before-mail"\r\n"ana","postfix-submission-587","class-a","graded","1","1","","pass"\r\n',
    )
  })
})
