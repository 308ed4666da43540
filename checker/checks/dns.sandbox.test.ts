// dns.* checks against the real postfix lab: BIND with DNSSEC and RFC 2136 updates, Postfix on 25, nginx in the toolbox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DockerSandbox, downSandbox, upLab } from '../../sandbox/engine.ts'
import { testSession } from '../../sandbox/test-session.ts'
import { dnsQuery, txtValues, recordsOf } from '../probes/dns.ts'
import { makeTestPki, type TestPki } from '../probes/test-pki.ts'
import type { CheckDefinition, Target, Verdict } from '../types.ts'
import { runCheck } from './dns/test-context.ts'
import mxResolves from './dns/mx-resolves.ts'
import stsRecord from './dns/mta-sts-record.ts'
import stsPolicy from './dns/mta-sts-policy.ts'
import tlsRpt from './dns/tlsrpt-record.ts'
import dane from './dns/dane-tlsa-matches.ts'

const SESSION = testSession('chk-dns')
let sb: DockerSandbox
let pki: TestPki
let dnsServer: string

beforeAll(async () => {
  ;[sb, pki] = await Promise.all([upLab({ lab: 'postfix', session: SESSION, fresh: true }), makeTestPki('Lab web')])
  dnsServer = `${sb.address('dns')}:53`
})
afterAll(() => downSandbox(SESSION))

const target = (over: Partial<Target> = {}): Target => ({
  host: sb.address('mail'),
  port: 25,
  mode: 'starttls',
  servername: 'mail.domaine.tld',
  dnsServer,
  domain: 'domaine.tld',
  ...over,
})
const check = (c: CheckDefinition, over: Partial<Target> = {}, params: Record<string, unknown> = {}): Promise<Verdict> =>
  runCheck(c, { target: target(over), sandbox: sb, params })

/** RFC 2136 update from the toolbox with the session's TSIG key, as a learner would send it. */
async function nsupdate(zone: string, lines: string[]): Promise<void> {
  const script = [`server ${sb.env.LAB_DNS_IP} 5353`, `zone ${zone}`, ...lines, 'send', ''].join('\n')
  const r = await sb.exec('toolbox', ['nsupdate', '-k', '/etc/lab/tsig.key'], { stdin: script, timeoutMs: 15_000 })
  expect(r.exitCode, `nsupdate: ${r.stderr}`).toBe(0)
}

/** The validating resolver caches up to 2 s: wait until it serves the new data. */
async function until(what: string, ok: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 15_000
  while (Date.now() < end) {
    if (await ok()) return
    await new Promise((r) => setTimeout(r, 300))
  }
  throw new Error(`the lab resolver never showed ${what}`)
}
const txtIs = (name: string, want: string[]) => until(`${name} TXT ${want.join('|')}`, async () => JSON.stringify(txtValues(await dnsQuery(dnsServer, name, 'TXT'))) === JSON.stringify(want))

describe('dns.mx.resolves on the lab DNS', () => {
  it('passes for domaine.tld, whose MX mail.domaine.tld points at the mail host', async () => {
    const v = await check(mxResolves)
    expect(v.status, v.summary.en).toBe('pass')
    expect(v.evidence.lines.join('\n')).toContain(`mail.domaine.tld → ${sb.address('mail')}`)
  })

  // BIND refuses an MX naming an in-zone host without an address (check-integrity), so the typo points into another lab zone.
  it('fails for client2.tld once its MX names a host that has no address', async () => {
    await nsupdate('client2.tld', ['update delete client2.tld. MX', 'update add client2.tld. 60 MX 10 mail.exemple.example.com.'])
    await until('the misspelt MX', async () =>
      recordsOf(await dnsQuery(dnsServer, 'client2.tld', 'MX'), 'MX').some((r) => r.data.exchange === 'mail.exemple.example.com'),
    )
    const v = await check(mxResolves, { domain: 'client2.tld' })
    expect(v.status, v.summary.en).toBe('fail')
    expect(v.summary.en).toContain('mail.exemple.example.com')
  })
})

describe('dns.mta-sts.record and dns.tlsrpt.record on the lab DNS', () => {
  it('fails before any _mta-sts record exists, passes once one is added with nsupdate', async () => {
    expect((await check(stsRecord)).status).toBe('fail')
    await nsupdate('domaine.tld', ['update add _mta-sts.domaine.tld. 60 TXT "v=STSv1; id=20250101000000"'])
    await txtIs('_mta-sts.domaine.tld', ['v=STSv1; id=20250101000000'])
    const v = await check(stsRecord)
    expect(v.status, v.summary.en).toBe('pass')
  })

  it('fails for a TLS-RPT record whose rua lacks mailto:, passes once fixed', async () => {
    await nsupdate('domaine.tld', ['update add _smtp._tls.domaine.tld. 60 TXT "v=TLSRPTv1; rua=tlsrpt@domaine.tld"'])
    await txtIs('_smtp._tls.domaine.tld', ['v=TLSRPTv1; rua=tlsrpt@domaine.tld'])
    expect((await check(tlsRpt)).status).toBe('fail')
    await nsupdate('domaine.tld', ['update delete _smtp._tls.domaine.tld. TXT', 'update add _smtp._tls.domaine.tld. 60 TXT "v=TLSRPTv1; rua=mailto:tlsrpt@domaine.tld"'])
    await txtIs('_smtp._tls.domaine.tld', ['v=TLSRPTv1; rua=mailto:tlsrpt@domaine.tld'])
    expect((await check(tlsRpt)).status).toBe('pass')
  })
})

