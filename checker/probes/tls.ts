// TLS probes over an SMTP endpoint: one version or cipher class per raw handshake, and certificate facts via Node.
import { X509Certificate } from 'node:crypto'
import tls from 'node:tls'
import { CIPHER_SUITES, isWeak, suiteByCode, suiteName, suitesFor, type CipherSuite, type ProtocolVersion } from './cipher-suites.ts'
import { ProbeError, fromSocketError } from './probe-error.ts'
import { hangUp, nodeTls, retryBusy, sniOf, socketForTls, timeoutsOf, type Endpoint } from './smtp.ts'
import { printable } from './smtp-reply.ts'
import { buildClientHello, parseServerFlight, VERSION_CODES, VERSION_LABELS, versionName, type ServerFlight } from './tls-hello.ts'

export type HelloOutcome =
  | {
      readonly accepted: true
      readonly version: ProtocolVersion
      readonly cipher: number
      readonly helloRetry: boolean
      /** DER certificates exactly as the server sent them (TLS ≤ 1.2 only: 1.3 encrypts them). */
      readonly certificates?: readonly Buffer[]
      readonly transcript: readonly string[]
    }
  | {
      readonly accepted: false
      /** What the server did instead: an alert name, "closed", "reset", a different version… */
      readonly why: string
      readonly alert?: string
      /** The suite of a ServerHello that picked outside the offer: callers classify it without reading `why`. */
      readonly chosen?: number
      readonly transcript: readonly string[]
    }

export interface HelloRequest {
  readonly version: ProtocolVersion
  readonly ciphers: readonly number[]
  readonly wantCertificates?: boolean
}

/** Sends one ClientHello (after the STARTTLS preamble if any) and reports whether the server accepted it. */
export function offerHello(ep: Endpoint, req: HelloRequest): Promise<HelloOutcome> {
  // The inner session must not retry by itself: this loop already does, for both transports.
  return retryBusy(ep, () => offerHelloOnce({ ...ep, busyRetries: 0 }, req))
}

async function offerHelloOnce(ep: Endpoint, req: HelloRequest): Promise<HelloOutcome> {
  const { socket, transcript: pre } = await socketForTls(ep)
  const transcript = [...pre]
  const servername = sniOf(ep)
  const hello = buildClientHello({ version: req.version, ciphers: req.ciphers, ...(servername ? { servername } : {}) })
  transcript.push(`# ClientHello ${VERSION_LABELS[req.version]}, ${req.ciphers.length} suites${servername ? `, SNI ${servername}` : ''}`)
  const t = timeoutsOf(ep)
  const want = req.wantCertificates === true
  try {
    const flight = await new Promise<ServerFlight | { kind: 'closed'; how: string }>((resolve, reject) => {
      let data = Buffer.alloc(0)
      let got = false
      const timer = setTimeout(() => {
        if (got) {
          const f = parseServerFlight(data, want)
          if (f.kind === 'hello') return done(() => resolve(f))
        }
        done(() => reject(new ProbeError('timeout', `TLS handshake: no answer to the ClientHello within ${t.tlsMs} ms`)))
      }, t.tlsMs)
      const onAbort = (): void => done(() => reject(new ProbeError('timeout', 'the check’s time bound was reached')))
      const done = (f: () => void): void => {
        clearTimeout(timer)
        ep.signal?.removeEventListener('abort', onAbort)
        socket.removeAllListeners('data')
        f()
      }
      ep.signal?.addEventListener('abort', onAbort, { once: true })
      socket.on('data', (chunk: Buffer) => {
        got = true
        data = Buffer.concat([data, chunk])
        const f = parseServerFlight(data, want)
        if (f.kind === 'more' || (f.kind === 'hello' && !f.complete)) return
        done(() => resolve(f))
      })
      socket.once('error', (e: NodeJS.ErrnoException) => {
        const f = parseServerFlight(data, want)
        if (f.kind === 'hello') return done(() => resolve(f))
        const pe = fromSocketError(e, 'TLS')
        done(() => (pe.reason === 'protocol' ? resolve({ kind: 'closed', how: 'connection reset by the server' }) : reject(pe)))
      })
      socket.once('close', () => {
        const f = parseServerFlight(data, want)
        done(() => resolve(f.kind === 'hello' || f.kind === 'alert' ? f : { kind: 'closed', how: data.length ? 'connection closed after an incomplete answer' : 'connection closed without an answer' }))
      })
      socket.write(hello)
    })
    if (flight.kind === 'hello') {
      const v = versionName(flight.hello.version)
      const suite = suiteName(flight.hello.cipher)
      if (v !== req.version) {
        transcript.push(`# ServerHello ${v}: not the version offered`)
        return { accepted: false, why: `the server answered with version ${v}`, transcript }
      }
      if (!req.ciphers.includes(flight.hello.cipher)) {
        transcript.push(`# ServerHello ${suite}: a suite that was not offered`)
        return { accepted: false, why: `the server chose ${suite}, which was not offered`, chosen: flight.hello.cipher, transcript }
      }
      transcript.push(`# ServerHello ${VERSION_LABELS[v]} ${suite}${flight.hello.helloRetry ? ' (HelloRetryRequest)' : ''}`)
      return {
        accepted: true,
        version: v,
        cipher: flight.hello.cipher,
        helloRetry: flight.hello.helloRetry,
        ...(flight.certificates ? { certificates: flight.certificates } : {}),
        transcript,
      }
    }
    if (flight.kind === 'alert') {
      transcript.push(`# Alert ${flight.name}`)
      return { accepted: false, why: `TLS alert ${flight.name}`, alert: flight.name, transcript }
    }
    if (flight.kind === 'garbage') {
      // An implicit-TLS port refusing a busy client in clear text ("421 too many connections").
      const text = (flight.raw?.toString('latin1') ?? '').split('\n')[0]!.replace(/\r$/, '')
      if (text) transcript.push(`S: ${printable(text, 200)}`)
      if (/^4\d\d[ -]/.test(text)) {
        // On an implicit-TLS port this is the server's greeting refusing a busy client: retried by retryBusy.
        const where = ep.mode === 'tls' ? 'greeting (in clear on an implicit-TLS port)' : 'after STARTTLS, in clear'
        throw new ProbeError('temporary', `${where}: ${printable(text, 120)}`, transcript)
      }
      transcript.push(`# ${flight.detail}`)
      return { accepted: false, why: flight.detail, transcript }
    }
    if (flight.kind === 'closed') {
      transcript.push(`# ${flight.how}`)
      return { accepted: false, why: flight.how, transcript }
    }
    return { accepted: false, why: 'incomplete answer', transcript }
  } catch (e) {
    throw e instanceof ProbeError ? e.withTranscript(transcript) : e
  } finally {
    // Never finished on purpose: a server (Exim) may keep this connection counted a while, so wait for its close.
    hangUp(socket)
  }
}

