// Whose fault an unfinished check is, on answers recorded from real sandboxes (Postfix 3.7 in the postfix lab).
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SandboxHandle } from '../checker/sandbox-handle.ts'
import { createPki } from '../checker/test-support/pki.ts'
import { FAST, runCheck } from '../checker/test-support/run-check.ts'
import { scriptedSmtp } from '../checker/test-support/smtp-servers.ts'
import type { CheckResult, InconclusiveReason } from '../checker/types.ts'
import { asFail, learnerFault, sandboxHealth } from './classify.ts'

const inconclusive = (id: string, reason: InconclusiveReason, lines: string[]): CheckResult => ({
  id,
  status: 'inconclusive',
  reason,
  title: { fr: id, en: id },
  summary: { fr: 'Impossible de vérifier…', en: 'Could not check…' },
  evidence: { lines },
  durationMs: 10,
})

// Recorded from `grade --exercise postfix-tls-main-cf` with smtpd_tls_cert_file = …/fulchain.pem (a typo).
const STARTTLS_454 = [
  '# connected to 10.231.5.20:25',
  'S: 220 mail.domaine.tld ESMTP Postfix (Debian/GNU)',
  'C: EHLO checker.smtp-tls-lab.test',
  'S: 250-mail.domaine.tld',
  'S: 250-PIPELINING',
  'S: 250-SIZE 10240000',
  'S: 250-VRFY',
  'S: 250-ETRN',
  'S: 250-STARTTLS',
  'S: 250-ENHANCEDSTATUSCODES',
  'S: 250-8BITMIME',
  'S: 250-DSN',
  'S: 250-SMTPUTF8',
  'S: 250 CHUNKING',
  'C: STARTTLS',
  'S: 454 4.7.0 TLS not available due to local problem',
  '# STARTTLS: 454 4.7.0 TLS not available due to local problem',
]

