// The deck's HTTP client against a real local server: token handling, offline detection, error kinds.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { captureToken, createLabClient, LabApiError, wsUrl, type KeyValueStore } from './lab-client.ts'
import { TOKEN_STORAGE_KEY } from '../../core/lab-protocol.ts'
import { json, startFakeLabServer, type FakeLabServer } from './fake-lab-server.ts'

function memoryStore(): KeyValueStore & { data: Map<string, string> } {
  const data = new Map<string, string>()
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => { data.set(k, v) } }
}

describe('the learner token', () => {
  it('is taken from ?token= in the page URL and kept in session storage', () => {
    const store = memoryStore()
    expect(captureToken('?token=abc123&x=1', store)).toBe('abc123')
    expect(store.data.get(TOKEN_STORAGE_KEY)).toBe('abc123')
  })

  it('is read back from session storage once the router has dropped it from the URL', () => {
    const store = memoryStore()
    captureToken('?token=first', store)
    expect(captureToken('', store)).toBe('first')
  })

  it('is absent when neither the URL nor storage has one', () => {
    expect(captureToken('?foo=bar', memoryStore())).toBeNull()
    expect(captureToken('', undefined)).toBeNull()
  })
})

describe('WebSocket URLs', () => {
  it('use ws: on an http page and carry the token as a query parameter', () => {
    expect(wsUrl({ protocol: 'http:', host: '127.0.0.1:8080' }, '/ws/terminal', { service: 'toolbox', cols: 80 }, 't k'))
      .toBe('ws://127.0.0.1:8080/ws/terminal?service=toolbox&cols=80&token=t+k')
  })

  it('use wss: on an https page', () => {
    expect(wsUrl({ protocol: 'https:', host: 'lab.example' }, '/ws/checks', { run: 'r1' }, null)).toBe('wss://lab.example/ws/checks?run=r1')
  })
})

describe('the lab client', () => {
  let srv: FakeLabServer
  beforeEach(async () => { srv = await startFakeLabServer() })
  afterEach(async () => { await srv.close() })

  it('sends the token as a Bearer header and returns the lab state', async () => {
    srv.http = (req, res) => json(res, 200, { lab: 'postfix', session: 's1', state: 'up', services: [{ name: 'mail', address: '10.0.0.20', healthy: true }] })
    const client = createLabClient({ baseUrl: `http://127.0.0.1:${srv.port}`, token: 'tok' })
    const info = await client.lab()
    expect(info.state).toBe('up')
    expect(info.services[0]?.name).toBe('mail')
    expect(srv.requests[0]).toMatchObject({ method: 'GET', url: '/api/lab', authorization: 'Bearer tok' })
  })

  it('asks for one exercise’s text in the learner’s language', async () => {
    srv.http = (req, res) => json(res, 200, { id: 'a b', lab: 'postfix', title: { fr: 'T' }, text: '# T', lang: 'en', hints: [{ fr: 'i', en: 'h' }] })
    const client = createLabClient({ baseUrl: `http://127.0.0.1:${srv.port}`, token: 'tok' })
    const ex = await client.exercise('a b', 'en')
    expect(ex.hints[0]?.en).toBe('h')
    expect(srv.requests[0]).toMatchObject({ method: 'GET', url: '/api/exercises/a%20b?lang=en', authorization: 'Bearer tok' })
  })

  it('posts the wanted lab to /api/lab/up and an exercise id to its check endpoint', async () => {
    srv.http = (req, res) => json(res, 200, req.url.endsWith('/check') ? { runId: 'run-7' } : { lab: 'postfix', session: 's', state: 'starting', services: [] })
    const client = createLabClient({ baseUrl: `http://127.0.0.1:${srv.port}`, token: 'tok' })
    await client.up('postfix')
    const started = await client.startCheck('postfix-tls-main-cf')
    expect(started.runId).toBe('run-7')
    expect(srv.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /api/lab/up', 'POST /api/exercises/postfix-tls-main-cf/check'])
    expect(JSON.parse(srv.requests[0]?.body ?? '')).toEqual({ lab: 'postfix' })
  })

  it('reports a refused 401 as unauthorized', async () => {
    srv.http = (_req, res) => json(res, 401, { error: 'bad token' })
    const err = await createLabClient({ baseUrl: `http://127.0.0.1:${srv.port}`, token: 'x' }).health().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(LabApiError)
    expect((err as LabApiError).kind).toBe('unauthorized')
  })

  it('reports a static server without /api (HTML 404) as offline, not as an error', async () => {
    srv.http = (_req, res) => { res.writeHead(404, { 'content-type': 'text/html' }); res.end('<h1>Not found</h1>') }
    const err = await createLabClient({ baseUrl: `http://127.0.0.1:${srv.port}`, token: null }).health().catch((e: unknown) => e)
    expect((err as LabApiError).kind).toBe('offline')
  })

  it('reports a JSON error answer as an http error with its message', async () => {
    srv.http = (_req, res) => json(res, 409, { error: 'lab already starting' })
    const err = await createLabClient({ baseUrl: `http://127.0.0.1:${srv.port}`, token: null }).reset().catch((e: unknown) => e)
    expect((err as LabApiError).kind).toBe('http')
    expect((err as LabApiError).status).toBe(409)
    expect((err as LabApiError).message).toContain('lab already starting')
  })
})

describe('a lab server that is not running', () => {
  it('is reported as offline when nothing listens on the port', async () => {
    // Take a free port, then close it, so the connection is refused.
    const s = createServer()
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
    const port = (s.address() as AddressInfo).port
    await new Promise<void>((r) => s.close(() => r()))
    const err = await createLabClient({ baseUrl: `http://127.0.0.1:${port}`, token: null }).health().catch((e: unknown) => e)
    expect((err as LabApiError).kind).toBe('offline')
  })
})
