// A check run from the "Vérifier" button to the last result, against a real HTTP + WebSocket server on loopback.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { applyMessage, hintFor, IDLE, inconclusiveText, runChecks, startRun, statusView, summaryText, type RunState } from './check-run.ts'
import { createLabClient } from './lab-client.ts'
import type { CheckResult, CheckStreamMessage } from '../../core/lab-protocol.ts'
import type { WebSocketLike } from './terminal-connection.ts'
import { json, startFakeLabServer, type FakeLabServer } from './fake-lab-server.ts'

const createSocket = (url: string): WebSocketLike => new WebSocket(url) as unknown as WebSocketLike

function result(id: string, status: CheckResult['status'], extra: Partial<CheckResult> = {}): CheckResult {
  return {
    id,
    status,
    title: { fr: `titre ${id}`, en: `title ${id}` },
    summary: { fr: `résumé ${id}`, en: `summary ${id}` },
    evidence: { lines: ['S: 220 mail.example.com ESMTP', 'C: EHLO lab'] },
    remedy: { postfix: 'smtpd_tls_protocols = >=TLSv1.2', exim: 'tls_require_ciphers = …' },
    durationMs: 12,
    ...extra,
  }
}

describe('folding streamed messages', () => {
  it('keeps results in arrival order and replaces a re-sent id in place', () => {
    let s = startRun()
    s = applyMessage(s, { type: 'result', result: result('a', 'fail') })
    s = applyMessage(s, { type: 'result', result: result('b', 'pass') })
    s = applyMessage(s, { type: 'result', result: result('a', 'pass') })
    expect(s.results.map((r) => `${r.id}:${r.status}`)).toEqual(['a:pass', 'b:pass'])
    expect(s.phase).toBe('running')
  })

  it('keeps one row per manifest key when an exercise runs the same check twice', () => {
    let s = startRun()
    s = applyMessage(s, { type: 'result', result: result('file.key.permissions', 'fail', { key: 'toolbox-key' }) })
    s = applyMessage(s, { type: 'result', result: result('file.key.permissions', 'pass', { key: 'mail-key' }) })
    expect(s.results.map((r) => `${r.key}:${r.status}`)).toEqual(['toolbox-key:fail', 'mail-key:pass'])
  })

  it('ends on done with the server summary', () => {
    const s = applyMessage(IDLE, { type: 'done', summary: { pass: 2, fail: 1, warn: 0, inconclusive: 1, skip: 0 } })
    expect(s.phase).toBe('done')
    expect(summaryText(s.summary!)).toBe('2 réussis · 1 à corriger · 1 non concluant (côté correcteur)')
  })
})

describe('the wording of results', () => {
  it('puts an inconclusive result on the grader, never on the learner', () => {
    expect(statusView('inconclusive').blame).toBe('grader')
    const text = inconclusiveText('timeout')
    expect(text.startsWith('Le correcteur n’a pas pu conclure')).toBe(true)
    expect(text).toContain('Ce n’est pas une erreur de votre part')
    expect(text).not.toMatch(/votre configuration/i)
  })

  it('puts a fail on the learner configuration and shows the remedy for the lab in use', () => {
    expect(statusView('fail').blame).toBe('learner')
    expect(hintFor(result('x', 'fail'), 'postfix')).toBe('smtpd_tls_protocols = >=TLSv1.2')
    expect(hintFor(result('x', 'pass'), 'postfix')).toBeNull()
    expect(hintFor(result('x', 'inconclusive'), 'postfix')).toBeNull()
  })
})

describe('a check run against the lab server', () => {
  let srv: FakeLabServer
  beforeEach(async () => { srv = await startFakeLabServer() })
  afterEach(async () => { await srv.close() })

  function client() {
    return createLabClient({ baseUrl: `http://127.0.0.1:${srv.port}`, token: 'tok' })
  }

  it('streams each result as it arrives, then the summary', async () => {
    srv.http = (_req, res) => json(res, 200, { runId: 'run-42' })
    srv.ws = (socket, url) => {
      expect(url.searchParams.get('run')).toBe('run-42')
      expect(url.searchParams.get('token')).toBe('tok')
      const msgs: CheckStreamMessage[] = [
        { type: 'result', result: result('tls.version.tls1_0.rejected', 'fail') },
        { type: 'result', result: result('smtp.starttls.offered', 'pass') },
        { type: 'result', result: result('cert.trusted', 'inconclusive', { reason: 'timeout' }) },
        { type: 'done', summary: { pass: 1, fail: 1, warn: 0, inconclusive: 1, skip: 0 } },
      ]
      msgs.forEach((m, i) => setTimeout(() => socket.send(JSON.stringify(m)), 10 * i))
    }
    const seen: RunState[] = []
    const final = await runChecks({ client: client(), exerciseId: 'postfix-tls-main-cf', origin: srv.origin, token: 'tok', createSocket, onState: (s) => seen.push(s) })
    expect(final.phase).toBe('done')
    expect(final.results.map((r) => r.status)).toEqual(['fail', 'pass', 'inconclusive'])
    expect(seen.map((s) => s.results.length)).toEqual([0, 0, 1, 2, 3, 3])
    expect(srv.wsUrls[0]?.pathname).toBe('/ws/checks')
  })

  it('keeps the results it got and blames the grader when the stream is cut before done', async () => {
    srv.http = (_req, res) => json(res, 200, { runId: 'r' })
    srv.ws = (socket) => {
      socket.send(JSON.stringify({ type: 'result', result: result('smtp.vrfy.disabled', 'pass') }))
      setTimeout(() => socket.terminate(), 20)
    }
    const final = await runChecks({ client: client(), exerciseId: 'postfix-hardening', origin: srv.origin, token: 'tok', createSocket, onState: () => {} })
    expect(final.phase).toBe('broken')
    expect(final.results).toHaveLength(1)
    expect(final.problem).toContain('coupée')
  })

  it('reports an exercise the server refuses to start as a grader problem', async () => {
    srv.http = (_req, res) => json(res, 404, { error: 'unknown exercise' })
    const final = await runChecks({ client: client(), exerciseId: 'nope', origin: srv.origin, token: 'tok', createSocket, onState: () => {} })
    expect(final.phase).toBe('broken')
    expect(final.problem).toContain('unknown exercise')
    expect(srv.wsUrls).toHaveLength(0)
  })

  it('gives up on a stream that stays silent past the idle bound', async () => {
    srv.http = (_req, res) => json(res, 200, { runId: 'r' })
    srv.ws = () => { /* never says anything */ }
    const final = await runChecks({ client: client(), exerciseId: 'x', origin: srv.origin, token: 'tok', createSocket, onState: () => {}, idleTimeoutMs: 100 })
    expect(final.phase).toBe('broken')
    expect(final.problem).toContain('délai')
  })
})
