// The certificate chain exactly as a server sends it, read from a TLS 1.2 handshake that offers only authenticated
// suites: offered everything, a server that prefers anonymous suites (Debian's Postfix with an EC key) picks one and
// sends no certificate at all, and Node's view, the only fallback, hides what does not chain and adds trusted roots.
import { X509Certificate } from 'node:crypto'
import { suitesFor } from './cipher-suites.ts'
import type { Endpoint } from './smtp.ts'
import { certificateFacts, offerHello, type PeerCertificates } from './tls.ts'

export const AUTHENTICATED_TLS12: readonly number[] = suitesFor('tls1.2')
  .filter((s) => s.au !== 'None' && s.au !== 'PSK' && s.au !== 'SRP')
  .map((s) => s.code)

export async function presentedChain(ep: Endpoint): Promise<PeerCertificates> {
  const r = await offerHello(ep, { version: 'tls1.2', ciphers: AUTHENTICATED_TLS12, wantCertificates: true })
  if (r.accepted && r.certificates?.length) return { presented: r.certificates.map((d) => new X509Certificate(d)), source: 'wire', transcript: r.transcript }
  // TLS 1.3 only: the Certificate message is encrypted, so Node's view is the best available.
  const facts = await certificateFacts(ep)
  return { presented: facts.nodeChain, source: 'node', transcript: facts.transcript }
}