function key(ep: Endpoint): string {
  return `${ep.host}:${ep.port}:${ep.mode}:${ep.servername === undefined ? '*' : ep.servername}`
}

/** Is this version accepted, whatever the cipher? Offers every suite usable at that version. */
export function probeVersion(ep: Endpoint, version: ProtocolVersion, wantCertificates = false): Promise<HelloOutcome> {
  return offerHello(ep, { version, ciphers: suitesFor(version).map((s) => s.code), wantCertificates })
}

export interface ClassResult {
  readonly version: ProtocolVersion
  readonly accepted: readonly CipherSuite[]
  readonly handshakes: number
  readonly transcript: readonly string[]
}

/**
 * Which suites of a class the server accepts, in few handshakes: offer them all, remove the one it picks,
 * repeat until it refuses. Costs (accepted + 1) handshakes instead of one per suite.
 */
export async function acceptedFromClass(ep: Endpoint, version: ProtocolVersion, suites: readonly CipherSuite[]): Promise<ClassResult> {
  let remaining = suites.map((s) => s.code)
  const accepted: CipherSuite[] = []
  const transcript: string[] = []
  let handshakes = 0
  while (remaining.length) {
    handshakes++
    const r = await offerHello(ep, { version, ciphers: remaining })
    if (!r.accepted) {
      transcript.push(`${VERSION_LABELS[version]}: ${remaining.length} suites offered, refused (${r.why})`)
      break
    }
    const s = suiteByCode(r.cipher)
    if (s) accepted.push(s)
    transcript.push(`${VERSION_LABELS[version]}: accepted ${suiteName(r.cipher)}`)
    remaining = remaining.filter((c) => c !== r.cipher)
  }
  return { version, accepted, handshakes, transcript }
}

/**
 * The same answer as acceptedFromClass, sooner: the class is split into `parts` slices probed side by side, so the
 * longest chain of handshakes is about accepted/parts + 1 (the connection gate still caps what runs at once).
 */
export async function acceptedFromClassParallel(ep: Endpoint, version: ProtocolVersion, suites: readonly CipherSuite[], parts = 4): Promise<ClassResult> {
  const n = Math.max(1, Math.min(parts, suites.length))
  const slices = Array.from({ length: n }, (_, i) => suites.filter((_, j) => j % n === i))
  const results = await Promise.all(slices.filter((s) => s.length).map((s) => acceptedFromClass(ep, version, s)))
  return {
    version,
    accepted: results.flatMap((r) => r.accepted).sort((a, b) => a.code - b.code),
    handshakes: results.reduce((a, r) => a + r.handshakes, 0),
    transcript: results.flatMap((r) => r.transcript),
  }
}

