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
