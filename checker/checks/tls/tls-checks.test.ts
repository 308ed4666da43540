import type { SecureContextOptions } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPki } from '../../test-support/pki.ts'
import { FAST, runCheck } from '../../test-support/run-check.ts'
import { scriptedSmtp, type RunningServer } from '../../test-support/smtp-servers.ts'
import type { CheckId } from '../../registry.ts'
import type { Target } from '../../types.ts'

let leaf: { key: string; cert: string }
const servers: RunningServer[] = []
async function serve(tls: SecureContextOptions, implicit = false): Promise<Target> {
  const s = await scriptedSmtp({ tls: { ...leaf, ...tls }, implicit })
  servers.push(s)
  return { host: s.host, port: s.port, mode: implicit ? 'tls' : 'starttls', timeouts: FAST }
}
beforeAll(async () => {
  const pki = await createPki()
  leaf = await pki.leaf(['mail.domaine.tld'])
})
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
})

const VERSION_CHECKS: CheckId[] = ['tls.version.ssl3.rejected', 'tls.version.tls1_0.rejected', 'tls.version.tls1_1.rejected', 'tls.version.tls1_2.accepted', 'tls.version.tls1_3.accepted']
async function versions(t: Target): Promise<Record<string, string>> {
  return Object.fromEntries(await Promise.all(VERSION_CHECKS.map(async (id) => [id, (await runCheck(id, t)).status])))
}

