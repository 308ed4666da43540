// file.*, config.effective and renewal.reloads checks against the real exim lab (HestiaCP layout, Exim 4 heavy).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DockerSandbox, downSandbox, upLab } from '../../sandbox/engine.ts'
import { testSession } from '../../sandbox/test-session.ts'
import { makeTestPki, type TestPki } from '../probes/test-pki.ts'
import type { CheckDefinition, Verdict } from '../types.ts'
import { runCheck } from './dns/test-context.ts'
import keyPermissions from './file/key-permissions.ts'
import fullchain from './file/cert-fullchain.ts'
import keyMatches from './file/key-matches-cert.ts'
import effective from './config/effective.ts'
import reloads from './renewal/reloads.ts'

const SESSION = testSession('chk-file')
const MAIL_DIR = '/usr/local/hestia/ssl/mail'
const SNI_CRT = `${MAIL_DIR}/mail.domaine.tld.crt`
const SNI_KEY = `${MAIL_DIR}/mail.domaine.tld.key`
const FALLBACK_KEY = '/usr/local/hestia/ssl/certificate.key'

let sb: DockerSandbox
let pki: TestPki
let leaf: Awaited<ReturnType<TestPki['leaf']>>

beforeAll(async () => {
  ;[sb, pki] = await Promise.all([upLab({ lab: 'exim', session: SESSION, fresh: true }), makeTestPki('Lab mail')])
  leaf = await pki.leaf(['mail.domaine.tld'])
})
afterAll(() => downSandbox(SESSION))

const check = (c: CheckDefinition, params: Record<string, unknown> = {}): Promise<Verdict> =>
  runCheck(c, { target: { host: sb.address('mail'), port: 25, mode: 'starttls', service: 'mail' }, sandbox: sb, params })

async function sh(script: string): Promise<string> {
  const r = await sb.exec('mail', ['sh', '-c', script])
  expect(r.exitCode, `${script}: ${r.stderr}`).toBe(0)
  return r.stdout
}

describe('file.key.permissions on the Exim host', () => {
  it('fails for HestiaCP’s fallback key as the installer leaves it (660 root:mail)', async () => {
    const v = await check(keyPermissions)
    expect(v.status, v.summary.en).toBe('fail')
    expect(v.evidence.facts).toMatchObject({ path: FALLBACK_KEY, mode: '660', owner: 'root:mail' })
  })

  it('passes once the course’s chown root:Debian-exim and chmod 640 are applied', async () => {
    await sh(`chown root:Debian-exim ${FALLBACK_KEY} && chmod 640 ${FALLBACK_KEY}`)
    const v = await check(keyPermissions)
    expect(v.status, v.summary.en).toBe('pass')
  })

  it('fails for the per-SNI key left world-readable in 644', async () => {
    await sb.writeFile('mail', SNI_KEY, leaf.key, 0o644)
    await sh(`chown root:Debian-exim ${SNI_KEY}`)
    const v = await check(keyPermissions, { path: SNI_KEY })
    expect(v.status, v.summary.en).toBe('fail')
    expect(v.summary.fr).toContain('lisible par tous')
  })

  it('passes for the per-SNI key in 640 root:Debian-exim', async () => {
    await sh(`chmod 640 ${SNI_KEY}`)
    expect((await check(keyPermissions, { path: SNI_KEY, mode: '640', owner: 'root:Debian-exim' })).status).toBe('pass')
  })
})

describe('file.cert.fullchain on the Exim host', () => {
  it('fails for the self-signed fallback certificate', async () => {
    const v = await check(fullchain)
    expect(v.status, v.summary.en).toBe('fail')
    expect(v.summary.en).toContain('self-signed')
  })

  it('fails for a per-SNI file holding the leaf alone', async () => {
    await sb.writeFile('mail', SNI_CRT, leaf.cert, 0o644)
    const v = await check(fullchain, { path: SNI_CRT })
    expect(v.status, v.summary.en).toBe('fail')
    expect(v.summary.en).toContain('only the leaf')
  })

  it('passes for a per-SNI file holding the leaf then its intermediate', async () => {
    await sb.writeFile('mail', SNI_CRT, leaf.fullchain, 0o644)
    const v = await check(fullchain, { path: SNI_CRT })
    expect(v.status, v.summary.en).toBe('pass')
    expect(v.evidence.facts).toMatchObject({ certificates: 2, ordered: true })
  })
})

