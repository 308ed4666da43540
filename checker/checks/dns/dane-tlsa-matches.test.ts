// Unit tests of dns.dane.tlsa-matches: a real STARTTLS server (smtp-server) and DNS server with/without AD on loopback.
import { X509Certificate } from 'node:crypto'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Answer } from 'dns-packet'
import dane, { matchTlsa } from './dane-tlsa-matches.ts'
import { startTestDnsServer, type TestDnsServer } from './test-dns-server.ts'
import { runCheck } from './test-context.ts'
import { makeTestPki, type TestPki } from '../../probes/test-pki.ts'
import { tlsaAssociation } from '../../probes/x509.ts'

let pki: TestPki
let dns: TestDnsServer
let smtp: SMTPServer
let port: number
let leafCert: X509Certificate
let otherLeaf: X509Certificate

// The fake MX listens on a random port, so the TLSA owner name uses that port instead of 25.
const tlsa = (usage: number, cert: X509Certificate, selector = 1, matchingType = 1, onPort = port): Answer => ({
  type: 'TLSA',
  name: `_${onPort}._tcp.mail.domaine.tld`,
  data: { usage, selector, matchingType, certificate: tlsaAssociation(cert, selector, matchingType)! },
})
const zone = (records: Answer[], authenticated = true) => ({
  records: [
    { type: 'MX', name: 'domaine.tld', data: { preference: 10, exchange: 'mail.domaine.tld' } } as Answer,
    { type: 'A', name: 'mail.domaine.tld', data: '127.0.0.1' } as Answer,
    ...records,
  ],
  authenticated: authenticated ? ['*'] : [],
})

beforeAll(async () => {
  pki = await makeTestPki()
  const leaf = await pki.leaf(['mail.domaine.tld'])
  leafCert = new X509Certificate(leaf.cert)
  otherLeaf = new X509Certificate((await pki.leaf(['mail.domaine.tld'])).cert)
  dns = await startTestDnsServer(zone([]))
  smtp = new SMTPServer({ key: leaf.key, cert: leaf.fullchain, authOptional: true, logger: false, banner: 'test' })
  smtp.on('error', () => {})
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r))
  port = (smtp.server.address() as AddressInfo).port
})
afterAll(async () => {
  await new Promise<void>((r) => smtp.close(() => r()))
  await dns.close()
})

const run = (targetPort = port) =>
  runCheck(dane, {
    target: { host: '127.0.0.1', port: targetPort, mode: 'starttls', servername: 'mail.domaine.tld', dnsServer: dns.spec, domain: 'domaine.tld' },
    params: { port: targetPort },
  })

describe('TLSA matching rules', () => {
  it('matches 3 1 1 against the leaf only and 2 1 1 against an issuer above it', () => {
    const inter = new X509Certificate(pki.intermediate.cert)
    const chain = [leafCert, inter]
    const r = (usage: number, c: X509Certificate) => ({ usage, selector: 1, matchingType: 1, certificate: tlsaAssociation(c, 1, 1)! })
    expect(matchTlsa([r(3, leafCert)], chain, 'mail.domaine.tld')[0]!.matchedIndex).toBe(0)
    expect(matchTlsa([r(2, inter)], chain, 'mail.domaine.tld')[0]!.matchedIndex).toBe(1)
    expect(matchTlsa([r(2, leafCert)], chain, 'mail.domaine.tld')[0]!.matchedIndex).toBeNull()
    expect(matchTlsa([r(3, inter)], chain, 'mail.domaine.tld')[0]!.matchedIndex).toBeNull()
    expect(matchTlsa([r(1, leafCert)], chain, 'mail.domaine.tld')[0]!.usable).toBe(false)
  })
})