describe('tls.version.* checks', () => {
  it('a server set to TLS 1.2 and 1.3 only passes every version check', async () => {
    expect(await versions(await serve({ minVersion: 'TLSv1.2' }))).toEqual(Object.fromEntries(VERSION_CHECKS.map((id) => [id, 'pass'])))
  })
  it('a server still accepting TLS 1.0 and 1.1 fails those two, and says so to the learner', async () => {
    const t = await serve({ minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' })
    expect(await versions(t)).toMatchObject({ 'tls.version.tls1_0.rejected': 'fail', 'tls.version.tls1_1.rejected': 'fail', 'tls.version.ssl3.rejected': 'pass' })
    const r = await runCheck('tls.version.tls1_0.rejected', t)
    expect(r.summary.fr).toMatch(/^Votre serveur accepte encore TLS 1\.0/)
  })
  it('a TLS 1.2-only server fails tls1_3.accepted, a TLS 1.3-only server fails tls1_2.accepted', async () => {
    expect((await runCheck('tls.version.tls1_3.accepted', await serve({ maxVersion: 'TLSv1.2' }))).status).toBe('fail')
    expect((await runCheck('tls.version.tls1_2.accepted', await serve({ minVersion: 'TLSv1.3' }))).status).toBe('fail')
  })
})

describe('tls.cipher.no-weak', () => {
  it('default OpenSSL 3 suites pass', async () => {
    expect((await runCheck('tls.cipher.no-weak', await serve({ minVersion: 'TLSv1.2' }))).status).toBe('pass')
  })
  it('a server enabling NULL and anonymous suites fails and lists them', async () => {
    const r = await runCheck('tls.cipher.no-weak', await serve({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-NULL-SHA:AECDH-AES128-SHA:@SECLEVEL=0' }))
    expect(r.status).toBe('fail')
    expect(r.summary.en).toContain('ECDHE-ECDSA-NULL-SHA')
    expect(r.summary.en).toContain('AECDH-AES128-SHA')
  })
  it('a TLS 1.3-only server passes without any legacy probe', async () => {
    expect((await runCheck('tls.cipher.no-weak', await serve({ minVersion: 'TLSv1.3' }))).status).toBe('pass')
  })
})

describe('tls.cipher.forward-secrecy', () => {
  it('a server with only ECDHE suites passes', async () => {
    expect((await runCheck('tls.cipher.forward-secrecy', await serve({ minVersion: 'TLSv1.2' }))).status).toBe('pass')
  })
  it('a TLS 1.2 server offering only static key exchange fails', async () => {
    const rsa = await createPki().then((p) => p.leaf(['mail.domaine.tld'], { keyType: 'rsa', selfSigned: true }))
    const s = await scriptedSmtp({ tls: { ...rsa, maxVersion: 'TLSv1.2', ciphers: 'AES128-GCM-SHA256:AES256-SHA' } })
    servers.push(s)
    const r = await runCheck('tls.cipher.forward-secrecy', { host: s.host, port: s.port, mode: 'starttls', timeouts: FAST })
    expect(r.status).toBe('fail')
  })
  it('a server preferring ECDHE but still accepting RSA key exchange warns', async () => {
    const rsa = await createPki().then((p) => p.leaf(['mail.domaine.tld'], { keyType: 'rsa', selfSigned: true }))
    const s = await scriptedSmtp({ tls: { ...rsa, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:AES128-GCM-SHA256' } })
    servers.push(s)
    const r = await runCheck('tls.cipher.forward-secrecy', { host: s.host, port: s.port, mode: 'starttls', timeouts: FAST })
    expect(r.status).toBe('warn')
    expect(r.evidence.facts?.['nonForwardSecretAccepted']).toEqual(['TLSv1.2 AES128-GCM-SHA256'])
  })
})

describe('tls.implicit', () => {
  it('a port speaking TLS from the first byte passes', async () => {
    const r = await runCheck('tls.implicit', await serve({}, true))
    expect(r.status).toBe('pass')
  })
  it('a port answering plain SMTP instead fails', async () => {
    const t = await serve({})
    const r = await runCheck('tls.implicit', { ...t, mode: 'tls' })
    expect(r.status).toBe('fail')
    expect(r.summary.en).toContain('clear text')
  })
  it('a closed port is inconclusive, not a failure', async () => {
    const t = await serve({}, true)
    await servers.pop()!.close()
    const r = await runCheck('tls.implicit', t)
    expect(r).toMatchObject({ status: 'inconclusive', reason: 'refused' })
  })
})

describe('tls.version.ssl3.rejected against a server that still speaks SSL 3.0', () => {
  // No OpenSSL 3 server can offer SSLv3 any more, so this server answers the ClientHello by hand.
  it('fails, naming the suite the server chose', async () => {
    const { rawServer } = await import('../../test-support/smtp-servers.ts')
    const s = await rawServer((sock) => {
      sock.write('220 old.test ESMTP\r\n')
      let tlsMode = false
      sock.on('data', (d: Buffer) => {
        if (tlsMode) {
          const v = d.readUInt16BE(9) // client_version of the ClientHello
          const body = Buffer.concat([Buffer.from([v >> 8, v & 0xff]), Buffer.alloc(32, 1), Buffer.from([0, 0x00, 0x0a, 0])])
          const hs = Buffer.concat([Buffer.from([2, 0, 0, body.length]), body])
          sock.end(Buffer.concat([Buffer.from([22, v >> 8, v & 0xff, 0, hs.length]), hs]))
          return
        }
        const line = d.toString().toUpperCase()
        if (line.startsWith('EHLO')) sock.write('250-old.test\r\n250 STARTTLS\r\n')
        else if (line.startsWith('STARTTLS')) {
          tlsMode = true
          sock.write('220 go ahead\r\n')
        } else if (line.startsWith('QUIT')) sock.end('221 bye\r\n')
      })
    })
    servers.push(s)
    const r = await runCheck('tls.version.ssl3.rejected', { host: s.host, port: s.port, mode: 'starttls', timeouts: FAST })
    expect(r.status).toBe('fail')
    expect(r.summary.en).toContain('SSL 3.0 (suite chosen: TLS_RSA_WITH_3DES_EDE_CBC_SHA)')
  })
})

describe('TLS 1.3 CCM suites (0x1304, 0x1305) are known', () => {
  // RFC 8446 defines five TLS 1.3 suites; a server restricted to the two CCM ones still speaks TLS 1.3.
  it('a TLS 1.3-only server offering only TLS_AES_128_CCM_SHA256 and TLS_AES_128_CCM_8_SHA256 passes tls1_3.accepted, no-weak and forward-secrecy', async () => {
    const t = await serve({ minVersion: 'TLSv1.3', ciphers: 'TLS_AES_128_CCM_8_SHA256:TLS_AES_128_CCM_SHA256' })
    const v13 = await runCheck('tls.version.tls1_3.accepted', t)
    expect(v13.status, v13.summary.en).toBe('pass')
    expect((await runCheck('tls.cipher.no-weak', t)).status).toBe('pass')
    expect((await runCheck('tls.cipher.forward-secrecy', t)).status).toBe('pass')
  })
})

/** DH parameters (PKCS#3 PEM) from one of Node's built-in MODP groups: modp2 is 1024 bits, modp14 2048 (RFC 2409/3526). */
async function dhParams(group: 'modp2' | 'modp14'): Promise<string> {
  const { getDiffieHellman } = await import('node:crypto')
  const dh = getDiffieHellman(group)
  const int = (b: Buffer): Buffer => {
    const v = b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b
    return Buffer.concat([Buffer.from([0x02]), derLength(v.length), v])
  }
  const derLength = (n: number): Buffer => (n < 128 ? Buffer.from([n]) : n < 256 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]))
  const body = Buffer.concat([int(dh.getPrime()), int(dh.getGenerator())])
  const der = Buffer.concat([Buffer.from([0x30]), derLength(body.length), body])
  return `-----BEGIN DH PARAMETERS-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END DH PARAMETERS-----\n`
}

describe('tls.cipher.no-weak and the DHE group size (Logjam)', () => {
  async function dheServer(group: 'modp2' | 'modp14'): Promise<Target> {
    const rsa = await createPki().then((p) => p.leaf(['mail.domaine.tld'], { keyType: 'rsa', selfSigned: true }))
    const s = await scriptedSmtp({ tls: { ...rsa, maxVersion: 'TLSv1.2', dhparam: await dhParams(group), ciphers: 'DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0' } })
    servers.push(s)
    return { host: s.host, port: s.port, mode: 'starttls', timeouts: FAST }
  }
  it('fails a server whose DHE suites use a 1024-bit group, with the size as evidence', async () => {
    const r = await runCheck('tls.cipher.no-weak', await dheServer('modp2'))
    expect(r.status, r.summary.en).toBe('fail')
    expect(r.summary.en).toMatch(/DH 1024/)
  })
  it('passes the same server with a 2048-bit group', async () => {
    const r = await runCheck('tls.cipher.no-weak', await dheServer('modp14'))
    expect(r.status, r.summary.en).toBe('pass')
    expect(r.evidence.facts?.['dhBits']).toBe(2048)
  })
})

describe('tls.cipher.forward-secrecy never counts an unknown suite as ephemeral', () => {
  it('reports a negotiated TLS 1.2 suite missing from the table (0xC102, a GOST suite IANA lists) as unknown', async () => {
    const { unknownSuites } = await import('./cipher-forward-secrecy.ts')
    const hello = (cipher: number, version: 'tls1.2' | 'tls1.3' = 'tls1.2') => ({ accepted: true as const, version, cipher, helloRetry: false, transcript: [] })
    expect(unknownSuites([hello(0xc02f), hello(0xc102), hello(0xc102), hello(0x1306, 'tls1.3')])).toEqual(['0xC102'])
    expect(unknownSuites([hello(0xc02f), { accepted: false, why: 'TLS alert handshake_failure', transcript: [] }])).toEqual([])
    // Outside the offer: static RSA (0x0035) proves nothing ephemeral, ECDHE (0xC02F) hides nothing.
    const outside = (chosen: number) => ({ accepted: false as const, why: 'the server chose a suite that was not offered', chosen, transcript: [] })
    expect(unknownSuites([outside(0x0035), outside(0xc02f)])).toEqual(['0x0035'])
  })
})

describe('tls.cipher.forward-secrecy and a server answering outside the offer', () => {
  it('fails a server that picks ECDHE when offered it and an unknown suite (0xC102) when offered only static RSA', async () => {
    const { suitePickingServer } = await import('../../test-support/raw-tls.ts')
    const s = await suitePickingServer((h) => (h.tls13 || h.version !== 0x0303 ? null : h.ciphers.includes(0xc02f) ? 0xc02f : 0xc102))
    servers.push(s)
    const r = await runCheck('tls.cipher.forward-secrecy', { host: s.host, port: s.port, mode: 'tls', timeouts: FAST })
    expect(r.status, r.summary.en).toBe('fail')
    expect(r.evidence.facts?.['unknownSuites']).toEqual(['0xC102'])
  })
})

describe('a server that refuses every TLS handshake after STARTTLS', () => {
  // Rule of the grader: a TLS alert from the learner's server is a failure with its evidence, never "could not tell".
  it('fails tls.cipher.no-weak and tls.cipher.forward-secrecy, showing the alert', async () => {
    const { rawServer } = await import('../../test-support/smtp-servers.ts')
    const s = await rawServer((sock) => {
      sock.write('220 broken.test ESMTP\r\n')
      let tlsMode = false
      sock.on('data', (d: Buffer) => {
        if (tlsMode) {
          sock.end(Buffer.from([21, 3, 3, 0, 2, 2, 40])) // fatal handshake_failure, as after a key that does not load
          return
        }
        const line = d.toString().toUpperCase()
        if (line.startsWith('EHLO')) sock.write('250-broken.test\r\n250 STARTTLS\r\n')
        else if (line.startsWith('STARTTLS')) {
          tlsMode = true
          sock.write('220 2.0.0 Ready to start TLS\r\n')
        } else if (line.startsWith('QUIT')) sock.end('221 bye\r\n')
      })
    })
    servers.push(s)
    const t: Target = { host: s.host, port: s.port, mode: 'starttls', timeouts: FAST }
    for (const id of ['tls.cipher.no-weak', 'tls.cipher.forward-secrecy'] as const) {
      const r = await runCheck(id, t)
      expect(r.status, `${id}: ${r.summary.en}`).toBe('fail')
      expect(r.evidence.lines.join('\n')).toContain('handshake_failure')
    }
  })
})