describe('file.key.matches-cert on the Exim host', () => {
  it('passes for HestiaCP’s fallback pair', async () => {
    expect((await check(keyMatches)).status).toBe('pass')
  })

  it('passes for the per-SNI pair from one issuance', async () => {
    expect((await check(keyMatches, { certPath: SNI_CRT, keyPath: SNI_KEY })).status).toBe('pass')
  })

  it('fails after a renewed certificate is copied without its new key', async () => {
    const renewed = await pki.leaf(['mail.domaine.tld'])
    await sb.writeFile('mail', SNI_CRT, renewed.fullchain, 0o644)
    const v = await check(keyMatches, { certPath: SNI_CRT, keyPath: SNI_KEY })
    expect(v.status, v.summary.en).toBe('fail')
    expect(v.evidence.facts?.['keySpkiSha256']).not.toBe(v.evidence.facts?.['certSpkiSha256'])
  })
})

describe('config.effective with exim -bP', () => {
  it('passes when Exim really listens for implicit TLS on 465', async () => {
    const v = await check(effective, { expect: { tls_on_connect_ports: '465', daemon_smtp_ports: /465/ } })
    expect(v.status, v.summary.en).toBe('pass')
    expect(v.evidence.lines).toContain('tls_on_connect_ports = 465')
  })

  it('fails when the exercise expects 2525 among the daemon ports', async () => {
    const v = await check(effective, { expect: { daemon_smtp_ports: /2525/ } })
    expect(v.status, v.summary.en).toBe('fail')
    expect(v.summary.en).toContain('daemon_smtp_ports')
  })
})

// HestiaCP's tls_certificate expands ${tls_in_sni}, so Exim opens the files at each TLS session: a renewal is
// live at the next connection even with no reload (the course's `systemctl reload exim4` is harmless, not needed).
describe('renewal.reloads on the Exim host', () => {
  it('passes on 25 and 465 after the fallback pair is replaced, with no reload at all', async () => {
    // The per-SNI pair left mismatched above would win for mail.domaine.tld: back to the fallback pair.
    await sh(`rm -f ${MAIL_DIR}/mail.domaine.tld.crt ${MAIL_DIR}/mail.domaine.tld.key`)
    const d = '/usr/local/hestia/ssl'
    const renew =
      `openssl req -x509 -newkey rsa:2048 -nodes -days 90 -subj /CN=mail.domaine.tld -keyout ${d}/certificate.key -out ${d}/certificate.crt 2>/dev/null` +
      ` && chown root:Debian-exim ${d}/certificate.key && chmod 640 ${d}/certificate.key`
    const v = await runCheck(reloads, {
      target: { host: sb.address('mail'), port: 25, mode: 'starttls', servername: 'mail.domaine.tld', service: 'mail' },
      sandbox: sb,
      params: { renewCommand: ['sh', '-c', renew], ports: [25, 465], waitMs: 10_000 },
    })
    expect(v.status, `${v.summary.en}\n${v.evidence.lines.join('\n')}`).toBe('pass')
    expect(v.evidence.lines.join('\n')).not.toContain('reload')
  })
})

// Last: it leaves forged programs behind. What a hook could do on the Exim host: an exim4 that claims STARTTLS for
// everyone and an exim that says the same, while the configuration advertises TLS to localhost only.
describe('config.effective when the container’s exim lies', () => {
  it('reads the configuration Exim really has, with the trusted exim', async () => {
    const conf = '/var/lib/exim4/config.autogenerated'
    await sh(`sed -i 's/^tls_advertise_hosts = .*/tls_advertise_hosts = 127.0.0.1/' ${conf} && grep -q '^tls_advertise_hosts = 127.0.0.1' ${conf}`)
    await sh(
      "mv /usr/sbin/exim4 /usr/sbin/exim4.real && printf '%s\\n' '#!/bin/sh' 'echo \"tls_advertise_hosts = *\"' > /usr/sbin/exim4 && chmod 755 /usr/sbin/exim4" +
        ' && mkdir -p /usr/local/sbin && cp /usr/sbin/exim4 /usr/local/sbin/exim',
    )
    expect((await sb.exec('mail', ['exim', '-bP', 'tls_advertise_hosts'])).stdout).toContain('tls_advertise_hosts = *')
    const v = await check(effective, { expect: { tls_advertise_hosts: '*' } })
    expect(v.status, v.summary.en).toBe('fail')
    expect(v.evidence.facts).toMatchObject({ tls_advertise_hosts: '127.0.0.1' })
  })
})

