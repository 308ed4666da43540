import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPki, fullchain, type TestPki } from '../../test-support/pki.ts'
import { FAST, runCheck } from '../../test-support/run-check.ts'
import { scriptedSmtp, type RunningServer, type ScriptedSmtpOptions } from '../../test-support/smtp-servers.ts'
import type { Target } from '../../types.ts'

let pki: TestPki
let good: { key: string; cert: string }
const servers: RunningServer[] = []
async function serve(tls: NonNullable<ScriptedSmtpOptions['tls']>, servername = 'mail.domaine.tld'): Promise<Target> {
  const s = await scriptedSmtp({ tls })
  servers.push(s)
  return { host: s.host, port: s.port, mode: 'starttls', servername, ca: pki.root.cert, timeouts: FAST }
}
beforeAll(async () => {
  pki = await createPki()
  const leaf = await pki.leaf(['mail.domaine.tld'])
  good = { key: leaf.key, cert: fullchain(leaf, pki) }
})
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
})

describe('cert.trusted and cert.chain.complete', () => {
  it('a full chain from the lab CA passes both', async () => {
    const t = await serve(good)
    expect((await runCheck('cert.trusted', t)).status).toBe('pass')
    const chain = await runCheck('cert.chain.complete', t)
    expect(chain.status).toBe('pass')
    expect(chain.evidence.facts).toMatchObject({ sent: 2, source: 'wire' })
  })
  it('the leaf alone (cert.pem instead of fullchain.pem) fails both', async () => {
    const leaf = await pki.leaf(['mail.domaine.tld'])
    const t = await serve(leaf)
    expect((await runCheck('cert.trusted', t)).status).toBe('fail')
    const chain = await runCheck('cert.chain.complete', t)
    expect(chain.status).toBe('fail')
    expect(chain.summary.en).toContain('serve the fullchain')
  })
  it('a self-signed certificate fails cert.trusted with a clear reason', async () => {
    const self = await pki.leaf(['mail.domaine.tld'], { selfSigned: true })
    const r = await runCheck('cert.trusted', await serve(self))
    expect(r.status).toBe('fail')
    expect(r.summary.fr).toContain('auto-signé')
  })
  it('a complete chain with an unrelated certificate in the middle warns', async () => {
    const leaf = await pki.leaf(['mail.domaine.tld'])
    const other = await createPki('other')
    const t = await serve({ key: leaf.key, cert: `${leaf.cert.trim()}\n${other.root.cert.trim()}\n${pki.intermediate.cert.trim()}\n` })
    const r = await runCheck('cert.chain.complete', t)
    expect(r.status).toBe('warn')
    expect(r.evidence.facts).toMatchObject({ sent: 3, ordered: false, extra: 1 })
  })
})

describe('cert.name.matches', () => {
  it('a certificate for mail.domaine.tld matches that name and not mail.example.com', async () => {
    expect((await runCheck('cert.name.matches', await serve(good))).status).toBe('pass')
    const r = await runCheck('cert.name.matches', await serve(good, 'mail.example.com'))
    expect(r.status).toBe('fail')
    expect(r.summary.en).toContain('DNS:mail.domaine.tld')
  })
  it('without any host name to compare, it is skipped', async () => {
    const t = await serve(good)
    const { servername: _omit, ...noName } = t
    expect((await runCheck('cert.name.matches', noName)).status).toBe('skip')
  })
})

describe('cert.sni.selects', () => {
  it('a server with a per-SNI certificate for mail.client2.tld passes; one ignoring SNI fails', async () => {
    const client2 = await pki.leaf(['mail.client2.tld'])
    const withSni = await serve({ ...good, sni: { 'mail.client2.tld': { key: client2.key, cert: fullchain(client2, pki) } } })
    const names = { names: { 'mail.domaine.tld': 'mail.domaine.tld', 'mail.client2.tld': 'mail.client2.tld' } }
    const ok = await runCheck('cert.sni.selects', withSni, names)
    expect(ok.status).toBe('pass')
    expect(ok.evidence.lines.some((l) => l.startsWith('SNI mail.client2.tld') && l.includes('mail.client2.tld'))).toBe(true)
    const bad = await runCheck('cert.sni.selects', await serve(good), names)
    expect(bad.status).toBe('fail')
    expect(bad.evidence.facts?.['wrong']).toEqual(['mail.client2.tld'])
  })
})