describe('an inconclusive result in a sandbox', () => {
  it('Postfix answering STARTTLS with 454 (certificate file missing) is the learner’s server: a fail quoting the 454', () => {
    const r = inconclusive('cert.trusted', 'temporary', STARTTLS_454)
    const fault = learnerFault(r, { port: 25 })
    expect(fault?.answer).toBe('454 4.7.0 TLS not available due to local problem')
    const f = asFail(r, fault!)
    expect(f.status).toBe('fail')
    expect(f.reason).toBeUndefined()
    expect(f.summary.en).toContain('“454 4.7.0 TLS not available due to local problem” to STARTTLS')
    expect(f.summary.fr).toContain('« 454 4.7.0 TLS not available due to local problem » à STARTTLS')
    expect(f.evidence.lines.slice(0, STARTTLS_454.length)).toEqual(STARTTLS_454)
    expect(f.evidence.facts).toMatchObject({ serverAnswer: '454 4.7.0 TLS not available due to local problem', wasInconclusive: 'temporary' })
  })

  it('a port the exercise requires refusing connections is a fail naming the port', () => {
    const r = inconclusive('tls.implicit', 'refused', ['# connect 172.30.5.4:465: connection refused'])
    expect(learnerFault(r, { port: 465 })?.summary.en).toContain('Nothing listens on port 465 of your server')
  })

  it('a TLS alert during the handshake (a real one: no suite shared with the client) is a fail carrying the TLS error', async () => {
    // An ECDSA certificate served with RSA-only suites: the server has nothing to offer and sends handshake_failure.
    const pki = await createPki('h1 classify')
    const leaf = await pki.leaf(['mail.domaine.tld'])
    const server = await scriptedSmtp({ tls: { key: leaf.key, cert: leaf.cert, ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', maxVersion: 'TLSv1.2' } })
    try {
      const r = await runCheck('cert.trusted', { host: server.host, port: server.port, mode: 'starttls', servername: 'mail.domaine.tld', ca: pki.root.cert, timeouts: FAST })
      expect(r.status, JSON.stringify(r)).toBe('inconclusive')
      const fault = learnerFault(r, { port: server.port })
      expect(fault?.answer, JSON.stringify(r.evidence)).toMatch(/^TLS handshake failed: .*alert handshake failure/i)
      expect(asFail(r, fault!).summary.en).toMatch(/^The TLS handshake with your server fails \(TLS handshake failed: /)
    } finally {
      await server.close()
    }
  })

  it('a 5xx greeting (the server turns every client away) is a fail', () => {
    const r = inconclusive('smtp.banner.no-version', 'refused', ['S: 554 5.7.1 mail.domaine.tld no service', '# greeting: 554 5.7.1 mail.domaine.tld no service'])
    expect(learnerFault(r, { port: 25 })?.answer).toBe('554 5.7.1 mail.domaine.tld no service')
  })

  it('the grader’s own trouble stays inconclusive: its time bound, an unreachable sandbox, a bug, an unparsable reply', () => {
    expect(learnerFault(inconclusive('a', 'timeout', ['# greeting: no complete reply within 5000 ms']), { port: 25 })).toBeNull()
    expect(learnerFault(inconclusive('a', 'unreachable', ['# connect 172.30.5.4:25: EHOSTUNREACH']), { port: 25 })).toBeNull()
    expect(learnerFault(inconclusive('a', 'bug', ['# TypeError: x is undefined']), { port: 25 })).toBeNull()
    expect(learnerFault(inconclusive('a', 'protocol', ['# the server sent a reply nobody asked for']), { port: 25 })).toBeNull()
  })

  it('a 421 for too many connections is the grader’s load (it opened too many), not the configuration', () => {
    // Exim 4.96 stock: smtp_accept_max = 20, the surplus gets a clear-text 421.
    const r = inconclusive('cert.trusted', 'temporary', ['S: 421 mail.domaine.tld Too many concurrent SMTP connections; please try again later.', '# greeting: 421 mail.domaine.tld Too many concurrent SMTP connections; please try again later.'])
    expect(learnerFault(r, { port: 25 })).toBeNull()
    const tls = inconclusive('cert.trusted', 'protocol', ['S: 421 Too many connections', '# TLS handshake failed: ERR_SSL_WRONG_VERSION_NUMBER'])
    expect(learnerFault(tls, { port: 465 })).toBeNull()
  })

  it('a pass, a fail or a skip is never touched', () => {
    const pass: CheckResult = { ...inconclusive('a', 'temporary', STARTTLS_454), status: 'pass' }
    expect(learnerFault(pass, { port: 25 })).toBeNull()
  })
})

describe('the sandbox’s health, which a reclassification needs', () => {
  let dns: net.Server
  let acme: net.Server
  const portOf = (s: net.Server): number => (s.address() as net.AddressInfo).port
  beforeAll(async () => {
    dns = net.createServer((c) => c.destroy())
    acme = net.createServer((c) => c.destroy())
    await Promise.all([dns, acme].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))))
  })
  afterAll(() => {
    dns.close()
    acme.close()
  })

  // Only address and exec are used; the lab services are small real listeners on loopback ports.
  const handle = (exec: SandboxHandle['exec']): SandboxHandle => ({
    session: 'h1-unit',
    lab: 'postfix',
    address: () => '127.0.0.1',
    exec,
    readFile: () => Promise.reject(new Error('unused')),
    stat: () => Promise.reject(new Error('unused')),
    tool: () => Promise.reject(new Error('unused')),
    writeFile: () => Promise.reject(new Error('unused')),
  })
  const ok: SandboxHandle['exec'] = () => Promise.resolve({ exitCode: 0, stdout: '', stderr: '' })
  const peers = (): [string, number][] => [
    ['dns', portOf(dns)],
    ['acme', portOf(acme)],
  ]

  it('a container that runs a command and lab services that answer: healthy', async () => {
    expect(await sandboxHealth(handle(ok), 'mail', peers())).toEqual({ healthy: true, lines: [] })
  })

  it('a dead container engine makes the sandbox unhealthy: nothing is reclassified', async () => {
    const h = await sandboxHealth(handle(() => Promise.reject(new Error('connect ENOENT /var/run/docker.sock'))), 'mail', peers())
    expect(h.healthy).toBe(false)
    expect(h.lines.join('\n')).toContain('ENOENT /var/run/docker.sock')
  })

  it('a lab DNS server that does not answer makes the sandbox unhealthy', async () => {
    const closed = net.createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const port = portOf(closed)
    await new Promise<void>((r) => closed.close(() => r()))
    const h = await sandboxHealth(handle(ok), 'mail', [['dns', port], ['acme', portOf(acme)]])
    expect(h).toEqual({ healthy: false, lines: [`# dns (127.0.0.1:${port}) does not answer`] })
  })
})
