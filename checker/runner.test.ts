import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UNSEEN_CLOSE_MS } from './probes/smtp.ts'
import { createConnectionGate, createProbeCache, remoteChecks, runChecks, runOne } from './runner.ts'
import { defineCheck, verdict } from './define.ts'
import { createPki, fullchain } from './test-support/pki.ts'
import { rawServer, scriptedSmtp, type RunningServer } from './test-support/smtp-servers.ts'
import type { CheckResult, Target } from './types.ts'

let srv: RunningServer
let target: Target
beforeAll(async () => {
  const pki = await createPki()
  const leaf = await pki.leaf(['mail.domaine.tld'])
  srv = await scriptedSmtp({ tls: { key: leaf.key, cert: fullchain(leaf, pki), minVersion: 'TLSv1.2' } })
  target = { host: srv.host, port: srv.port, mode: 'starttls', servername: 'mail.domaine.tld', ca: pki.root.cert }
})
afterAll(async () => {
  await srv.close()
})

const remote = remoteChecks().filter((c) => !c.id.startsWith('dns.'))

describe('runner', () => {
  it('streams each result as it completes and reports them all in request order, within a second on loopback', async () => {
    const run = runChecks({ target, checks: remote })
    const streamed: CheckResult[] = []
    for await (const r of run) streamed.push(r)
    const report = await run.report
    expect(streamed).toHaveLength(remote.length)
    expect(report.checks.map((r) => r.id)).toEqual(remote.map((c) => c.id))
    expect(report.durationMs).toBeLessThan(3000)
    // The connection-limit check loads the server, so it runs alone, last.
    expect(streamed.at(-1)!.id).toBe('smtp.connection-limit')
    expect(report.checks.filter((r) => r.status === 'inconclusive')).toEqual([])
  })

  it('never holds more than the allowed connections to one server at once (connection-limit aside)', async () => {
    const inner = createConnectionGate(2)
    let held = 0
    let peak = 0
    const gate = {
      async acquire(host: string, signal?: AbortSignal) {
        const release = await inner.acquire(host, signal)
        held++
        peak = Math.max(peak, held)
        return () => {
          held--
          release()
        }
      },
    }
    await runChecks({ target, checks: remote.filter((c) => c.id !== 'smtp.connection-limit'), gate, concurrency: 8 }).report
    expect(peak).toBe(2)
    // Slots are held until the server has closed its side (or a bounded while after we cut a connection).
    const t0 = Date.now()
    await inner.idle!(target.host)
    expect(held).toBe(0)
    expect(Date.now() - t0).toBeLessThan(UNSEEN_CLOSE_MS + 200)
  })

  it('turns a check that throws into inconclusive/bug and one that hangs into inconclusive/timeout', async () => {
    const env = { cache: createProbeCache(), gate: createConnectionGate(), timeoutMs: 200 }
    const base = { title: { fr: 't', en: 't' }, explain: { fr: 'e', en: 'e' }, remedy: { postfix: 'p', exim: 'e' }, appliesTo: ['remote'] as const }
    const thrower = defineCheck({ ...base, id: 'x.throws', run: async () => { throw new TypeError('boom') } })
    const hanger = defineCheck({ ...base, id: 'x.hangs', run: () => new Promise(() => {}) })
    const fine = defineCheck({ ...base, id: 'x.fine', run: async () => verdict.pass({ fr: 'ok', en: 'ok' }, { lines: [] }) })
    expect(await runOne(thrower, { target }, env)).toMatchObject({ status: 'inconclusive', reason: 'bug' })
    const hung = await runOne(hanger, { target }, env)
    expect(hung).toMatchObject({ status: 'inconclusive', reason: 'timeout' })
    expect(hung.durationMs).toBeLessThan(1000)
    expect(await runOne(fine, { target }, env)).toMatchObject({ status: 'pass', id: 'x.fine', remedy: { postfix: 'p' } })
  })

  it('skips sandbox-only checks when no sandbox is given', async () => {
    const report = await runChecks({ target, checks: [{ id: 'file.key.permissions' }] }).report
    expect(report.checks[0]).toMatchObject({ status: 'skip', reason: 'not-applicable' })
  })

  it('sends checks to their natural port when the caller gave none (465 for tls.implicit)', async () => {
    const report = await runChecks({ target: { ...target, host: '127.0.0.1' }, checks: [{ id: 'tls.implicit' }], useCheckDefaults: true }).report
    expect(report.checks[0]!.endpoint).toContain(':465 (tls')
  })

  it('shares one probe between checks that need the same facts', async () => {
    let connections = 0
    const counted = await scriptedSmtp({})
    const proxy = await rawServer((s) => {
      connections++
      const up = require_connect(counted.port)
      s.pipe(up).pipe(s)
      s.on('error', () => up.destroy())
      up.on('error', () => s.destroy())
    })
    try {
      await runChecks({ target: { host: proxy.host, port: proxy.port, mode: 'starttls' }, checks: [{ id: 'smtp.banner.no-version' }, { id: 'smtp.starttls.offered' }, { id: 'smtp.auth.hidden-before-tls' }] }).report
      expect(connections).toBe(1)
    } finally {
      await proxy.close()
      await counted.close()
    }
  })
})

import net from 'node:net'
function require_connect(port: number): net.Socket {
  return net.connect({ host: '127.0.0.1', port })
}
