// cert.key-type.rsa / .ecdsa against real TLS servers on loopback: an ECDSA-only server, a dual RSA+ECDSA one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPki, fullchain, type Issued, type TestPki } from '../../test-support/pki.ts'
import { FAST, runCheck } from '../../test-support/run-check.ts'
import { scriptedSmtp, type RunningServer, type ScriptedSmtpOptions } from '../../test-support/smtp-servers.ts'
import type { Target } from '../../types.ts'

// selfsigned signs a leaf only with an issuer of its own key type: one PKI per kind, both roots trusted.
let ec: TestPki
let rsa: TestPki
let ecLeaf: Issued
let rsaLeaf: Issued
const servers: RunningServer[] = []

async function serve(o: ScriptedSmtpOptions, servername = 'mail.domaine.tld'): Promise<Target> {
  const s = await scriptedSmtp(o)
  servers.push(s)
  return { host: s.host, port: s.port, mode: o.implicit ? 'tls' : 'starttls', servername, ca: `${ec.root.cert.trim()}\n${rsa.root.cert.trim()}\n`, timeouts: FAST }
}
const ecOnly = (): NonNullable<ScriptedSmtpOptions['tls']> => ({ key: ecLeaf.key, cert: fullchain(ecLeaf, ec) })
const dual = (): NonNullable<ScriptedSmtpOptions['tls']> => ({ key: [ecLeaf.key, rsaLeaf.key], cert: [fullchain(ecLeaf, ec), fullchain(rsaLeaf, rsa)] })

beforeAll(async () => {
  ec = await createPki('key-type ec', 'ec')
  rsa = await createPki('key-type rsa', 'rsa')
  ecLeaf = await ec.leaf(['mail.domaine.tld'])
  rsaLeaf = await rsa.leaf(['mail.domaine.tld'])
})
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
})

describe('cert.key-type.rsa and cert.key-type.ecdsa', () => {
  it('an ECDSA-only server fails the RSA probe with its alert, in TLS 1.2 and 1.3, and passes the ECDSA one (STARTTLS and implicit TLS)', async () => {
    for (const implicit of [false, true]) {
      const t = await serve({ tls: ecOnly(), implicit })
      const r = await runCheck('cert.key-type.rsa', t)
      expect(r.status, r.summary.en).toBe('fail')
      expect(r.evidence.facts).toMatchObject({ offered: 'rsa', 'TLSv1.2': 'alert 40', 'TLSv1.3': 'alert 40' })
      expect(r.summary.en).toContain('only RSA signatures cannot connect')
      expect(r.evidence.lines.join('\n')).toMatch(/alert 40 from the server/)
      const e = await runCheck('cert.key-type.ecdsa', t)
      expect(e.status, e.summary.en).toBe('pass')
      expect(e.evidence.facts).toMatchObject({ offered: 'ecdsa', 'TLSv1.2': 'ecdsa', 'TLSv1.3': 'ecdsa' })
    }
  })

  it('a dual RSA + ECDSA server passes both, each probe getting its own key type (STARTTLS and implicit TLS)', async () => {
    for (const implicit of [false, true]) {
      const t = await serve({ tls: dual(), implicit })
      const r = await runCheck('cert.key-type.rsa', t)
      expect(r.status, r.summary.en).toBe('pass')
      expect(r.evidence.facts).toMatchObject({ 'TLSv1.2': 'rsa', 'TLSv1.3': 'rsa' })
      expect(r.summary.en).toContain('RSA 2048 bits')
      const e = await runCheck('cert.key-type.ecdsa', t)
      expect(e.status, e.summary.en).toBe('pass')
      expect(e.evidence.facts).toMatchObject({ 'TLSv1.2': 'ecdsa', 'TLSv1.3': 'ecdsa' })
    }
  })

  it('an RSA certificate for another name fails on the name, an untrusted one on trust', async () => {
    const other = await rsa.leaf(['other.example'])
    const t = await serve({ tls: { key: [ecLeaf.key, other.key], cert: [fullchain(ecLeaf, ec), fullchain(other, rsa)] } })
    const r = await runCheck('cert.key-type.rsa', t)
    expect(r.status).toBe('fail')
    expect(r.summary.en).toContain('does not cover mail.domaine.tld')
    const self = await rsa.leaf(['mail.domaine.tld'], { selfSigned: true })
    const t2 = await serve({ tls: { key: [ecLeaf.key, self.key], cert: [fullchain(ecLeaf, ec), self.cert] } })
    const r2 = await runCheck('cert.key-type.rsa', t2)
    expect(r2.status).toBe('fail')
    expect(r2.summary.en).toContain('is not trusted')
  })

  it('a server speaking only TLS 1.2 is judged on TLS 1.2 alone', async () => {
    const t = await serve({ tls: { ...dual(), maxVersion: 'TLSv1.2' } })
    const r = await runCheck('cert.key-type.rsa', t)
    expect(r.status, r.summary.en).toBe('pass')
    expect(r.evidence.facts).toMatchObject({ 'TLSv1.2': 'rsa', 'TLSv1.3': 'version-unsupported' })
  })

  it('a server that refuses STARTTLS leaves the probe inconclusive (no certificate seen), not a key-type verdict', async () => {
    const t = await serve({ tls: ecOnly(), reply: (verb) => (verb === 'STARTTLS' ? '454 4.7.0 TLS not available' : undefined) })
    const r = await runCheck('cert.key-type.rsa', t)
    expect(r.status).toBe('inconclusive')
  })

  it('strips control sequences from what the server wrote into its certificate', async () => {
    // A subject with an escape sequence cannot be made by selfsigned's name encoder; the issuer's CN can carry it.
    const evilPki = await createPki('evil \u001b[31mred', 'rsa')
    const leaf = await evilPki.leaf(['mail.domaine.tld'])
    const t = await serve({ tls: { key: [ecLeaf.key, leaf.key], cert: [fullchain(ecLeaf, ec), fullchain(leaf, evilPki)] } })
    const r = await runCheck('cert.key-type.rsa', t)
    expect(r.status).toBe('fail') // evilPki's root is not trusted
    const text = [...r.evidence.lines, r.summary.en, r.summary.fr].join('\n')
    expect(text).not.toContain('\u001b')
  })
})
