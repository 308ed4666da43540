// Which certificate a server presents to a client that can verify only one kind of signature (RSA or ECDSA).
// The client's signature_algorithms extension (Node's `sigalgs`, passed to OpenSSL's SSL_CTX_set1_sigalgs_list)
// binds the server's choice: RFC 5246 §7.4.2 (TLS 1.2, the certificate must be signable with an offered pair) and
// RFC 8446 §4.4.2.2 (TLS 1.3). A server holding only the other kind of key cannot comply, and answers with an alert.
import { X509Certificate } from 'node:crypto'
import type tls from 'node:tls'
import { stripControl } from '../../core/text.ts'
import { ProbeError } from './probe-error.ts'
import { hangUp, nodeTls, sniOf, type Endpoint } from './smtp.ts'
import { keyFacts, type KeyFacts } from './tls.ts'
import { certNamesHost } from './x509.ts'

export type KeyKind = 'rsa' | 'ecdsa'
export type LegVersion = 'TLSv1.2' | 'TLSv1.3'
export const LEG_VERSIONS: readonly LegVersion[] = ['TLSv1.2', 'TLSv1.3']

/**
 * Only the signature schemes of one key kind. RSA keys sign with rsa_pss_rsae_* (TLS 1.3 and 1.2) or rsa_pkcs1_*
 * (TLS 1.2); rsa_pss_pss_* is for RSA-PSS keys, which no public CA issues.
 */
export const SIGALGS: Readonly<Record<KeyKind, string>> = {
  rsa: 'rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_sha512:rsa_pkcs1_sha256:rsa_pkcs1_sha384:rsa_pkcs1_sha512',
  ecdsa: 'ecdsa_secp256r1_sha256:ecdsa_secp384r1_sha384:ecdsa_secp521r1_sha512',
}

/** Node's name for the key (KeyObject.asymmetricKeyType) → the kind of signature it makes. */
export function kindOfKey(type: string | undefined): KeyKind | null {
  if (type === 'rsa' || type === 'rsa-pss') return 'rsa'
  if (type === 'ec') return 'ecdsa'
  return null
}

export function describeKey(k: KeyFacts): string {
  const kind = kindOfKey(k.type)
  const name = kind === 'ecdsa' ? 'ECDSA' : kind === 'rsa' ? 'RSA' : k.type.toUpperCase()
  return k.bits ? `${name} ${k.bits} bits` : `${name}${k.curve ? ` ${k.curve}` : ''}`
}

export type KeyTypeLeg =
  /** The handshake completed: what came back. */
  | {
      readonly kind: 'presented'
      readonly version: LegVersion
      readonly protocol: string | null
      readonly cipher: string
      readonly key: KeyFacts
      readonly subject: string
      readonly issuer: string
      readonly authorized: boolean
      readonly authorizationError: string | null
      /** null when there is no host name to compare (IP literal target). */
      readonly nameMatches: boolean | null
      readonly transcript: readonly string[]
    }
  /** The server ended the handshake with a TLS alert: it has no certificate it can sign with for this offer. */
  | { readonly kind: 'alert'; readonly version: LegVersion; readonly alert: number | null; readonly error: string; readonly transcript: readonly string[] }
  /** The server signed with an algorithm outside the offer (a non-compliant server): our TLS stack stopped. */
  | { readonly kind: 'outside-offer'; readonly version: LegVersion; readonly error: string; readonly transcript: readonly string[] }
  /** The server does not speak this version at all (protocol_version alert): nothing to learn about keys here. */
  | { readonly kind: 'version-unsupported'; readonly version: LegVersion; readonly error: string; readonly transcript: readonly string[] }

const ALERT_NUMBER = /alert number (\d+)/i
const ALERT_CODE = /ERR_SSL_(?:SSLV3|TLSV1)_ALERT_[A-Z_]+/
const PROTOCOL_VERSION_ALERT = 70
const OUTSIDE_OFFER = /WRONG_SIGNATURE_TYPE|wrong signature type|UNSUPPORTED_SIGNATURE|bad signature|NO_SUITABLE_SIGNATURE/i

/** One handshake offering only `kind`'s signature schemes, pinned to one protocol version. */
export async function keyTypeLeg(ep: Endpoint, kind: KeyKind, version: LegVersion): Promise<KeyTypeLeg> {
  let got: { socket: tls.TLSSocket; transcript: readonly string[] }
  try {
    // ciphers: Node's defaults at any strength, so the only restriction is the one under test (the signature kind).
    got = await nodeTls(ep, { sigalgs: SIGALGS[kind], minVersion: version, maxVersion: version })
  } catch (e) {
    if (!(e instanceof ProbeError) || e.reason !== 'protocol') throw e
    const error = stripControl(e.message)
    const transcript = [...e.transcript, `# ${error}`]
    const n = ALERT_NUMBER.exec(e.message)
    const alert = n ? Number(n[1]) : null
    if (alert === PROTOCOL_VERSION_ALERT || /unsupported protocol|PROTOCOL_VERSION/i.test(e.message)) return { kind: 'version-unsupported', version, error, transcript }
    if (alert !== null || ALERT_CODE.test(e.message)) return { kind: 'alert', version, alert, error, transcript }
    if (OUTSIDE_OFFER.test(e.message)) return { kind: 'outside-offer', version, error, transcript }
    throw e
  }
  const { socket, transcript } = got
  try {
    const detailed = socket.getPeerCertificate(true)
    if (!detailed?.raw) throw new ProbeError('protocol', 'the server sent no certificate', transcript)
    const leaf = new X509Certificate(detailed.raw)
    const key = keyFacts(leaf)
    const name = sniOf(ep)
    const authError = socket.authorizationError as unknown as Error | string | null | undefined
    return {
      kind: 'presented',
      version,
      protocol: socket.getProtocol(),
      cipher: socket.getCipher()?.standardName ?? socket.getCipher()?.name ?? '',
      key,
      subject: stripControl(leaf.subject.replace(/\n/g, ', ')),
      issuer: stripControl(leaf.issuer.replace(/\n/g, ', ')),
      authorized: socket.authorized,
      authorizationError: socket.authorized ? null : stripControl(String((authError as Error | undefined)?.message ?? authError ?? 'unknown')),
      nameMatches: name ? certNamesHost(leaf, name) : null,
      transcript: [...transcript, `# ${version}: ${describeKey(key)} certificate, subject=${stripControl(leaf.subject.replace(/\n/g, ', '))}`],
    }
  } finally {
    hangUp(socket)
  }
}

/** Both legs, one after the other: a client of that kind may speak either version, so both must find a certificate. */
export async function keyTypeProbe(ep: Endpoint, kind: KeyKind): Promise<readonly KeyTypeLeg[]> {
  const legs: KeyTypeLeg[] = []
  for (const v of LEG_VERSIONS) legs.push(await keyTypeLeg(ep, kind, v))
  return legs
}
