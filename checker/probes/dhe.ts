// DHE group size: one handshake with Node's TLS offering only finite-field DHE suites (TLS ≤ 1.2), read back the
// server's group size from the key exchange (getEphemeralKeyInfo). Logjam: a group under 2048 bits is weak.
import { ProbeError } from './probe-error.ts'
import { nodeTls, type Endpoint } from './smtp.ts'

export const MIN_DH_BITS = 2048

export type DheOutcome =
  | { readonly kind: 'dhe'; readonly bits: number; readonly cipher: string; readonly protocol: string | null; readonly transcript: readonly string[] }
  /** The server chose none of the DHE suites (it may still accept them with another client's offer: never seen here). */
  | { readonly kind: 'none'; readonly why: string; readonly transcript: readonly string[] }
  /** OpenSSL itself refused the group as too small (under 512 bits): weaker than any size we could read. */
  | { readonly kind: 'too-small'; readonly why: string; readonly transcript: readonly string[] }

// Every finite-field ephemeral suite OpenSSL still has, at any strength: the point is to see the group, not judge the suite.
const DHE_ONLY = 'kDHE:kEDH:@SECLEVEL=0'

export async function dheGroup(ep: Endpoint): Promise<DheOutcome> {
  let got
  try {
    got = await nodeTls(ep, { ciphers: DHE_ONLY, minVersion: 'TLSv1', maxVersion: 'TLSv1.2' })
  } catch (e) {
    if (!(e instanceof ProbeError) || e.reason !== 'protocol') throw e
    if (/dh key too small|DH_KEY_TOO_SMALL|bad dh value/i.test(e.message)) return { kind: 'too-small', why: e.message, transcript: [...e.transcript, `# ${e.message}`] }
    // A handshake_failure (or a closed connection) answering a DHE-only offer: the server takes no DHE suite.
    return { kind: 'none', why: e.message, transcript: [...e.transcript, `# ${e.message}`] }
  }
  const { socket, transcript } = got
  try {
    const info = socket.getEphemeralKeyInfo()
    const cipher = socket.getCipher()?.standardName ?? socket.getCipher()?.name ?? ''
    const bits = info && 'type' in info && info.type === 'DH' && typeof info.size === 'number' ? info.size : null
    if (bits === null) return { kind: 'none', why: `the server negotiated ${cipher} without a DH key exchange`, transcript }
    return { kind: 'dhe', bits, cipher, protocol: socket.getProtocol(), transcript: [...transcript, `# DHE group: ${bits} bits (${cipher})`] }
  } finally {
    socket.destroy()
  }
}
