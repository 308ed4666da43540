import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPki, fullchain, type TestPki } from '../test-support/pki.ts'
import { rawServer, scriptedSmtp } from '../test-support/smtp-servers.ts'
import { authMechanisms, SmtpSession, smtpCommands, smtpDialogue, socketForTls } from './smtp.ts'

let pki: TestPki
let tlsOpts: { key: string; cert: string }
beforeAll(async () => {
  pki = await createPki()
  const leaf = await pki.leaf(['mail.domaine.tld'])
  tlsOpts = { key: leaf.key, cert: fullchain(leaf, pki) }
})

describe('SMTP dialogue', () => {
  it('a server offering STARTTLS is greeted, upgraded, and asked EHLO again over TLS', async () => {
    const srv = await scriptedSmtp({ tls: tlsOpts, extensions: ['PIPELINING', 'SIZE 1000'], extensionsAfterTls: ['AUTH PLAIN LOGIN', 'SIZE 1000'] })
    try {
      const f = await smtpDialogue({ host: srv.host, port: srv.port, mode: 'starttls', ehloName: 'probe.example' })
      expect(f.greeting.code).toBe(220)
      expect(f.ehlo.extensions.has('STARTTLS')).toBe(true)
      expect(authMechanisms(f.ehlo)).toEqual([])
      expect(f.starttls?.reply.code).toBe(220)
      expect(f.starttls?.tls?.protocol).toBe('TLSv1.3')
      expect(authMechanisms(f.starttls?.ehlo)).toEqual(['PLAIN', 'LOGIN'])
      expect(f.transcript.filter((l) => l.startsWith('C: EHLO probe.example'))).toHaveLength(2)
      expect(f.transcript.at(-1)).toMatch(/^S: 221/)
    } finally {
      await srv.close()
    }
  })

  it('the smtp-server package (a real ESMTP implementation) is spoken to correctly', async () => {
    const server = new SMTPServer({ ...tlsOpts, authOptional: true, banner: 'test', onAuth: (_a, _s, cb) => cb(null, { user: 'x' }) })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.server.address() as { port: number }).port
    try {
      const f = await smtpDialogue({ host: '127.0.0.1', port, mode: 'starttls', servername: 'mail.domaine.tld' })
      expect(f.starttls?.tls).toBeDefined()
      expect(authMechanisms(f.starttls?.ehlo)).toContain('PLAIN')
    } finally {
      await new Promise<void>((r) => server.close(() => r()))
    }
  })

  it('an old server without EHLO is spoken to with HELO', async () => {
    const srv = await scriptedSmtp({ reply: (verb) => (verb === 'EHLO' ? '500 5.5.1 unknown command' : undefined) })
    try {
      const r = await smtpCommands({ host: srv.host, port: srv.port, mode: 'starttls' }, ['NOOP'], { tls: true })
      expect(r.ehlo.reply.raw[0]).toMatch(/^250/)
      expect(r.transcript).toContain('C: HELO checker.smtp-tls-lab.test')
    } finally {
      await srv.close()
    }
  })

  it('AUTH secrets never reach the transcript', async () => {
    const srv = await scriptedSmtp({ reply: (verb) => (verb === 'AUTH' ? '334 VXNlcm5hbWU6' : undefined) })
    try {
      const s = await SmtpSession.open({ host: srv.host, port: srv.port, mode: 'plain' })
      await s.ehlo()
      await s.send('AUTH PLAIN AHVzZXIAc2VjcmV0')
      await s.send('c2VjcmV0')
      await s.quit()
      const text = s.transcript.join('\n')
      expect(text).toContain('C: AUTH PLAIN ****')
      expect(text).not.toContain('AHVzZXIAc2VjcmV0')
      expect(text).not.toContain('c2VjcmV0')
    } finally {
      await srv.close()
    }
  })

  it('never sends a command before the previous reply arrived, even when PIPELINING is offered', async () => {
    const early: string[] = []
    const srv = await rawServer((s) => {
      let waiting = false
      s.write('220 slow.test ESMTP\r\n')
      s.on('data', (d) => {
        const line = d.toString()
        if (waiting) early.push(line)
        waiting = true
        setTimeout(() => {
          waiting = false
          s.write(line.startsWith('EHLO') ? '250-slow.test\r\n250 PIPELINING\r\n' : line.startsWith('QUIT') ? '221 bye\r\n' : '250 ok\r\n')
        }, 80)
      })
    })
    try {
      await smtpCommands({ host: srv.host, port: srv.port, mode: 'plain' }, ['NOOP', 'RSET', 'NOOP'], { tls: false })
      expect(early).toEqual([])
    } finally {
      await srv.close()
    }
  })

  it('hands over a plain socket right after 220 to STARTTLS, for raw handshakes', async () => {
    const srv = await scriptedSmtp({ tls: tlsOpts })
    try {
      const { socket, transcript } = await socketForTls({ host: srv.host, port: srv.port, mode: 'starttls' })
      expect(transcript.at(-1)).toMatch(/^S: 220 2\.0\.0/)
      expect(socket.destroyed).toBe(false)
      socket.destroy()
    } finally {
      await srv.close()
    }
  })
})