describe('dns.dane.tlsa-matches', () => {
  it('passes with a DNSSEC-validated 3 1 1 record of the key the server presents', async () => {
    dns.setZone(zone([tlsa(3, leafCert)]))
    const v = await run()
    expect(v.status).toBe('pass')
    expect(v.evidence.lines.join('\n')).toMatch(/matches #0/)
  })

  it('passes with a 2 1 1 record of the intermediate the server sends', async () => {
    dns.setZone(zone([tlsa(2, new X509Certificate(pki.intermediate.cert))]))
    const v = await run()
    expect(v.status).toBe('pass')
    expect(v.evidence.lines.join('\n')).toMatch(/matches #1/)
  })

  it('fails with a 3 1 1 record of an older key, as after a renewal that changed the key', async () => {
    dns.setZone(zone([tlsa(3, otherLeaf)]))
    const v = await run()
    expect(v.status).toBe('fail')
    expect(v.summary.en).toMatch(/matches the presented certificate/)
  })

  it('fails with a 2 1 1 record of a root the server does not send', async () => {
    dns.setZone(zone([tlsa(2, new X509Certificate(pki.root.cert))]))
    expect((await run()).status).toBe('fail')
  })

  it('fails with a matching record that the resolver did not validate (no AD bit)', async () => {
    // The MX answer is validated, the TLSA answer is not (an unsigned delegation below a signed zone, say).
    dns.setZone({ ...zone([tlsa(3, leafCert)]), authenticated: ['domaine.tld', 'mail.domaine.tld'] })
    const v = await run()
    expect(v.status).toBe('fail')
    expect(v.summary.fr).toMatch(/pas validés DNSSEC/)
  })

  it('fails when only PKIX usages (0/1) are published, which SMTP does not use', async () => {
    dns.setZone(zone([tlsa(1, leafCert)]))
    const v = await run()
    expect(v.status).toBe('fail')
    expect(v.summary.en).toMatch(/usable for SMTP/)
  })

  it('fails when no TLSA record exists for the MX', async () => {
    dns.setZone(zone([]))
    const v = await run()
    expect(v.status).toBe('fail')
    expect(v.summary.en).toContain(`no TLSA at _${port}._tcp.mail.domaine.tld`)
  })

  it('is inconclusive, not failed, when the mail server cannot be reached', async () => {
    const probe = net.createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
    const closed = (probe.address() as AddressInfo).port
    await new Promise<void>((r) => probe.close(() => r()))
    dns.setZone(zone([tlsa(3, leafCert, 1, 1, closed)]))
    const v = await run(closed)
    expect(v.status).toBe('inconclusive')
    expect(v.reason).toBe('refused')
  })
})

// RFC 7672 §2.2 and §3.1: what a DANE sender requires beyond a digest match.
describe('dns.dane.tlsa-matches follows RFC 7672 for DANE-TA and for the MX lookup', () => {
  const extra: SMTPServer[] = []
  afterAll(async () => {
    await Promise.all(extra.map((s) => new Promise<void>((r) => s.close(() => r()))))
  })
  /** Another real STARTTLS server on loopback presenting exactly `chain`. */
  async function serverWith(key: string, chain: string): Promise<number> {
    const s = new SMTPServer({ key, cert: chain, authOptional: true, logger: false, banner: 'test' })
    s.on('error', () => {})
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
    extra.push(s)
    return (s.server.address() as AddressInfo).port
  }

  it('fails a 2 1 1 record of an intermediate the server sends but that did not issue its leaf', async () => {
    const stranger = await makeTestPki('Stranger')
    const leaf = await pki.leaf(['mail.domaine.tld'])
    // The leaf comes from the lab CA; the CA certificate sent after it (and named by the TLSA) belongs to another CA.
    const p = await serverWith(leaf.key, `${leaf.cert.trim()}\n${stranger.intermediate.cert.trim()}\n`)
    dns.setZone(zone([tlsa(2, new X509Certificate(stranger.intermediate.cert), 1, 1, p)]))
    const v = await run(p)
    expect(v.status, v.summary.en).toBe('fail')
    expect(v.summary.en).toMatch(/does not chain/)
  })

  it('fails a 2 1 1 record that matches the chain when the leaf does not name the MX host', async () => {
    const leaf = await pki.leaf(['other.domaine.tld'])
    const p = await serverWith(leaf.key, leaf.fullchain)
    dns.setZone(zone([tlsa(2, new X509Certificate(pki.intermediate.cert), 1, 1, p)]))
    const v = await run(p)
    expect(v.status, v.summary.en).toBe('fail')
    expect(v.summary.en).toMatch(/does not name mail\.domaine\.tld/)
  })

  it('passes a 2 1 0 or 2 0 0 record carrying the whole CA key or certificate, even when the server sends the leaf alone (RFC 7671 §5.2.2)', async () => {
    const leaf = await pki.leaf(['mail.domaine.tld'])
    const p = await serverWith(leaf.key, leaf.cert)
    const inter = new X509Certificate(pki.intermediate.cert)
    for (const selector of [1, 0]) {
      dns.setZone(zone([tlsa(2, inter, selector, 0, p)]))
      const v = await run(p)
      expect(v.status, `2 ${selector} 0: ${v.summary.en}`).toBe('pass')
    }
    // The digest form cannot stand for a certificate that was not sent.
    dns.setZone(zone([tlsa(2, inter, 1, 1, p)]))
    expect((await run(p)).status).toBe('fail')
  })

  it('passes a 3 1 1 record of a leaf that names another host: DANE-EE has no name check (RFC 7672 §3.1.1)', async () => {
    const leaf = await pki.leaf(['other.domaine.tld'])
    const p = await serverWith(leaf.key, leaf.fullchain)
    dns.setZone(zone([tlsa(3, new X509Certificate(leaf.cert), 1, 1, p)]))
    const v = await run(p)
    expect(v.status, v.summary.en).toBe('pass')
  })

  it('fails when the TLSA answer is validated but the MX answer is not (no AD bit on the MX)', async () => {
    dns.setZone({ ...zone([tlsa(3, leafCert)]), authenticated: [`_${port}._tcp.mail.domaine.tld`, 'mail.domaine.tld'] })
    const v = await run()
    expect(v.status, v.summary.en).toBe('fail')
    expect(v.summary.en).toMatch(/MX of domaine\.tld is not DNSSEC-validated/)
  })
})
