// Unit tests of dns.mta-sts.policy: a real HTTPS policy server and DNS server on loopback.
import https from 'node:https'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import policyCheck, { mxPatternMatches, parsePolicy, policyProblems } from './mta-sts-policy.ts'
import { startTestDnsServer, type TestDnsServer } from './test-dns-server.ts'
import { runCheck, testContext } from './test-context.ts'
import { createConnectionGate } from '../../runner.ts'
import type { ConnectionGate } from '../../types.ts'
import { makeTestPki, type TestPki } from '../../probes/test-pki.ts'

interface Served {
  status: number
  headers: Record<string, string>
  body: string
}

let pki: TestPki
let dns: TestDnsServer
let server: https.Server
let port: number
let served: Served

const GOOD = 'version: STSv1\r\nmode: enforce\r\nmx: *.domaine.tld\r\nmax_age: 604800\r\n'

beforeAll(async () => {
  pki = await makeTestPki()
  const leaf = await pki.leaf(['mta-sts.domaine.tld'])
  dns = await startTestDnsServer({
    records: [
      { type: 'MX', name: 'domaine.tld', data: { preference: 10, exchange: 'mail.domaine.tld' } },
      { type: 'A', name: 'mail.domaine.tld', data: '127.0.0.1' },
      { type: 'A', name: 'mta-sts.domaine.tld', data: '127.0.0.1' },
    ],
  })
  server = https.createServer({ key: leaf.key, cert: leaf.fullchain }, (req, res) => {
    if (req.url !== '/.well-known/mta-sts.txt') {
      res.writeHead(404).end()
      return
    }
    res.writeHead(served.status, served.headers)
    res.end(served.body)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  port = (server.address() as AddressInfo).port
})
afterAll(async () => {
  server.close()
  await dns.close()
})

const run = (over: { ca?: string; port?: number; params?: Record<string, unknown> } = {}) =>
  runCheck(policyCheck, {
    target: { dnsServer: dns.spec, domain: 'domaine.tld', ca: over.ca ?? pki.root.cert },
    params: { httpsPort: over.port ?? port, ...over.params },
  })

describe('MTA-STS policy parsing', () => {
  it('reads the fields of a policy with CRLF or LF line ends', () => {
    expect(parsePolicy(GOOD)).toEqual({ version: 'STSv1', mode: 'enforce', maxAge: '604800', mx: ['*.domaine.tld'] })
    expect(parsePolicy('version: STSv1\nmode: testing\nmx: a.b.tld\nmx: c.b.tld\nmax_age: 86400\nextension: x\n').mx).toEqual(['a.b.tld', 'c.b.tld'])
  })

  it('lists what a sender would reject', () => {
    const p = policyProblems(parsePolicy('mode: strict\nmax_age: 99999999999\n'))
    expect(p.map((x) => x.en).join(' | ')).toMatch(/version.*missing.*unknown mode "strict".*invalid max_age.*no "mx:" line/)
  })

  it('lets a wildcard stand for exactly one label', () => {
    expect(mxPatternMatches('*.domaine.tld', 'mail.domaine.tld')).toBe(true)
    expect(mxPatternMatches('*.domaine.tld', 'MAIL.Domaine.TLD.')).toBe(true)
    expect(mxPatternMatches('*.domaine.tld', 'a.mail.domaine.tld')).toBe(false)
    expect(mxPatternMatches('*.domaine.tld', 'domaine.tld')).toBe(false)
    expect(mxPatternMatches('mail.domaine.tld', 'mail.domaine.tld')).toBe(true)
    expect(mxPatternMatches('mail.domaine.tld', 'mx.domaine.tld')).toBe(false)
  })
})

describe('dns.mta-sts.policy', () => {
  it('passes for an enforce policy served as text/plain whose wildcard covers the MX', async () => {
    served = { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: GOOD }
    const v = await run()
    expect(v.status).toBe('pass')
    expect(v.evidence.facts).toMatchObject({ mode: 'enforce', uncovered: [] })
    expect(v.evidence.lines.join('\n')).toMatch(/mta-sts\.domaine\.tld → 127\.0\.0\.1/)
  })

  it('fails for a policy served as text/html', async () => {
    served = { status: 200, headers: { 'content-type': 'text/html' }, body: GOOD }
    const v = await run()
    expect(v.status).toBe('fail')
    expect(v.summary.fr).toMatch(/text\/plain/)
  })

  it('fails for a redirect, which senders do not follow', async () => {
    served = { status: 301, headers: { location: 'https://www.domaine.tld/mta-sts.txt' }, body: '' }
    const v = await run()
    expect(v.status).toBe('fail')
    expect(v.summary.en).toMatch(/301.*do not follow redirects/)
  })

  it('fails for a policy whose mx lines do not cover the MX host', async () => {
    served = { status: 200, headers: { 'content-type': 'text/plain' }, body: 'version: STSv1\nmode: enforce\nmx: mx.domaine.tld\nmax_age: 604800\n' }
    const v = await run()
    expect(v.status).toBe('fail')
    expect(v.evidence.facts?.['uncovered']).toEqual(['mail.domaine.tld'])
  })

  it('fails for a policy without its version line', async () => {
    served = { status: 200, headers: { 'content-type': 'text/plain' }, body: 'mode: enforce\nmx: mail.domaine.tld\nmax_age: 604800\n' }
    const v = await run()
    expect(v.status).toBe('fail')
    expect(v.summary.fr).toMatch(/version: STSv1/)
  })

  it('warns for a valid policy in none mode', async () => {
    served = { status: 200, headers: { 'content-type': 'text/plain' }, body: 'version: STSv1\nmode: none\nmax_age: 86400\n' }
    expect((await run()).status).toBe('warn')
  })

  it('fails when the exercise wants enforce and the policy says testing', async () => {
    served = { status: 200, headers: { 'content-type': 'text/plain' }, body: GOOD.replace('enforce', 'testing') }
    expect((await run()).status).toBe('pass')
    expect((await run({ params: { mode: 'enforce' } })).status).toBe('fail')
  })

  it('fails when the policy host’s certificate is not trusted', async () => {
    served = { status: 200, headers: { 'content-type': 'text/plain' }, body: GOOD }
    const other = await makeTestPki('Other')
    const v = await run({ ca: other.root.cert })
    expect(v.status).toBe('fail')
    expect(v.evidence.facts?.['stage']).toBe('certificate')
  })

  it('fails when nothing serves HTTPS on the policy host', async () => {
    const probe = net.createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
    const closedPort = (probe.address() as AddressInfo).port
    await new Promise<void>((r) => probe.close(() => r()))
    const v = await run({ port: closedPort })
    expect(v.status).toBe('fail')
    expect(v.evidence.facts?.['stage']).toBe('refused')
  })

  it('fails when mta-sts.<domain> has no address', async () => {
    const bare = await startTestDnsServer({ records: [{ type: 'MX', name: 'domaine.tld', data: { preference: 10, exchange: 'mail.domaine.tld' } }] })
    try {
      const v = await runCheck(policyCheck, { target: { dnsServer: bare.spec, domain: 'domaine.tld', ca: pki.root.cert }, params: { httpsPort: port } })
      expect(v.status).toBe('fail')
      expect(v.summary.en).toMatch(/no address/)
    } finally {
      await bare.close()
    }
  })

  it('takes the run’s per-host connection slot for the policy fetch, and gives it back', async () => {
    served = { status: 200, headers: { 'content-type': 'text/plain' }, body: GOOD }
    const inner = createConnectionGate(1)
    const hosts: string[] = []
    let held = 0
    const gate: ConnectionGate = {
      async acquire(host, signal) {
        hosts.push(host)
        const release = await inner.acquire(host, signal)
        held++
        return () => {
          held--
          release()
        }
      },
      idle: (host) => inner.idle!(host),
    }
    const ctx = testContext({ target: { dnsServer: dns.spec, domain: 'domaine.tld', ca: pki.root.cert }, params: { httpsPort: port } })
    const v = await policyCheck.run({ ...ctx, gate })
    expect(v.status).toBe('pass')
    expect(hosts).toEqual(['mta-sts.domaine.tld'])
    await inner.idle!('mta-sts.domaine.tld')
    expect(held).toBe(0)
  })
})