describe('dns.dane.tlsa-matches against Postfix on port 25', () => {
  const TLSA = '_25._tcp.mail.domaine.tld.'
  let digest: string

  it('fails while no TLSA record is published', async () => {
    const v = await check(dane)
    expect(v.status, v.summary.en).toBe('fail')
    expect(v.summary.en).toContain('no TLSA')
  })

  it('passes once the 3 1 1 digest computed with the course’s openssl pipeline is published in the signed zone', async () => {
    const r = await sb.exec('toolbox', [
      'sh',
      '-c',
      'openssl s_client -starttls smtp -connect mail.domaine.tld:25 -servername mail.domaine.tld </dev/null 2>/dev/null | openssl x509 -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d" " -f1',
    ])
    digest = r.stdout.trim()
    expect(digest).toMatch(/^[0-9a-f]{64}$/)
    await nsupdate('domaine.tld', [`update add ${TLSA} 60 TLSA 3 1 1 ${digest}`])
    await until('the TLSA record with AD', async () => {
      const res = await dnsQuery(dnsServer, TLSA, 'TLSA')
      return res.ad && recordsOf(res, 'TLSA').some((t) => t.data.certificate.toString('hex') === digest)
    })
    const v = await check(dane)
    expect(v.status, v.summary.en).toBe('pass')
    expect(v.evidence.lines.join('\n')).toMatch(/flags: ad/)
  })

  it('fails once the TLSA record holds the digest of another key, as after an unannounced key change', async () => {
    const wrong = digest.replace(/^./, (c) => (c === '0' ? '1' : '0'))
    await nsupdate('domaine.tld', [`update delete ${TLSA} TLSA`, `update add ${TLSA} 60 TLSA 3 1 1 ${wrong}`])
    await until('the wrong TLSA record', async () =>
      recordsOf(await dnsQuery(dnsServer, TLSA, 'TLSA'), 'TLSA').every((t) => t.data.certificate.toString('hex') === wrong),
    )
    const v = await check(dane)
    expect(v.status, v.summary.en).toBe('fail')
    expect(v.summary.en).toContain('matches the presented certificate')
  })
})

describe('dns.dane.tlsa-matches with a DANE-TA (2 1 1) record against Postfix on port 25', () => {
  const TLSA = '_25._tcp.mail.domaine.tld.'
  /** Postfix serves `chain` with `key`, as a learner would install a certificate and reload. */
  async function serveCert(name: string, key: string, chain: string): Promise<void> {
    await sb.exec('mail', ['mkdir', '-p', '/etc/ssl/dane-test'])
    await sb.writeFile('mail', `/etc/ssl/dane-test/${name}.pem`, chain, 0o644)
    await sb.writeFile('mail', `/etc/ssl/dane-test/${name}.key`, key, 0o600)
    const r = await sb.exec('mail', [
      'sh',
      '-c',
      `postconf -e smtpd_tls_cert_file=/etc/ssl/dane-test/${name}.pem smtpd_tls_key_file=/etc/ssl/dane-test/${name}.key && postfix reload`,
    ])
    expect(r.exitCode, r.stderr).toBe(0)
    await new Promise((res) => setTimeout(res, 1000))
  }

  beforeAll(async () => {
    // 2 1 1 = SHA-256 of the intermediate's public key, the CA a DANE-TA record pins.
    const { X509Certificate } = await import('node:crypto')
    const { tlsaAssociation } = await import('../probes/x509.ts')
    const ta = tlsaAssociation(new X509Certificate(pki.intermediate.cert), 1, 1)!.toString('hex')
    await nsupdate('domaine.tld', [`update delete ${TLSA} TLSA`, `update add ${TLSA} 60 TLSA 2 1 1 ${ta}`])
    await until('the 2 1 1 record with AD', async () => {
      const res = await dnsQuery(dnsServer, TLSA, 'TLSA')
      return res.ad && recordsOf(res, 'TLSA').every((t) => t.data.usage === 2 && t.data.certificate.toString('hex') === ta)
    })
  })

  it('fails when the leaf under the pinned CA names another host than the MX', async () => {
    const leaf = await pki.leaf(['other.domaine.tld'])
    await serveCert('other', leaf.key, leaf.fullchain)
    const v = await check(dane)
    expect(v.status, v.summary.en).toBe('fail')
    expect(v.summary.en).toContain('does not name mail.domaine.tld')
  })

  it('fails when the pinned CA is sent but did not issue the leaf', async () => {
    const stranger = await makeTestPki('Stranger')
    const leaf = await stranger.leaf(['mail.domaine.tld'])
    await serveCert('stranger', leaf.key, `${leaf.cert.trim()}\n${pki.intermediate.cert.trim()}\n`)
    const v = await check(dane)
    expect(v.status, v.summary.en).toBe('fail')
    expect(v.summary.en).toContain('does not chain')
  })

  it('passes once the leaf for mail.domaine.tld issued by the pinned CA is served', async () => {
    const leaf = await pki.leaf(['mail.domaine.tld'])
    await serveCert('good', leaf.key, leaf.fullchain)
    const v = await check(dane)
    expect(v.status, v.summary.en).toBe('pass')
    expect(v.evidence.lines.join('\n')).toContain('the leaf chains to it and names mail.domaine.tld')
  })
})

