// renewal.reloads on the real postfix lab when the learner's deploy hook fails: a fail, with the hook's output.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DockerSandbox, downSandbox, upLab } from '../../../sandbox/engine.ts'
import { testSession } from '../../../sandbox/test-session.ts'
import { runCheck } from '../dns/test-context.ts'
import reloads from './reloads.ts'

// RENEWAL_SANDBOX_SESSION lets a shared machine's helper run this file under its own session prefix.
const SESSION = process.env['RENEWAL_SANDBOX_SESSION'] ?? testSession('chk-reload-fail')
let sb: DockerSandbox

beforeAll(async () => {
  sb = await upLab({ lab: 'postfix', session: SESSION, fresh: true })
}, 600_000)
afterAll(() => downSandbox(SESSION))

// What a renewal does to the files Debian's main.cf points at, then a deploy hook a learner misspelt.
const RENEW_FILES =
  'openssl req -x509 -newkey rsa:2048 -nodes -days 90 -subj /CN=mail.domaine.tld -addext subjectAltName=DNS:mail.domaine.tld ' +
  '-keyout /etc/ssl/private/ssl-cert-snakeoil.key -out /etc/ssl/certs/ssl-cert-snakeoil.pem 2>/dev/null'
const HOOK = '/etc/letsencrypt/renewal-hooks/deploy/reload-mail.sh'

describe('renewal.reloads with a failing deploy hook on Postfix', () => {
  it('fails with the exit code and what the hook printed (systemd’s own words), not inconclusive', async () => {
    const setup = await sb.exec('mail', ['sh', '-c', `mkdir -p ${HOOK.replace(/\/[^/]+$/, '')} && printf '#!/bin/sh\\nprintf "\\\\033[1mreloading\\\\033[0m\\\\n"\\nsystemctl reload postfx\\n' > ${HOOK} && chmod 755 ${HOOK}`])
    expect(setup.exitCode, setup.stderr).toBe(0)
    const v = await runCheck(reloads, {
      target: { host: sb.address('mail'), port: 25, mode: 'starttls', servername: 'mail.domaine.tld', service: 'mail' },
      sandbox: sb,
      params: { renewCommand: ['sh', '-c', `${RENEW_FILES} && ${HOOK}`], waitMs: 10_000 },
    })
    const text = v.evidence.lines.join('\n')
    expect(v.status, `${v.summary.en}\n${text}`).toBe('fail')
    expect(v.summary.en).toMatch(/exit code [1-9]/)
    expect(text).toContain('Failed to reload postfx: Unit postfx not found.')
    expect(text).toContain('reloading')
    expect(text).not.toContain('\x1b')
  })
})
