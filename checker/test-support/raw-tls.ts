// A misbehaving implicit-TLS server for tests: it answers each ClientHello with a bare ServerHello whose suite the
// test picks from what was offered, so the checker's handling of servers that ignore the offer meets real bytes.
import { rawServer, type RunningServer } from './smtp-servers.ts'

export interface ClientHelloSeen {
  /** legacy_version of the ClientHello (0x0303 for TLS 1.2 and 1.3 hellos). */
  readonly version: number
  /** True when supported_versions lists TLS 1.3. */
  readonly tls13: boolean
  readonly ciphers: readonly number[]
}

/** Reads the fields the tests need from one ClientHello record; null when the bytes are not one. */
export function readClientHello(rec: Buffer): ClientHelloSeen | null {
  if (rec.length < 5 + 4 + 2 + 32 + 1 || rec[0] !== 22 || rec[5] !== 1) return null
  let at = 9
  const version = rec.readUInt16BE(at)
  at += 2 + 32
  at += 1 + rec[at]!
  const n = rec.readUInt16BE(at)
  at += 2
  const ciphers: number[] = []
  for (let i = 0; i < n; i += 2) ciphers.push(rec.readUInt16BE(at + i))
  // supported_versions (0x002b) offering 0x0304, as buildClientHello writes it.
  const tls13 = rec.includes(Buffer.from([0x00, 0x2b])) && rec.includes(Buffer.from([0x03, 0x04]), at + n)
  return { version, tls13, ciphers }
}

export function serverHello(version: number, cipher: number): Buffer {
  const body = Buffer.concat([Buffer.from([version >> 8, version & 0xff]), Buffer.alloc(32, 7), Buffer.from([0, cipher >> 8, cipher & 0xff, 0])])
  const hs = Buffer.concat([Buffer.from([2, 0, body.length >> 8, body.length & 0xff]), body])
  return Buffer.concat([Buffer.from([22, 3, 3, hs.length >> 8, hs.length & 0xff]), hs])
}

const PROTOCOL_VERSION_ALERT = Buffer.from([21, 3, 3, 0, 2, 2, 70])

/**
 * `pick` returns the suite to answer with (offered or not), or null for a protocol_version alert. The server
 * closes after its answer, like a server that gave up on the handshake.
 */
export function suitePickingServer(pick: (hello: ClientHelloSeen) => number | null): Promise<RunningServer> {
  return rawServer((sock) => {
    let buf = Buffer.alloc(0)
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d])
      if (buf.length < 5 || buf.length < 5 + buf.readUInt16BE(3)) return
      const hello = readClientHello(buf)
      const suite = hello ? pick(hello) : null
      sock.end(suite === null || !hello ? PROTOCOL_VERSION_ALERT : serverHello(hello.version, suite))
    })
  })
}
