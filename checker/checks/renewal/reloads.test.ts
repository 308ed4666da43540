// Unit tests of renewal.reloads against a loopback STARTTLS server that reloads its certificate only when told to.
import { readFile, stat } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import reloads from './reloads.ts'
import { shellLine } from '../../../core/process.ts'
import { dirSandbox, type DirSandbox } from '../file/test-sandbox.ts'
import { runCheck } from '../dns/test-context.ts'
import { makeTestPki, type TestPki } from '../../probes/test-pki.ts'

// A mail server that, like Postfix or Exim, keeps the certificate it loaded until it is told to reload
// (here: run/mail-reload touched, the stand-in for `systemctl reload`).
let pki: TestPki
let sb: DirSandbox
let smtp: SMTPServer
let port: number
let watcher: NodeJS.Timeout
let lastReload = 0

async function loadFromDisk(): Promise<{ key: string; cert: string }> {
  return { key: await readFile(sb.hostPath('/etc/mail/key.pem'), 'utf8'), cert: await readFile(sb.hostPath('/etc/mail/fullchain.pem'), 'utf8') }
}

async function issue(): Promise<void> {
  const l = await pki.leaf(['mail.domaine.tld'])
  await sb.writeFile('mail', '/renew/fullchain.pem', l.fullchain)
  await sb.writeFile('mail', '/renew/key.pem', l.key)
}

beforeAll(async () => {
  pki = await makeTestPki()
  sb = await dirSandbox('postfix')
  const first = await pki.leaf(['mail.domaine.tld'])
  await sb.writeFile('mail', '/etc/mail/fullchain.pem', first.fullchain)
  await sb.writeFile('mail', '/etc/mail/key.pem', first.key, 0o600)
  await sb.writeFile('mail', '/run/mail-reload', '')
  lastReload = (await stat(sb.hostPath('/run/mail-reload'))).mtimeMs
  smtp = new SMTPServer({ ...(await loadFromDisk()), authOptional: true, logger: false })
  smtp.on('error', () => {})
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r))
  port = (smtp.server.address() as AddressInfo).port
  watcher = setInterval(() => {
    void stat(sb.hostPath('/run/mail-reload')).then(async (s) => {
      if (s.mtimeMs === lastReload) return
      lastReload = s.mtimeMs
      smtp.updateSecureContext(await loadFromDisk())
    })
  }, 100)
})
afterAll(async () => {
  clearInterval(watcher)
  await new Promise<void>((r) => smtp.close(() => r()))
  await sb.dispose()
})

const target = () => ({ host: '127.0.0.1', port, mode: 'starttls' as const, servername: 'mail.domaine.tld' })
const COPY = 'cp renew/fullchain.pem etc/mail/fullchain.pem && cp renew/key.pem etc/mail/key.pem'

describe('renewal.reloads', () => {
  it('passes when the deploy hook reloads the server after copying the renewed files', async () => {
    await issue()
    const v = await runCheck(reloads, {
      sandbox: sb,
      target: target(),
      params: { renewCommand: ['sh', '-c', `sleep 0.3 && ${COPY} && touch run/mail-reload`], waitMs: 5000, certPath: '/etc/mail/fullchain.pem' },
    })
    expect(v.status).toBe('pass')
    const f = v.evidence.facts!
    expect(f['before']).not.toEqual(f['after'])
    expect(v.evidence.lines.join('\n')).toMatch(/on disk \/etc\/mail\/fullchain\.pem: serial/)
  })

  it('fails when the renewal only copies files and nothing reloads the server', async () => {
    await issue()
    const t0 = Date.now()
    const v = await runCheck(reloads, { sandbox: sb, target: target(), params: { renewCommand: ['sh', '-c', COPY], waitMs: 1500 } })
    expect(v.status).toBe('fail')
    expect(v.summary.en).toMatch(/still presents the old certificate/)
    expect(Date.now() - t0).toBeLessThan(8000)
  })

  it('fails when the learner’s renewal command or hook exits non-zero, its output (escape sequences removed) as evidence', async () => {
    const t0 = Date.now()
    const v = await runCheck(reloads, {
      sandbox: sb,
      target: target(),
      params: { renewCommand: ['sh', '-c', 'printf "\\033[31mFailed to renew certificate mail.domaine.tld\\033[0m\\n" >&2; exit 1'], waitMs: 20_000 },
    })
    expect(v.status).toBe('fail')
    expect(v.summary.en).toMatch(/exit code 1/)
    const text = v.evidence.lines.join('\n')
    expect(text).toMatch(/Failed to renew certificate mail\.domaine\.tld/)
    expect(text).not.toContain('\x1b')
    expect(Date.now() - t0).toBeLessThan(10_000) // a failed command is not watched for waitMs
  })

  it('is inconclusive without a renew command in the exercise', async () => {
    const v = await runCheck(reloads, { sandbox: sb, target: target() })
    expect(v.status).toBe('inconclusive')
    expect(v.reason).toBe('bug')
  })

  it('is skipped outside a sandbox', async () => {
    expect((await runCheck(reloads, { target: target(), params: { renewCommand: ['true'] } })).status).toBe('skip')
  })
})

describe('renewal evidence', () => {
  it('shows the renew command quoted as a shell would need it', () => {
    expect(shellLine(['certbot', 'renew', '--force-renewal'])).toBe('certbot renew --force-renewal')
    expect(shellLine(['sh', '-c', "cp a b && echo 'ok'"])).toBe(`sh -c 'cp a b && echo '\\''ok'\\'''`)
  })
})
