// Raw TLS records: builds ClientHellos for any version (SSLv3 … TLS 1.3) and parses what the server sends back.
// Node's OpenSSL 3 cannot offer SSLv3 nor most legacy suites, so version and cipher probes speak the handshake themselves.
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import type { ProtocolVersion } from './cipher-suites.ts'

export const VERSION_CODES: Record<ProtocolVersion, number> = {
  ssl3: 0x0300,
  'tls1.0': 0x0301,
  'tls1.1': 0x0302,
  'tls1.2': 0x0303,
  'tls1.3': 0x0304,
}

export function versionName(code: number): ProtocolVersion | `0x${string}` {
  const found = (Object.entries(VERSION_CODES) as [ProtocolVersion, number][]).find(([, c]) => c === code)
  return found ? found[0] : `0x${code.toString(16).padStart(4, '0')}`
}

/** Human label as OpenSSL and testssl.sh print it. */
export const VERSION_LABELS: Record<ProtocolVersion, string> = {
  ssl3: 'SSLv3',
  'tls1.0': 'TLSv1',
  'tls1.1': 'TLSv1.1',
  'tls1.2': 'TLSv1.2',
  'tls1.3': 'TLSv1.3',
}

const SUPPORTED_GROUPS = [0x001d, 0x0017, 0x0018, 0x0019, 0x001e, 0x0100, 0x0101] // x25519 P-256 P-384 P-521 x448 ffdhe2048 ffdhe3072
const SIGNATURE_ALGORITHMS = [
  0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080a, 0x080b, 0x0401, 0x0501, 0x0601, 0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602, 0x0203, 0x0201, 0x0202,
]
const EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff

// One x25519 key for the whole process: probes never finish a handshake, so the key only has to be well formed.
let x25519Public: Buffer | undefined
function keyShare(): Buffer {
  if (!x25519Public) {
    const der = generateKeyPairSync('x25519').publicKey.export({ format: 'der', type: 'spki' })
    x25519Public = Buffer.from(der.subarray(der.length - 32))
  }
  return x25519Public
}