describe('cert.validity.days-left', () => {
  it('60 days left passes, 10 days left warns, an expired certificate fails', async () => {
    expect((await runCheck('cert.validity.days-left', await serve(good))).status).toBe('pass')
    const soon = await pki.leaf(['mail.domaine.tld'], { notAfter: new Date(Date.now() + 10.5 * 86_400_000) })
    expect((await runCheck('cert.validity.days-left', await serve(soon))).status).toBe('warn')
    const expired = await pki.leaf(['mail.domaine.tld'], { notBefore: new Date(Date.now() - 100 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) })
    expect((await runCheck('cert.validity.days-left', await serve(expired))).status).toBe('fail')
  })
  it('the threshold comes from params.minDays', async () => {
    expect((await runCheck('cert.validity.days-left', await serve(good), { minDays: 90 })).status).toBe('warn')
  })
})

describe('cert.key.strength', () => {
  it('an EC P-256 key passes and an RSA 1024 key fails', async () => {
    expect((await runCheck('cert.key.strength', await serve(good))).status).toBe('pass')
    const weak = await pki.leaf(['mail.domaine.tld'], { keyType: 'rsa', keySize: 1024, selfSigned: true })
    const r = await runCheck('cert.key.strength', await serve({ ...weak, ciphers: 'DEFAULT:@SECLEVEL=0' }))
    expect(r.status).toBe('fail')
    expect(r.summary.en).toContain('RSA 1024')
  })
})

describe('cert.sni.selects reads the CN only when there is no DNS SAN (RFC 6125 §6.4.4)', () => {
  it('fails for a certificate whose CN is the name but whose SAN lists another name only', async () => {
    const { generate } = await import('selfsigned')
    const cnOnly = await generate([{ name: 'commonName', value: 'mail.client2.tld' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      notBeforeDate: new Date(Date.now() - 3600_000),
      notAfterDate: new Date(Date.now() + 30 * 86_400_000),
      ca: { key: pki.intermediate.key, cert: pki.intermediate.cert },
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 2 as const, value: 'www.client2.tld' }] },
      ],
    })
    const t = await serve({ ...good, sni: { 'mail.client2.tld': { key: cnOnly.private, cert: `${cnOnly.cert.trim()}\n${pki.intermediate.cert.trim()}\n` } } })
    const r = await runCheck('cert.sni.selects', t, { names: { 'mail.client2.tld': 'mail.client2.tld' } })
    expect(r.status).toBe('fail')
    expect(r.evidence.facts?.['wrong']).toEqual(['mail.client2.tld'])
  })
})

describe('certificates as sent, from a server that prefers anonymous suites (Debian’s Postfix with an EC key does)', () => {
  // Offered every suite, such a server picks an anonymous one and sends no certificate: the chain must be read from
  // a handshake that offers only authenticated suites, not from Node's view, which hides what does not chain.
  it('cert.chain.complete still sees the unrelated certificate sent in the middle of the chain', async () => {
    const leaf = await pki.leaf(['mail.domaine.tld'])
    const other = await createPki('other')
    const t = await serve({
      key: leaf.key,
      cert: `${leaf.cert.trim()}\n${other.root.cert.trim()}\n${pki.intermediate.cert.trim()}\n`,
      maxVersion: 'TLSv1.2',
      honorCipherOrder: true,
      ciphers: 'AECDH-AES128-SHA:ECDHE-ECDSA-AES128-GCM-SHA256:@SECLEVEL=0',
    })
    const r = await runCheck('cert.chain.complete', t)
    expect(r.status, r.summary.en).toBe('warn')
    expect(r.evidence.facts).toMatchObject({ sent: 3, source: 'wire', extra: 1 })
  })
})
