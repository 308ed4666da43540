// Certificate helpers for file, DANE and renewal checks: PEM splitting, SPKI digests, chain links, key/cert match.
import { X509Certificate, createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'
import { isIP } from 'node:net'

export interface PemBlock {
  readonly label: string
  readonly pem: string
  readonly der: Buffer
}

const PEM_RE = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g

/** Every PEM block of a file, in order (certificates, keys, parameters…). */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = []
  for (const m of text.matchAll(PEM_RE)) {
    const body = m[2]!.replace(/^[A-Za-z-]+:.*$/gm, '') // RFC 1421 headers of old encrypted keys
    out.push({ label: m[1]!, pem: m[0], der: Buffer.from(body.replace(/\s+/g, ''), 'base64') })
  }
  return out
}

/** The certificates of a PEM file in file order; throws on a CERTIFICATE block that does not parse. */
export function parseCertificates(text: string): X509Certificate[] {
  return pemBlocks(text)
    .filter((b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE')
    .map((b) => new X509Certificate(b.pem))
}

export function spkiDer(key: X509Certificate | KeyObject): Buffer {
  const pub = key instanceof X509Certificate ? key.publicKey : key.type === 'private' ? createPublicKey(key) : key
  return pub.export({ type: 'spki', format: 'der' })
}

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

/** What a TLSA record with this selector and matching type holds for a certificate (RFC 6698 §2.1). */
export function tlsaAssociation(cert: X509Certificate, selector: number, matchingType: number): Buffer | null {
  const data = selector === 0 ? cert.raw : selector === 1 ? spkiDer(cert) : null
  if (!data) return null
  if (matchingType === 0) return data
  if (matchingType === 1) return createHash('sha256').update(data).digest()
  if (matchingType === 2) return createHash('sha512').update(data).digest()
  return null
}

/**
 * The project's one host-name matcher (RFC 6125 via OpenSSL's X509_check_host): DNS SANs when there are any, the CN
 * only when there is none (§6.4.4), a wildcard for one whole left-most label only. IP literals match IP SANs.
 */
export function certNamesHost(cert: X509Certificate, name: string): boolean {
  const n = name.replace(/\.$/, '').toLowerCase()
  if (isIP(n)) return cert.checkIP(n) !== undefined
  return cert.checkHost(n, { subject: 'default', wildcards: true, partialWildcards: false, multiLabelWildcards: false, singleLabelSubdomains: false }) !== undefined
}

export function commonName(dn: string): string {
  const m = /(?:^|\n|,\s*)CN=([^\n,]+)/.exec(dn)
  return m ? m[1]!.trim() : dn.replace(/\n/g, ', ')
}

export function isCa(cert: X509Certificate): boolean {
  return cert.ca
}

export function isSelfIssued(cert: X509Certificate): boolean {
  return cert.subject === cert.issuer && cert.checkIssued(cert)
}

/** Whether `issuer` issued `child`: names match and the signature verifies with the issuer's key. */
export function issuedBy(child: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return child.checkIssued(issuer) && child.verify(issuer.publicKey)
  } catch {
    return false
  }
}

/** One evidence line per certificate. */
export function describeCert(cert: X509Certificate, index?: number): string {
  const prefix = index === undefined ? '' : `#${index} `
  return `${prefix}subject CN=${commonName(cert.subject)} | issuer CN=${commonName(cert.issuer)} | serial ${cert.serialNumber} | until ${cert.validTo}${cert.ca ? ' | CA' : ''}`
}

export interface ChainLink {
  readonly index: number
  /** cert[index] was issued by cert[index + 1]. */
  readonly issuedByNext: boolean
}

/**
 * The project's one chain analyser, for a certificate file and for a chain a server sent alike. Two views of the
 * same list: links between neighbours (how the file or message is ordered), and the issuer path from the leaf
 * through the certificates present in any order (what a client can build from them).
 */
export interface ChainAnalysis {
  readonly count: number
  readonly leafIsCa: boolean
  readonly links: readonly ChainLink[]
  /** Every certificate is issued by the next one. */
  readonly ordered: boolean
  /** The last certificate is a self-signed root (allowed, but useless to send). */
  readonly endsWithRoot: boolean
  /** Issuers present somewhere in the list but not right after their child. */
  readonly misplaced: readonly number[]
  /** Indexes from the leaf (0) through each issuer found in the list, whatever its position. */
  readonly path: readonly number[]
  /** The path ends at a self-signed certificate or at one a given trust anchor issued. */
  readonly complete: boolean
  /** Subject of the last certificate of the path when its issuer is missing. */
  readonly missingIssuerOf: string | null
  /** Certificates that are not on the path. */
  readonly extra: number
  readonly lines: readonly string[]
}

function oneLine(dn: string): string {
  return dn.replace(/\n/g, ', ')
}

export function analyseChain(certs: readonly X509Certificate[], anchors: readonly X509Certificate[] = []): ChainAnalysis {
  const links: ChainLink[] = []
  const misplaced: number[] = []
  for (let i = 0; i + 1 < certs.length; i++) {
    const ok = issuedBy(certs[i]!, certs[i + 1]!)
    links.push({ index: i, issuedByNext: ok })
    if (!ok && certs.some((c, j) => j !== i && j !== i + 1 && issuedBy(certs[i]!, c) && !isSelfIssued(certs[i]!))) misplaced.push(i)
  }
  const lines = certs.map((c, i) => `${i}: subject=${oneLine(c.subject)} issuer=${oneLine(c.issuer)} notAfter=${c.validTo}`)
  const path: number[] = []
  let complete = false
  let missingIssuerOf: string | null = null
  if (certs.length) {
    path.push(0)
    for (;;) {
      const cur = certs[path.at(-1)!]!
      if (issuedBy(cur, cur)) break
      const next = certs.findIndex((c, j) => !path.includes(j) && issuedBy(cur, c))
      if (next < 0) break
      path.push(next)
    }
    const top = certs[path.at(-1)!]!
    complete = issuedBy(top, top) || anchors.some((a) => issuedBy(top, a))
    missingIssuerOf = complete ? null : oneLine(top.subject)
  }
  const last = certs[certs.length - 1]
  return {
    count: certs.length,
    leafIsCa: certs[0]?.ca ?? false,
    links,
    ordered: links.every((l) => l.issuedByNext),
    endsWithRoot: certs.length > 1 && last !== undefined && isSelfIssued(last),
    misplaced,
    path,
    complete,
    missingIssuerOf,
    extra: certs.length - path.length,
    lines: certs.length ? lines : ['no certificate sent'],
  }
}

export interface KeyMatch {
  readonly matches: boolean
  readonly keySpkiSha256: string
  readonly certSpkiSha256: string
  readonly keyType: string
}

/** Loads a private key PEM; throws with OpenSSL's message on an unreadable or encrypted key. */
export function loadPrivateKey(text: string | Buffer): KeyObject {
  return createPrivateKey({ key: text, format: 'pem' })
}

export function keyMatchesCert(key: KeyObject, cert: X509Certificate): KeyMatch {
  const keySpki = spkiDer(key)
  const certSpki = spkiDer(cert)
  return {
    matches: keySpki.equals(certSpki) && cert.checkPrivateKey(key),
    keySpkiSha256: sha256Hex(keySpki),
    certSpkiSha256: sha256Hex(certSpki),
    keyType: key.asymmetricKeyType ?? 'unknown',
  }
}
