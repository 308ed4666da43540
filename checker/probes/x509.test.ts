// Unit tests of the certificate helpers, cross-checked with the openssl command line.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { X509Certificate } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { analyseChain, certNamesHost, keyMatchesCert, loadPrivateKey, parseCertificates, pemBlocks, sha256Hex, spkiDer, tlsaAssociation } from './x509.ts'
import { makeTestPki, type TestPki } from './test-pki.ts'

let pki: TestPki
let leaf: Awaited<ReturnType<TestPki['leaf']>>

beforeAll(async () => {
  pki = await makeTestPki()
  leaf = await pki.leaf(['mail.domaine.tld'])
})

describe('certificate helpers', () => {
  it('splits a PEM file into its blocks in file order', () => {
    const blocks = pemBlocks(`${leaf.key}\n${leaf.fullchain}`)
    expect(blocks.map((b) => b.label)).toEqual(['PRIVATE KEY', 'CERTIFICATE', 'CERTIFICATE'])
    expect(parseCertificates(leaf.fullchain)).toHaveLength(2)
  })

  it('computes the TLSA 3 1 1 value exactly as the openssl pipeline of the course does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'x509-'))
    writeFileSync(join(dir, 'cert.pem'), leaf.cert)
    const pub = execFileSync('openssl', ['x509', '-in', join(dir, 'cert.pem'), '-noout', '-pubkey'])
    const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: pub })
    const viaOpenssl = execFileSync('sha256sum', { input: der }).toString().split(' ')[0]
    const cert = new X509Certificate(leaf.cert)
    expect(tlsaAssociation(cert, 1, 1)!.toString('hex')).toBe(viaOpenssl)
    expect(sha256Hex(spkiDer(cert))).toBe(viaOpenssl)
    expect(tlsaAssociation(cert, 0, 0)!.equals(cert.raw)).toBe(true)
    expect(tlsaAssociation(cert, 1, 2)!).toHaveLength(64)
    expect(tlsaAssociation(cert, 7, 1)).toBeNull()
  })

  it('sees a leaf followed by its intermediate as an ordered chain', () => {
    const a = analyseChain(parseCertificates(leaf.fullchain))
    expect(a).toMatchObject({ count: 2, leafIsCa: false, ordered: true, endsWithRoot: false })
  })

  it('sees an intermediate placed before the leaf as out of order', () => {
    const a = analyseChain(parseCertificates(`${pki.intermediate.cert}\n${leaf.cert}`))
    expect(a.ordered).toBe(false)
    expect(a.leafIsCa).toBe(true)
  })

  it('sees a leaf followed by the root but not its intermediate as broken, the issuer missing', () => {
    const a = analyseChain(parseCertificates(`${leaf.cert}\n${pki.root.cert}`))
    expect(a.ordered).toBe(false)
    expect(a.links[0]!.issuedByNext).toBe(false)
  })

  it('matches a private key with its own certificate and not with another one', async () => {
    const other = await pki.leaf(['mail.domaine.tld'])
    const cert = new X509Certificate(leaf.cert)
    expect(keyMatchesCert(loadPrivateKey(leaf.key), cert).matches).toBe(true)
    const m = keyMatchesCert(loadPrivateKey(other.key), cert)
    expect(m.matches).toBe(false)
    expect(m.keySpkiSha256).not.toBe(m.certSpkiSha256)
  })
})

describe('the one chain analyser and the one name matcher', () => {
  it('walks the issuer path through certificates in any order, and counts the ones off the path', async () => {
    const stranger = await makeTestPki('Stranger')
    const certs = parseCertificates(`${leaf.cert}\n${stranger.intermediate.cert}\n${pki.intermediate.cert}\n${pki.root.cert}`)
    const a = analyseChain(certs)
    expect(a).toMatchObject({ path: [0, 2, 3], complete: true, extra: 1, ordered: false, endsWithRoot: true })
    const noRoot = analyseChain(parseCertificates(leaf.fullchain))
    expect(noRoot).toMatchObject({ path: [0, 1], complete: false, missingIssuerOf: 'CN=Lab Test Intermediate' })
    expect(analyseChain(parseCertificates(leaf.fullchain), [new X509Certificate(pki.root.cert)]).complete).toBe(true)
  })

  it('reads the CN only when there is no DNS SAN, and a wildcard for one whole label only', async () => {
    const { generate } = await import('selfsigned')
    const make = async (cn: string, sans: string[]) =>
      new X509Certificate(
        (
          await generate([{ name: 'commonName', value: cn }], {
            keyType: 'ec',
            extensions: sans.length ? [{ name: 'subjectAltName', altNames: sans.map((value) => ({ type: 2 as const, value })) }] : [],
          })
        ).cert,
      )
    expect(certNamesHost(await make('mail.domaine.tld', ['www.domaine.tld']), 'mail.domaine.tld')).toBe(false)
    expect(certNamesHost(await make('mail.domaine.tld', []), 'mail.domaine.tld')).toBe(true)
    const wild = await make('x', ['*.domaine.tld'])
    expect(certNamesHost(wild, 'MAIL.domaine.tld.')).toBe(true)
    expect(certNamesHost(wild, 'a.mail.domaine.tld')).toBe(false)
    expect(certNamesHost(await make('x', ['m*.domaine.tld']), 'mail.domaine.tld')).toBe(false)
  })
})