describe('dns.mta-sts.policy served by nginx in the toolbox', () => {
  const POLICY = '/var/www/mta-sts/.well-known/mta-sts.txt'
  const site = (location: string) => `server {
  listen 443 ssl;
  server_name mta-sts.domaine.tld;
  ssl_certificate /etc/lab/mta-sts.crt;
  ssl_certificate_key /etc/lab/mta-sts.key;
  root /var/www/mta-sts;
  location = /.well-known/mta-sts.txt { ${location} }
}
`
  async function serve(location: string, policy: string): Promise<void> {
    await sb.exec('toolbox', ['mkdir', '-p', '/var/www/mta-sts/.well-known'])
    await sb.writeFile('toolbox', POLICY, policy, 0o644)
    await sb.writeFile('toolbox', '/etc/nginx/sites-enabled/mta-sts', site(location), 0o644)
    const running = (await sb.exec('toolbox', ['sh', '-c', 'test -s /run/nginx.pid && kill -0 $(cat /run/nginx.pid)'])).exitCode === 0
    const r = await sb.exec('toolbox', running ? ['nginx', '-s', 'reload'] : ['nginx'])
    expect(r.exitCode, r.stderr).toBe(0)
    // nginx -s reload returns before the workers switch: give them a moment.
    await new Promise((res) => setTimeout(res, 500))
  }
  const GOOD = 'version: STSv1\nmode: enforce\nmx: mail.domaine.tld\nmax_age: 604800\n'

  beforeAll(async () => {
    const leaf = await pki.leaf(['mta-sts.domaine.tld'])
    await sb.writeFile('toolbox', '/etc/lab/mta-sts.crt', leaf.fullchain, 0o644)
    await sb.writeFile('toolbox', '/etc/lab/mta-sts.key', leaf.key, 0o600)
  })

  it('passes for an enforce policy served as text/plain that covers mail.domaine.tld', async () => {
    await serve('types { } default_type text/plain;', GOOD)
    const v = await check(stsPolicy, { ca: pki.root.cert })
    expect(v.status, v.summary.en).toBe('pass')
    expect(v.evidence.lines.join('\n')).toContain(`mta-sts.domaine.tld → ${sb.address('toolbox')}`)
  })

  it('fails for the same policy served as text/html', async () => {
    await serve('types { } default_type text/html;', GOOD)
    const v = await check(stsPolicy, { ca: pki.root.cert })
    expect(v.status, v.summary.en).toBe('fail')
    expect(v.evidence.facts?.['contentType']).toMatch(/^text\/html/)
  })

  it('fails for a redirect to another URL', async () => {
    await serve('return 301 https://www.domaine.tld/mta-sts.txt;', GOOD)
    const v = await check(stsPolicy, { ca: pki.root.cert })
    expect(v.status, v.summary.en).toBe('fail')
    expect(v.summary.en).toContain('301')
  })

  it('fails for a policy whose mx line does not cover the real MX', async () => {
    await serve('types { } default_type text/plain;', GOOD.replace('mx: mail.domaine.tld', 'mx: mx1.domaine.tld'))
    const v = await check(stsPolicy, { ca: pki.root.cert })
    expect(v.status, v.summary.en).toBe('fail')
    expect(v.evidence.facts?.['uncovered']).toEqual(['mail.domaine.tld'])
  })

  it('fails when the policy host’s certificate is not signed by the CA the senders trust', async () => {
    await serve('types { } default_type text/plain;', GOOD)
    const stranger = await makeTestPki('Stranger')
    const v = await check(stsPolicy, { ca: stranger.root.cert })
    expect(v.status, v.summary.en).toBe('fail')
    expect(v.evidence.facts?.['stage']).toBe('certificate')
  })
})
