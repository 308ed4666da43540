// renewal.reloads and config.effective against the real postfix lab: a renewal with and without a reload.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DockerSandbox, downSandbox, upLab } from '../../sandbox/engine.ts'
import { testSession } from '../../sandbox/test-session.ts'
import type { CheckDefinition, Verdict } from '../types.ts'
import { runCheck } from './dns/test-context.ts'
import reloads from './renewal/reloads.ts'
import effective from './config/effective.ts'

const SESSION = testSession('chk-renew')
let sb: DockerSandbox

beforeAll(async () => {
  sb = await upLab({ lab: 'postfix', session: SESSION, fresh: true })
})
afterAll(() => downSandbox(SESSION))

const check = (c: CheckDefinition, params: Record<string, unknown>): Promise<Verdict> =>
  runCheck(c, { target: { host: sb.address('mail'), port: 25, mode: 'starttls', servername: 'mail.domaine.tld', service: 'mail' }, sandbox: sb, params })

// A new key and certificate where Debian's main.cf points (smtpd_tls_cert_file / smtpd_tls_key_file): what a renewal does to the files.
const RENEW_FILES =
  'openssl req -x509 -newkey rsa:2048 -nodes -days 90 -subj /CN=mail.domaine.tld -addext subjectAltName=DNS:mail.domaine.tld ' +
  '-keyout /etc/ssl/private/ssl-cert-snakeoil.key -out /etc/ssl/certs/ssl-cert-snakeoil.pem 2>/dev/null'

describe('config.effective with postconf', () => {
  it('passes for the snakeoil certificate Debian’s main.cf sets, and marks built-in defaults', async () => {
    const v = await check(effective, { expect: { smtpd_tls_cert_file: '/etc/ssl/certs/ssl-cert-snakeoil.pem', smtpd_tls_auth_only: 'no' } })
    expect(v.status, v.summary.en).toBe('pass')
    expect(v.evidence.lines).toContain('smtpd_tls_auth_only = no   # default')
  })

  it('fails when the exercise wants TLS 1.2 at least and main.cf still has the default protocols', async () => {
    const v = await check(effective, { expect: { smtpd_tls_protocols: /TLSv1\.2/ } })
    expect(v.status, v.summary.en).toBe('fail')
  })

  it('passes once postconf -e sets it, as the learner would', async () => {
    const r = await sb.exec('mail', ['postconf', '-e', 'smtpd_tls_protocols = >=TLSv1.2'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect((await check(effective, { expect: { smtpd_tls_protocols: '>=TLSv1.2' } })).status).toBe('pass')
  })
})

describe('renewal.reloads on Postfix', () => {
  it('fails when the renewal replaces the files but nothing reloads Postfix', async () => {
    const v = await check(reloads, { renewCommand: ['sh', '-c', RENEW_FILES], waitMs: 10_000 })
    expect(v.status, `${v.summary.en}\n${v.evidence.lines.join('\n')}`).toBe('fail')
    expect(v.summary.en).toContain('still presents the old certificate')
  })

  it('passes when the renewal’s deploy hook runs systemctl reload postfix', async () => {
    const v = await check(reloads, { renewCommand: ['sh', '-c', `${RENEW_FILES} && systemctl reload postfix`], waitMs: 20_000 })
    expect(v.status, `${v.summary.en}\n${v.evidence.lines.join('\n')}`).toBe('pass')
  })
})
