// The class server over real HTTPS on a random loopback port (no sandbox): join links exchanged for cookies, roles,
// Host and Origin checks on requests and WebSocket upgrades, the join sheet, the live class view's access rules.
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { connect } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { ClassServerMessage } from '../../core/lab-protocol.ts'
import { staticCatalog } from '../exercise-catalog.ts'
import { openClassDir, serverCert, type OpenedClassDir, type ServerCert } from './class-dir.ts'
import { startClassServer, type ClassServer } from './class-server.ts'
import { servedNames } from './hosts.ts'
import { anonymousSeats } from './roster.ts'

interface Answer {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: string
}

let root: string
let data: OpenedClassDir
let cert: ServerCert
let cls: ClassServer
let base: string

function get(p: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const u = new URL(p, base)
    const r = request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, ca: cert.cert, servername: 'localhost' },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (body += c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      },
    )
    r.on('error', reject)
    r.end()
  })
}

const tokenOf = (url: string): string => new URL(url).searchParams.get('token')!
const cookie = (url: string): Record<string, string> => ({ cookie: `stl_session=${tokenOf(url)}` })

/** Opens /ws/class and resolves with the first message, or rejects with the refusal (status or close code). */
function classSocket(headers: Record<string, string>): Promise<{ ws: WebSocket; first: ClassServerMessage | null; status?: number; code?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${base.replace('https', 'wss')}/ws/class`, { headers, ca: cert.cert, servername: 'localhost' } as WebSocket.ClientOptions)
    ws.once('unexpected-response', (_req, res) => resolve({ ws, first: null, status: res.statusCode ?? 0 }))
    ws.once('message', (d) => resolve({ ws, first: JSON.parse(String(d)) as ClassServerMessage }))
    ws.once('close', (code) => resolve({ ws, first: null, code }))
    ws.once('error', () => undefined)
    // A learner socket gets no message until the presenter moves: resolve on open after a short grace.
    ws.once('open', () => setTimeout(() => resolve({ ws, first: null }), 300))
  })
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'stl-class-'))
  data = openClassDir(root, anonymousSeats(3))
  const names = servedNames('127.0.0.1')
  cert = await serverCert(data.dir, [...names])
  const catalog = staticCatalog(
    [{ id: 'ex1', lab: 'postfix', title: { fr: 'Ex', en: 'Ex' }, hints: [], checks: [{ id: 'a.b', key: 'a.b', service: 'mail' }], submission: [], text: async () => 'x' }],
    async () => {
      throw new Error('no sandbox in these tests')
    },
  )
  cls = await startClassServer({
    data, lab: 'postfix', host: '127.0.0.1', port: 0, engine: null, catalog, distDir: path.join(root, 'dist'),
    hostNames: names, publicHost: 'localhost', fingerprint: cert.fingerprint, tls: { cert: cert.cert, key: cert.key },
  })
  base = `https://localhost:${cls.lab.port}`
}, 60_000)

afterAll(async () => {
  await cls?.close()
  data?.release()
  rmSync(root, { recursive: true, force: true })
})