function u8(n: number): Buffer {
  return Buffer.from([n & 0xff])
}
function u16(n: number): Buffer {
  return Buffer.from([(n >> 8) & 0xff, n & 0xff])
}
function u24(n: number): Buffer {
  return Buffer.from([(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff])
}
function vec16(b: Buffer): Buffer {
  return Buffer.concat([u16(b.length), b])
}
function vec8(b: Buffer): Buffer {
  return Buffer.concat([u8(b.length), b])
}
function list16(values: readonly number[]): Buffer {
  return Buffer.concat(values.map(u16))
}
function ext(type: number, body: Buffer): Buffer {
  return Buffer.concat([u16(type), vec16(body)])
}

export interface HelloOptions {
  readonly version: ProtocolVersion
  readonly ciphers: readonly number[]
  /** Host name for SNI; omitted for IP literals and for SSLv3 (which has no extensions). */
  readonly servername?: string
}

/** One TLS record holding a ClientHello that offers exactly `version` and `ciphers`. */
export function buildClientHello(o: HelloOptions): Buffer {
  const tls13 = o.version === 'tls1.3'
  const legacyVersion = tls13 ? 0x0303 : VERSION_CODES[o.version]
  const suites = o.version === 'ssl3' ? [...o.ciphers] : [...o.ciphers, EMPTY_RENEGOTIATION_INFO_SCSV]
  const exts: Buffer[] = []
  if (o.version !== 'ssl3') {
    if (o.servername) {
      const name = Buffer.from(o.servername, 'ascii')
      exts.push(ext(0x0000, vec16(Buffer.concat([u8(0), vec16(name)]))))
    }
    exts.push(ext(0x000a, vec16(list16(SUPPORTED_GROUPS))))
    exts.push(ext(0x000b, vec8(Buffer.from([0]))))
    if (o.version === 'tls1.2' || tls13) exts.push(ext(0x000d, vec16(list16(SIGNATURE_ALGORITHMS))))
    exts.push(ext(0x0017, Buffer.alloc(0))) // extended master secret
    if (tls13) {
      exts.push(ext(0x002b, vec8(list16([0x0304]))))
      exts.push(ext(0x002d, vec8(Buffer.from([1])))) // psk_dhe_ke
      exts.push(ext(0x0033, vec16(Buffer.concat([u16(0x001d), vec16(keyShare())]))))
    }
  }
  const body = Buffer.concat([
    u16(legacyVersion),
    randomBytes(32),
    vec8(tls13 ? randomBytes(32) : Buffer.alloc(0)),
    vec16(list16(suites)),
    vec8(Buffer.from([0])), // null compression only
    ...(exts.length ? [vec16(Buffer.concat(exts))] : []),
  ])
  const handshake = Buffer.concat([u8(1), u24(body.length), body])
  // Record version 0x0301 for TLS hellos: some servers drop records announcing a newer version.
  const recordVersion = o.version === 'ssl3' ? 0x0300 : 0x0301
  return Buffer.concat([u8(22), u16(recordVersion), u16(handshake.length), handshake])
}

const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex')

export interface ServerHello {
  /** Negotiated version code (supported_versions wins over the legacy field). */
  readonly version: number
  readonly cipher: number
  readonly helloRetry: boolean
}

export const ALERTS: Record<number, string> = {
  0: 'close_notify',
  10: 'unexpected_message',
  20: 'bad_record_mac',
  22: 'record_overflow',
  40: 'handshake_failure',
  42: 'bad_certificate',
  47: 'illegal_parameter',
  50: 'decode_error',
  51: 'decrypt_error',
  70: 'protocol_version',
  71: 'insufficient_security',
  80: 'internal_error',
  86: 'inappropriate_fallback',
  90: 'user_canceled',
  109: 'missing_extension',
  110: 'unsupported_extension',
  112: 'unrecognized_name',
  120: 'no_application_protocol',
}

export type ServerFlight =
  | { readonly kind: 'more' }
  | { readonly kind: 'hello'; readonly hello: ServerHello; readonly certificates?: readonly Buffer[]; readonly complete: boolean }
  | { readonly kind: 'alert'; readonly level: number; readonly description: number; readonly name: string }
  | { readonly kind: 'garbage'; readonly detail: string; /** First bytes received, for callers that recognise them. */ readonly raw?: Buffer }

export interface FlightLimits {
  readonly maxBytes: number
}

/**
 * Reads the server's first flight from the bytes received so far. `complete` tells whether the answer is final:
 * after a ServerHello when certificates are not wanted, after the Certificate message when they are.
 */
export function parseServerFlight(data: Buffer, wantCertificates: boolean, limits: FlightLimits = { maxBytes: 256 * 1024 }): ServerFlight {
  if (data.length > limits.maxBytes) return { kind: 'garbage', detail: `more than ${limits.maxBytes} bytes without a usable answer` }
  const handshake: Buffer[] = []
  let off = 0
  while (off + 5 <= data.length) {
    const type = data[off]!
    const major = data[off + 1]!
    const len = data.readUInt16BE(off + 3)
    if (type < 20 || type > 23 || major !== 3 || len > 18432) {
      return { kind: 'garbage', detail: `not a TLS record (first bytes ${data.subarray(off, off + 8).toString('hex')})`, raw: data.subarray(off, off + 200) }
    }
    if (off + 5 + len > data.length) break
    const payload = data.subarray(off + 5, off + 5 + len)
    off += 5 + len
    if (type === 21) {
      if (payload.length < 2) return { kind: 'garbage', detail: 'truncated alert' }
      const description = payload[1]!
      // An alert after a ServerHello still means the version/cipher was accepted; report the hello.
      const hs = readHandshake(Buffer.concat(handshake), wantCertificates)
      if (hs.kind === 'hello') return { ...hs, complete: true }
      return { kind: 'alert', level: payload[0]!, description, name: ALERTS[description] ?? `alert ${description}` }
    }
    if (type === 22) handshake.push(payload)
    else if (type === 23 || type === 20) {
      // TLS 1.3 encrypts everything after the ServerHello (a ChangeCipherSpec may precede it).
      const hs = readHandshake(Buffer.concat(handshake), false)
      if (hs.kind === 'hello') return { ...hs, complete: true }
      if (type === 23) return { kind: 'garbage', detail: 'application data before any ServerHello' }
    }
  }
  return readHandshake(Buffer.concat(handshake), wantCertificates)
}

function readHandshake(buf: Buffer, wantCertificates: boolean): ServerFlight {
  let off = 0
  let hello: ServerHello | undefined
  while (off + 4 <= buf.length) {
    const type = buf[off]!
    const len = buf.readUIntBE(off + 1, 3)
    if (off + 4 + len > buf.length) break
    const body = buf.subarray(off + 4, off + 4 + len)
    off += 4 + len
    if (type === 2) {
      const parsed = parseServerHello(body)
      if (!parsed) return { kind: 'garbage', detail: 'malformed ServerHello' }
      hello = parsed
      const tls13 = parsed.version === 0x0304
      if (!wantCertificates || tls13 || parsed.helloRetry) return { kind: 'hello', hello, complete: true }
    } else if (type === 11 && hello) {
      return { kind: 'hello', hello, certificates: parseCertificateList(body), complete: true }
    } else if (type === 14 && hello) {
      // ServerHelloDone without a Certificate: an anonymous suite.
      return { kind: 'hello', hello, certificates: [], complete: true }
    } else if (!hello) {
      return { kind: 'garbage', detail: `handshake message ${type} before ServerHello` }
    }
  }
  if (hello) return { kind: 'hello', hello, complete: false }
  return { kind: 'more' }
}

function parseServerHello(b: Buffer): ServerHello | null {
  if (b.length < 38) return null
  let version = b.readUInt16BE(0)
  const random = b.subarray(2, 34)
  const sidLen = b[34]!
  let off = 35 + sidLen
  if (off + 3 > b.length) return null
  const cipher = b.readUInt16BE(off)
  off += 3 // cipher + compression
  if (off + 2 <= b.length) {
    const extLen = b.readUInt16BE(off)
    off += 2
    const end = Math.min(b.length, off + extLen)
    while (off + 4 <= end) {
      const type = b.readUInt16BE(off)
      const len = b.readUInt16BE(off + 2)
      if (type === 0x002b && len === 2 && off + 6 <= end) version = b.readUInt16BE(off + 4)
      off += 4 + len
    }
  }
  return { version, cipher, helloRetry: random.equals(HRR_RANDOM) }
}

function parseCertificateList(b: Buffer): Buffer[] {
  const certs: Buffer[] = []
  if (b.length < 3) return certs
  const total = b.readUIntBE(0, 3)
  let off = 3
  const end = Math.min(b.length, 3 + total)
  while (off + 3 <= end) {
    const len = b.readUIntBE(off, 3)
    off += 3
    if (off + len > end) break
    certs.push(Buffer.from(b.subarray(off, off + len)))
    off += len
  }
  return certs
}
