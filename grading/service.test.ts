// Unit tests of the host-side "does the service answer" test that decides service.starts, on loopback servers.
import { createServer, type Server } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { portAnswers } from './service.ts'

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

async function listen(onConnect: (socket: import('node:net').Socket) => void): Promise<number> {
  const s = createServer(onConnect)
  servers.push(s)
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  return (s.address() as { port: number }).port
}

describe('whether a mail server answers, decided from the host', () => {
  it('counts a server that greets, even with 421, as running, and says QUIT', async () => {
    let said = ''
    const port = await listen((c) => {
      c.write('421 4.3.2 mail.example.com Service not available\r\n')
      c.on('data', (d) => (said += d.toString()))
    })
    expect(await portAnswers('127.0.0.1', port, { greeting: true })).toBe(true)
    await new Promise((r) => setTimeout(r, 100))
    expect(said).toBe('QUIT\r\n')
  })

  it('does not count a port that accepts but never greets, nor one that sends something else', async () => {
    const silent = await listen(() => {})
    expect(await portAnswers('127.0.0.1', silent, { greeting: true, timeoutMs: 300 })).toBe(false)
    const http = await listen((c) => c.write('HTTP/1.1 400 Bad Request\r\n'))
    expect(await portAnswers('127.0.0.1', http, { greeting: true })).toBe(false)
  })

  it('does not count a closed port; a bare connection is enough where no greeting is asked (465)', async () => {
    const port = await listen(() => {})
    expect(await portAnswers('127.0.0.1', port, { greeting: false })).toBe(true)
    await new Promise((r) => servers.pop()!.close(r))
    expect(await portAnswers('127.0.0.1', port, { greeting: true })).toBe(false)
  })
})

describe('waiting for an implicit-TLS port (465) without leaving an error in the server log', () => {
  it('completes a TLS handshake and closes cleanly, so the server sees no aborted handshake', async () => {
    const { execFileSync } = await import('node:child_process')
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const path = await import('node:path')
    const { createServer: createTlsServer } = await import('node:tls')
    const dir = mkdtempSync(path.join(tmpdir(), 'stl-465-'))
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=mail.domaine.tld',
      '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem')], { stdio: 'ignore' })
    const s = createTlsServer({ key: readFileSync(path.join(dir, 'k.pem')), cert: readFileSync(path.join(dir, 'c.pem')) }, (c) => c.on('error', () => {}))
    rmSync(dir, { recursive: true, force: true })
    servers.push(s)
    const aborted: string[] = []
    let handshakes = 0
    // What Exim logs as "TLS error on connection from … (gnutls_handshake)": a client gone before the handshake ended.
    s.on('tlsClientError', (e) => aborted.push(e.message))
    s.on('secureConnection', () => handshakes++)
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
    const port = (s.address() as { port: number }).port
    expect(await portAnswers('127.0.0.1', port, { greeting: false, tls: true })).toBe(true)
    await new Promise((r) => setTimeout(r, 200))
    expect(aborted).toEqual([])
    expect(handshakes).toBe(1)
  })
})