describe('class server', () => {
  it('gives one join link per learner and one for the instructor, each with its own token, on HTTPS', () => {
    expect(cls.links.learners.map((l) => l.name)).toEqual(['Apprenant 01', 'Apprenant 02', 'Apprenant 03'])
    const tokens = [cls.links.instructor.url, ...cls.links.learners.map((l) => l.url)].map(tokenOf)
    expect(new Set(tokens).size).toBe(4)
    for (const l of cls.links.learners) expect(l.url).toMatch(/^https:\/\/localhost:\d+\/join\?token=[A-Za-z0-9_-]{32}$/)
  })

  it('serves the certificate whose fingerprint it prints', async () => {
    const seen = await new Promise<string>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: cls.lab.port, servername: 'localhost', ca: cert.cert }, () => {
        resolve(s.getPeerX509Certificate()!.fingerprint256)
        s.end()
      })
      s.on('error', reject)
    })
    expect(seen).toBe(cert.fingerprint)
  })

  it('exchanges a join link for an HttpOnly SameSite=Strict Secure cookie and leaves the token out of the next address', async () => {
    const res = await get(new URL(cls.links.learners[0]!.url).pathname + new URL(cls.links.learners[0]!.url).search)
    expect(res.status).toBe(200)
    const set = String(res.headers['set-cookie'])
    expect(set).toContain(`stl_session=${tokenOf(cls.links.learners[0]!.url)}`)
    expect(set).toMatch(/HttpOnly/)
    expect(set).toMatch(/SameSite=Strict/)
    expect(set).toMatch(/Secure/)
    expect(res.body).toContain('location.replace("/")')
    expect(res.headers['cache-control']).toBe('no-store')
    expect((await get('/join?token=not-a-real-token-0123456789')).status).toBe(401)
  })

  it('each learner’s cookie opens that learner’s own progress, and the token in a query string opens nothing', async () => {
    for (const l of cls.links.learners) {
      const res = await get('/api/progress', cookie(l.url))
      expect(res.status).toBe(200)
      expect((JSON.parse(res.body) as { learner: { id: string; name: string } }).learner).toEqual({ id: l.id, name: l.name })
    }
    expect((await get('/api/progress')).status).toBe(401)
    expect((await get(`/api/progress?token=${tokenOf(cls.links.learners[0]!.url)}`)).status).toBe(401)
  })

  it('refuses a learner’s credential on every instructor page and API (403), and no credential (401)', async () => {
    const learner = cookie(cls.links.learners[1]!.url)
    const instructor = cookie(cls.links.instructor.url)
    for (const p of ['/instructor', '/instructor/class.csv', '/instructor/join-sheet', '/api/class', '/api/instructor/grades', '/api/class/learners/l01/evidence?exercise=ex1']) {
      expect((await get(p, learner)).status, p).toBe(403)
      expect((await get(p)).status, p).toBe(401)
      expect((await get(p, instructor)).status, p).toBe(200)
    }
    expect((await get('/api/class/learners/l01/reset', learner, 'POST')).status).toBe(403)
    // The instructor has no sandbox of their own.
    expect((await get('/api/progress', instructor)).status).toBe(403)
  })

  it('lets only the instructor list and inject faults, with a 400 for an unknown fault or a fault of another lab', async () => {
    const learner = cookie(cls.links.learners[1]!.url)
    const instructor = cookie(cls.links.instructor.url)
    expect((await get('/api/class/faults', learner)).status).toBe(403)
    expect((await get('/api/class/faults')).status).toBe(401)
    for (const action of ['inject', 'clear']) {
      expect((await get(`/api/class/learners/l01/faults/cert-expired/${action}`, learner, 'POST')).status).toBe(403)
      expect((await get(`/api/class/learners/l02/faults/cert-expired/${action}`, learner, 'POST')).status).toBe(403)
    }
    const list = await get('/api/class/faults', instructor)
    expect(list.status).toBe(200)
    const { lab, faults } = JSON.parse(list.body) as { lab: string; faults: { name: string; applies: boolean }[] }
    expect(lab).toBe('postfix')
    expect(faults.map((f) => f.name)).toContain('mta-sts-record-removed')
    expect(faults.every((f) => f.applies)).toBe(true)
    const unknown = await get('/api/class/learners/l01/faults/disk-on-fire/inject', { ...instructor, 'accept-language': 'en' }, 'POST')
    expect(unknown.status).toBe(400)
    expect(JSON.parse(unknown.body)).toEqual({ code: 'unknown_fault', error: expect.stringMatching(/^Unknown fault "disk-on-fire": choose one of cert-expired, ca-rotated, /) })
    // A name with control sequences comes back stripped.
    const nasty = await get('/api/class/learners/l01/faults/x%1B%5B31mred/inject', instructor, 'POST')
    expect(nasty.status).toBe(400)
    expect(JSON.parse(nasty.body)).toMatchObject({ code: 'unknown_fault', error: expect.stringContaining('« xred »') })
    expect(nasty.body).not.toMatch(/\x1b|\\u001b/i)
    expect((await get('/api/class/learners/l99/faults/cert-expired/inject', instructor, 'POST')).status).toBe(404)
    // This server has no sandboxes: the fault is valid, there is nothing to inject it into.
    expect(JSON.parse((await get('/api/class/learners/l01/faults/cert-expired/inject', instructor, 'POST')).body).code).toBe('sandbox_disabled')
    expect((await get('/api/class/learners/l01/faults/cert-expired/remove', instructor, 'POST')).status).toBe(404)
  })

  it('refuses a Postfix fault in an Exim class with a clear message', async () => {
    const eroot = mkdtempSync(path.join(tmpdir(), 'stl-class-exim-'))
    const edata = openClassDir(eroot, anonymousSeats(1))
    const names = servedNames('127.0.0.1')
    const catalog = staticCatalog([], async () => {
      throw new Error('no sandbox in these tests')
    })
    const exim = await startClassServer({ data: edata, lab: 'exim', host: '127.0.0.1', port: 0, engine: null, catalog, distDir: path.join(eroot, 'dist'), hostNames: names, publicHost: '127.0.0.1' })
    try {
      const auth = { authorization: `Bearer ${edata.cls.instructorToken}`, 'accept-language': 'en' }
      const list = (await (await fetch(`${exim.links.url}api/class/faults`, { headers: auth })).json()) as { lab: string; faults: { applies: boolean }[] }
      expect(list.lab).toBe('exim')
      expect(list.faults.some((f) => f.applies)).toBe(false)
      const res = await fetch(`${exim.links.url}api/class/learners/l01/faults/cert-expired/inject`, { method: 'POST', headers: auth })
      expect(res.status).toBe(400)
      expect(await res.json()).toEqual({ code: 'fault_wrong_lab', error: "Fault cert-expired belongs to the postfix lab; Apprenant 01's sandbox runs the exim lab." })
    } finally {
      await exim.close()
      edata.release()
      rmSync(eroot, { recursive: true, force: true })
    }
  })

  it('serves /instructor/class.csv as a CSV download to the instructor', async () => {
    const res = await get('/instructor/class.csv', cookie(cls.links.instructor.url))
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(res.body.split('\r\n')[0]).toBe('"learner","exercise","batch","verdict","score","max_score","reason"')
  })

  it('answers a foreign Host with 421 and a cross-site Origin with 403, even with a valid cookie', async () => {
    const learner = cookie(cls.links.learners[0]!.url)
    expect((await get('/', { host: 'evil.example' })).status).toBe(421)
    expect((await get('/api/progress', { ...learner, host: `evil.example:${cls.lab.port}` })).status).toBe(421)
    expect((await get('/', { host: `localhost:${cls.lab.port}` })).status).toBe(200)
    expect((await get('/api/progress', { ...learner, origin: 'https://evil.example' })).status).toBe(403)
    expect((await get('/api/progress', { ...learner, origin: `https://localhost:${cls.lab.port}` })).status).toBe(200)
    expect((await get('/api/progress', { ...learner, origin: `http://localhost:${cls.lab.port}` })).status).toBe(403)
  })

  it('checks Host and Origin on the WebSocket upgrade before any handshake', async () => {
    const instructor = cookie(cls.links.instructor.url)
    const origin = `https://localhost:${cls.lab.port}`
    const evilHost = await classSocket({ ...instructor, host: 'evil.example', origin })
    expect(evilHost.status).toBe(421)
    const evilOrigin = await classSocket({ ...instructor, origin: 'https://evil.example' })
    expect(evilOrigin.status).toBe(403)
    const none = await classSocket({ origin })
    expect(none.code).toBe(4401)
    const ok = await classSocket({ ...instructor, origin })
    expect(ok.first?.type).toBe('snapshot')
    ok.ws.close()
  })

  it('streams the class grid to the instructor and moves the learners who follow to the presenter’s slide', async () => {
    const origin = `https://localhost:${cls.lab.port}`
    const inst = await classSocket({ ...cookie(cls.links.instructor.url), origin })
    expect(inst.first?.type === 'snapshot' && inst.first.snapshot.learners.map((l) => l.connected)).toEqual([false, false, false])
    const presence = new Promise<boolean[]>((resolve) =>
      inst.ws.on('message', (d) => {
        const m = JSON.parse(String(d)) as ClassServerMessage
        if (m.type === 'snapshot' && m.snapshot.learners[2]!.connected) resolve(m.snapshot.learners.map((l) => l.connected))
      }),
    )
    const learner = await classSocket({ ...cookie(cls.links.learners[2]!.url), origin })
    expect(await presence).toEqual([false, false, true])
    const followed = new Promise<ClassServerMessage>((resolve) => learner.ws.once('message', (d) => resolve(JSON.parse(String(d)) as ClassServerMessage)))
    inst.ws.send(JSON.stringify({ type: 'slide', slide: { deck: 'postfix', slide: 7, exercise: 'ex1' } }))
    expect(await followed).toEqual({ type: 'follow', slide: { deck: 'postfix', slide: 7, exercise: 'ex1' } })
    // A learner cannot move anyone: what they send is ignored.
    learner.ws.send(JSON.stringify({ type: 'slide', slide: { deck: 'x', slide: 1, exercise: null } }))
    await new Promise((r) => setTimeout(r, 400))
    const snap = JSON.parse((await get('/api/class', cookie(cls.links.instructor.url))).body) as { slide: unknown; exercise: string; criteria: string[] }
    expect(snap.slide).toEqual({ deck: 'postfix', slide: 7, exercise: 'ex1' })
    expect(snap.exercise).toBe('ex1')
    expect(snap.criteria).toEqual(['a.b'])
    inst.ws.close()
    learner.ws.close()
  })

  it('serves the printable join sheet with a QR code per learner', async () => {
    const res = await get('/instructor/join-sheet', cookie(cls.links.instructor.url))
    expect(res.body.match(/<svg/g)?.length).toBe(3)
    for (const l of cls.links.learners) expect(res.body).toContain(l.name)
    expect(res.body).toContain(cert.fingerprint)
  })
})
