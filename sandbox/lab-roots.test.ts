import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { generate } from 'selfsigned'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPki, fullchain, type TestPki } from '../checker/test-support/pki.ts'
import { FAST, runCheck } from '../checker/test-support/run-check.ts'
import { scriptedSmtp, type RunningServer } from '../checker/test-support/smtp-servers.ts'
import type { Target } from '../checker/types.ts'
import { labRootsDir, LAB_ROOTS_ENV, listLabRoots, parsePems, recordLabRoot, trustBundle, trustExtraRoots } from './lab-roots.ts'

let dir: string
let pebbleThen: TestPki // the harvest (or learner's) sandbox's Pebble, stopped since
let pebbleNow: TestPki // the grading sandbox's live Pebble
let fake: TestPki // some CA the record never saw
const servers: RunningServer[] = []
const fresh = (): string => mkdtempSync(path.join(dir, 'r-'))

async function serve(tls: { key: string; cert: string }, ca: string | undefined): Promise<Target> {
  const s = await scriptedSmtp({ tls })
  servers.push(s)
  return { host: s.host, port: s.port, mode: 'starttls', servername: 'mail.domaine.tld', ...(ca ? { ca } : {}), timeouts: FAST }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'stl-lab-roots-'))
  ;[pebbleThen, pebbleNow, fake] = await Promise.all([createPki('Pebble Root CA 1a2b3c'), createPki('Pebble Root CA 4d5e6f'), createPki('Other CA')])
})
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
  rmSync(dir, { recursive: true, force: true })
})

describe('the record of Pebble roots', () => {
  it('lives where SMTP_TLS_LAB_ROOTS_DIR says', () => {
    const before = process.env[LAB_ROOTS_ENV]
    process.env[LAB_ROOTS_ENV] = path.join(dir, 'env')
    try {
      expect(labRootsDir()).toBe(path.join(dir, 'env'))
    } finally {
      if (before === undefined) delete process.env[LAB_ROOTS_ENV]
      else process.env[LAB_ROOTS_ENV] = before
    }
  })

  it('records a root once, by SHA-256 fingerprint, and lists it back', () => {
    const d = fresh()
    const fp = recordLabRoot(pebbleThen.root.cert, d)
    expect(fp).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/)
    expect(recordLabRoot(pebbleThen.root.cert, d)).toBe(fp)
    expect(readdirSync(d)).toEqual([`${fp!.replace(/:/g, '').toLowerCase()}.pem`])
    expect(listLabRoots(d).map((c) => c.fingerprint256)).toEqual([fp])
  })

  it('records only self-signed CA certificates: never a leaf or an intermediate', async () => {
    const d = fresh()
    const leaf = await pebbleThen.leaf(['mail.domaine.tld'])
    expect(recordLabRoot(leaf.cert, d)).toBeNull()
    expect(recordLabRoot(pebbleThen.intermediate.cert, d)).toBeNull()
    expect(recordLabRoot('not a certificate', d)).toBeNull()
    expect(listLabRoots(d)).toEqual([])
  })

  it('keeps the most recently seen roots within its bound', async () => {
    const d = fresh()
    const more = await Promise.all([1, 2, 3].map((i) => createPki(`bound ${i}`)))
    const fps = more.map((p, i) => {
      const fp = recordLabRoot(p.root.cert, d, 2)!
      const f = path.join(d, `${fp.replace(/:/g, '').toLowerCase()}.pem`)
      utimesSync(f, new Date(Date.now() - (10 - i) * 60_000), new Date(Date.now() - (10 - i) * 60_000))
      return fp
    })
    expect(listLabRoots(d).map((c) => c.fingerprint256).sort()).toEqual(fps.slice(1).sort())
  })

  it('ignores a file whose content is not the root its name says', () => {
    const d = fresh()
    const fp = recordLabRoot(pebbleThen.root.cert, d)!
    writeFileSync(path.join(d, `${fp.replace(/:/g, '').toLowerCase()}.pem`), fake.root.cert)
    expect(listLabRoots(d)).toEqual([])
  })

  it('bundles the live root first, then the recorded and the instructor-given ones, once each', async () => {
    const d = fresh()
    recordLabRoot(pebbleThen.root.cert, d)
    recordLabRoot(pebbleNow.root.cert, d)
    const other = await createPki('elsewhere')
    expect(trustExtraRoots(`${other.root.cert}\n${other.intermediate.cert}`)).toBe(1)
    const fps = parsePems(trustBundle(pebbleNow.root.cert, d)!).map((c) => c.fingerprint256)
    expect(fps).toHaveLength(3)
    expect(fps[0]).toBe(parsePems(pebbleNow.root.cert)[0]!.fingerprint256)
    expect(fps).toContain(parsePems(pebbleThen.root.cert)[0]!.fingerprint256)
    expect(fps).toContain(parsePems(other.root.cert)[0]!.fingerprint256)
  })
})

describe('cert.trusted with the bundle (a real TLS handshake on loopback)', () => {
  it('a certificate from a Pebble that has since restarted chains to its recorded root: pass', async () => {
    const d = fresh()
    recordLabRoot(pebbleThen.root.cert, d)
    const leaf = await pebbleThen.leaf(['mail.domaine.tld'])
    const tls = { key: leaf.key, cert: fullchain(leaf, pebbleThen) }
    // Before the record, the live root alone: the certificate a learner got from Pebble is not trusted.
    expect((await runCheck('cert.trusted', await serve(tls, pebbleNow.root.cert))).status).toBe('fail')
    // Node takes the concatenated PEMs as several anchors, the issuing one second here.
    expect((await runCheck('cert.trusted', await serve(tls, trustBundle(pebbleNow.root.cert, d)))).status).toBe('pass')
  })

  it('a learner’s self-made CA named "Pebble Root CA" issuing mail.domaine.tld still fails', async () => {
    const d = fresh()
    recordLabRoot(pebbleThen.root.cert, d)
    const ca = await generate([{ name: 'commonName', value: 'Pebble Root CA' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      extensions: [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true }],
    })
    expect(new X509Certificate(ca.cert).subject).toBe('CN=Pebble Root CA')
    const leaf = await generate([{ name: 'commonName', value: 'mail.domaine.tld' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      ca: { key: ca.private, cert: ca.cert },
      extensions: [{ name: 'extKeyUsage', serverAuth: true }, { name: 'subjectAltName', altNames: [{ type: 2 as const, value: 'mail.domaine.tld' }] }],
    })
    const tls = { key: leaf.private, cert: `${leaf.cert.trim()}\n${ca.cert.trim()}\n` }
    const r = await runCheck('cert.trusted', await serve(tls, trustBundle(pebbleNow.root.cert, d)))
    expect(r.status).toBe('fail')
    // The root it sent is not recorded by the check either: only the grader's own fetches from Pebble are.
    expect(listLabRoots(d).map((c) => c.subject)).not.toContain('CN=Pebble Root CA')
  })
})