/** Every accepted suite, one handshake per suite (for the detailed report); `parallel` is capped by the gate too. */
export async function enumerateCiphers(ep: Endpoint, version: ProtocolVersion, parallel = 4): Promise<CipherSuite[]> {
  const suites = suitesFor(version)
  const accepted: CipherSuite[] = []
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < suites.length) {
      const s = suites[next++]!
      const r = await offerHello(ep, { version, ciphers: [s.code] })
      if (r.accepted) accepted.push(s)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, worker))
  return accepted.sort((a, b) => a.code - b.code)
}

export const WEAK_SUITES: readonly CipherSuite[] = CIPHER_SUITES.filter(isWeak)
export const NON_FS_SUITES: readonly CipherSuite[] = CIPHER_SUITES.filter((s) => !s.forwardSecret && s.since !== 'tls1.3')

/** A ClientHello like a current mail client's, ECDHE first: what does the server pick when both kinds are offered? */
export const MODERN_CLIENT_SUITES: readonly number[] = [
  0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc02b, 0xc02f, 0x009f, 0x009e, 0xccaa, 0xc024, 0xc028, 0xc023, 0xc027, 0xc00a, 0xc014, 0xc009, 0xc013, 0x0039,
  0x0033, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f,
]

export { VERSION_CODES, VERSION_LABELS }

// ---- Certificates ---------------------------------------------------------------------------------------------

export interface PeerCertificates {
  /** Leaf first, in the order the server sent them. */
  readonly presented: readonly X509Certificate[]
  /** "wire" when read from a TLS 1.2 Certificate message; "node" when only Node's view was available (TLS 1.3-only servers). */
  readonly source: 'wire' | 'node'
  readonly transcript: readonly string[]
}

export interface CertificateFacts {
  readonly leaf: X509Certificate
  /** Chain as Node reports it (may include issuers from the trust store). */
  readonly nodeChain: readonly X509Certificate[]
  readonly authorized: boolean
  readonly authorizationError: string | null
  /** Error text from tls.checkServerIdentity for `servername`, null when it matches. */
  readonly nameError: string | null
  readonly servername: string | null
  readonly protocol: string | null
  readonly cipher: string
  readonly transcript: readonly string[]
}

/** A full handshake with Node's TLS, trusting only `ep.ca` when given (else Node's bundled roots). */
export async function certificateFacts(ep: Endpoint, servername?: string): Promise<CertificateFacts> {
  const sniEp: Endpoint = servername ? { ...ep, servername } : ep
  const { socket, transcript } = await nodeTls(sniEp)
  try {
    // getPeerX509Certificate() would empty what getPeerCertificate() returns afterwards (Node 20), so read the
    // detailed form once and build X509Certificate objects from its DER.
    const detailed = socket.getPeerCertificate(true)
    if (!detailed?.raw) throw new ProbeError('protocol', 'the server sent no certificate', transcript)
    const leaf = new X509Certificate(detailed.raw)
    const nodeChain: X509Certificate[] = []
    let c: tls.DetailedPeerCertificate | undefined = detailed
    const seen = new Set<string>()
    while (c && c.raw && !seen.has(c.fingerprint256)) {
      seen.add(c.fingerprint256)
      nodeChain.push(new X509Certificate(c.raw))
      c = c.issuerCertificate
    }
    const name = sniOf(sniEp) ?? null
    let nameError: string | null = null
    if (name) {
      const err = tls.checkServerIdentity(name, detailed)
      nameError = err ? err.message : null
    }
    const authError = socket.authorizationError as unknown as Error | string | null | undefined
    return {
      leaf,
      nodeChain,
      authorized: socket.authorized,
      authorizationError: socket.authorized ? null : String((authError as Error | undefined)?.message ?? authError ?? 'unknown'),
      nameError,
      servername: name,
      protocol: socket.getProtocol(),
      cipher: socket.getCipher()?.standardName ?? '',
      transcript,
    }
  } finally {
    hangUp(socket)
  }
}

// Parsed once per bundle (tls-contexts.ts); re-exported where the certificate checks import it.
export { trustAnchors } from './tls-contexts.ts'

// One chain analyser for files and for chains sent (x509.ts); re-exported where the certificate checks import it.
export { analyseChain, type ChainAnalysis } from './x509.ts'

export function describeCert(c: X509Certificate): string {
  return `subject=${c.subject.replace(/\n/g, ', ')} issuer=${c.issuer.replace(/\n/g, ', ')} notAfter=${c.validTo}`
}

export interface KeyFacts {
  readonly type: string
  readonly bits: number | null
  readonly curve: string | null
}

export function keyFacts(c: X509Certificate): KeyFacts {
  const k = c.publicKey
  const d = k.asymmetricKeyDetails ?? {}
  return { type: k.asymmetricKeyType ?? 'unknown', bits: d.modulusLength ?? null, curve: d.namedCurve ?? null }
}

export function daysLeft(c: X509Certificate, now = Date.now()): number {
  return Math.floor((Date.parse(c.validTo) - now) / 86_400_000)
}

export { key as endpointKey }
