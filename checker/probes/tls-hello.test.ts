import { describe, expect, it } from 'vitest'
import { buildClientHello, parseServerFlight, VERSION_CODES } from './tls-hello.ts'

function serverHello(version: number, cipher: number, ext: Buffer = Buffer.alloc(0)): Buffer {
  const body = Buffer.concat([
    Buffer.from([version >> 8, version & 0xff]),
    Buffer.alloc(32, 7),
    Buffer.from([0]),
    Buffer.from([cipher >> 8, cipher & 0xff, 0]),
    ext.length ? Buffer.concat([Buffer.from([ext.length >> 8, ext.length & 0xff]), ext]) : Buffer.alloc(0),
  ])
  const hs = Buffer.concat([Buffer.from([2, 0, body.length >> 8, body.length & 0xff]), body])
  return Buffer.concat([Buffer.from([22, 3, 3, hs.length >> 8, hs.length & 0xff]), hs])
}

describe('ClientHello builder', () => {
  it('announces exactly the version asked, with TLS 1.3 in supported_versions only', () => {
    for (const v of ['ssl3', 'tls1.0', 'tls1.1', 'tls1.2'] as const) {
      const rec = buildClientHello({ version: v, ciphers: [0x002f] })
      expect(rec[0]).toBe(22)
      expect(rec.readUInt16BE(3)).toBe(rec.length - 5)
      expect(rec.readUInt16BE(9)).toBe(VERSION_CODES[v])
    }
    const t13 = buildClientHello({ version: 'tls1.3', ciphers: [0x1301], servername: 'mail.domaine.tld' })
    expect(t13.readUInt16BE(9)).toBe(0x0303)
    expect(t13.includes(Buffer.from([0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04]))).toBe(true)
    expect(t13.includes(Buffer.from('mail.domaine.tld'))).toBe(true)
  })

  it('sends no extensions in an SSLv3 hello', () => {
    const rec = buildClientHello({ version: 'ssl3', ciphers: [0x000a], servername: 'x.test' })
    expect(rec.includes(Buffer.from('x.test'))).toBe(false)
  })
})

describe('server flight parser', () => {
  it('reads the version from supported_versions in a TLS 1.3 ServerHello', () => {
    const f = parseServerFlight(serverHello(0x0303, 0x1301, Buffer.from([0x00, 0x2b, 0x00, 0x02, 0x03, 0x04])), false)
    expect(f).toMatchObject({ kind: 'hello', hello: { version: 0x0304, cipher: 0x1301 } })
  })

  it('waits for more bytes on a partial record, and names an alert', () => {
    const full = serverHello(0x0301, 0x002f)
    expect(parseServerFlight(full.subarray(0, 20), false).kind).toBe('more')
    expect(parseServerFlight(Buffer.from([21, 3, 3, 0, 2, 2, 70]), false)).toMatchObject({ kind: 'alert', name: 'protocol_version' })
  })

  it('calls plain SMTP text garbage instead of a TLS answer', () => {
    expect(parseServerFlight(Buffer.from('220 mail ESMTP\r\n'), false).kind).toBe('garbage')
  })

  it('never throws on random bytes', () => {
    let seed = 42
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff)
    for (let i = 0; i < 2000; i++) {
      const len = Math.floor(rand() * 300)
      const b = Buffer.alloc(len)
      for (let j = 0; j < len; j++) b[j] = Math.floor(rand() * 256)
      if (len > 0 && rand() < 0.5) b[0] = 22
      if (len > 2 && rand() < 0.5) b[1] = 3
      expect(() => parseServerFlight(b, rand() < 0.5)).not.toThrow()
    }
  })
})
