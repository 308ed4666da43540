import { X509Certificate } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPki, fullchain, type TestPki } from '../test-support/pki.ts'
import { scriptedSmtp, type RunningServer, type ScriptedSmtpOptions } from '../test-support/smtp-servers.ts'
import { suiteByCode } from './cipher-suites.ts'
import type { Endpoint } from './smtp.ts'
import { acceptedFromClass, analyseChain, certificateFacts, enumerateCiphers, probeVersion, trustAnchors, WEAK_SUITES } from './tls.ts'

let pki: TestPki
let leaf: { key: string; cert: string }
const servers: RunningServer[] = []
async function serve(tls: NonNullable<ScriptedSmtpOptions['tls']>, implicit = false): Promise<Endpoint> {
  const s = await scriptedSmtp({ tls, implicit })
  servers.push(s)
  return { host: s.host, port: s.port, mode: implicit ? 'tls' : 'starttls', servername: 'mail.domaine.tld' }
}
beforeAll(async () => {
  pki = await createPki()
  leaf = await pki.leaf(['mail.domaine.tld'])
})
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
})

describe('protocol version probes', () => {
  it('a server limited to TLS 1.2–1.3 rejects SSLv3, TLS 1.0 and 1.1 and accepts 1.2 and 1.3', async () => {
    const ep = await serve({ ...leaf, minVersion: 'TLSv1.2' })
    const r = Object.fromEntries(await Promise.all((['ssl3', 'tls1.0', 'tls1.1', 'tls1.2', 'tls1.3'] as const).map(async (v) => [v, (await probeVersion(ep, v)).accepted])))
    expect(r).toEqual({ ssl3: false, 'tls1.0': false, 'tls1.1': false, 'tls1.2': true, 'tls1.3': true })
  })

  it('a server allowing TLS 1.0 at security level 0 is seen accepting TLS 1.0 (a naive OpenSSL 3 client would miss it)', async () => {
    const ep = await serve({ ...leaf, minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' })
    const r = await probeVersion(ep, 'tls1.0')
    expect(r.accepted).toBe(true)
  })

  it('a TLS 1.2-only server rejects a TLS 1.3 hello, and the probe says why', async () => {
    const ep = await serve({ ...leaf, maxVersion: 'TLSv1.2' })
    const r = await probeVersion(ep, 'tls1.3')
    expect(r.accepted).toBe(false)
    if (!r.accepted) expect(r.why).toMatch(/alert|version/)
  })

  it('implicit TLS endpoints are probed without a STARTTLS preamble', async () => {
    const ep = await serve({ ...leaf }, true)
    expect((await probeVersion(ep, 'tls1.2')).accepted).toBe(true)
  })
})

describe('cipher probes', () => {
  it('finds the anonymous and NULL suites a server enables among the weak class, in one handshake per find plus one', async () => {
    const ep = await serve({ ...leaf, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-NULL-SHA:AECDH-AES128-SHA:@SECLEVEL=0' })
    const r = await acceptedFromClass(ep, 'tls1.2', WEAK_SUITES)
    expect(r.accepted.map((s) => s.openssl).sort()).toEqual(['AECDH-AES128-SHA', 'ECDHE-ECDSA-NULL-SHA'])
    expect(r.handshakes).toBe(3)
  })

  it('enumerates every accepted TLS 1.2 suite one handshake each', async () => {
    const ep = await serve({ ...leaf, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305' })
    const list = await enumerateCiphers(ep, 'tls1.2')
    expect(list.map((s) => s.openssl).sort()).toEqual(['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305'])
    expect(suiteByCode(list[0]!.code)?.forwardSecret).toBe(true)
  })
})

describe('certificate facts', () => {
  it('a server sending the full chain is trusted against the given root and matches its name', async () => {
    const ep = await serve({ key: leaf.key, cert: fullchain(leaf, pki) })
    const f = await certificateFacts({ ...ep, ca: pki.root.cert })
    expect(f.authorized).toBe(true)
    expect(f.nameError).toBeNull()
    const v = await probeVersion(ep, 'tls1.2', true)
    expect(v.accepted && v.certificates?.length).toBe(2)
  })

  it('a server sending only its leaf has an incomplete chain', async () => {
    const ep = await serve({ ...leaf })
    const v = await probeVersion(ep, 'tls1.2', true)
    if (!v.accepted) throw new Error('TLS 1.2 expected')
    const a = analyseChain(v.certificates!.map((d) => new X509Certificate(d)), trustAnchors(pki.root.cert))
    expect(a.complete).toBe(false)
    expect(a.missingIssuerOf).toContain('mail.domaine.tld')
  })

  it('a self-signed certificate is not trusted by the public roots', async () => {
    const self = await pki.leaf(['mail.domaine.tld'], { selfSigned: true })
    const ep = await serve({ ...self })
    const f = await certificateFacts(ep)
    expect(f.authorized).toBe(false)
  })
})

describe('a server answering outside the offer', () => {
  it('is refused, and the suite it chose is given as a number (0xC102 for an offer of 0xC02F)', async () => {
    const { suitePickingServer } = await import('../test-support/raw-tls.ts')
    const s = await suitePickingServer(() => 0xc102)
    servers.push(s)
    const ep: Endpoint = { host: s.host, port: s.port, mode: 'tls' }
    const { offerHello } = await import('./tls.ts')
    const r = await offerHello(ep, { version: 'tls1.2', ciphers: [0xc02f] })
    expect(r.accepted).toBe(false)
    if (r.accepted) return
    expect(r.chosen).toBe(0xc102)
    expect(r.why).toMatch(/not offered/)
  })
})
