// SMTP/TLS/cert checks against a real Exim (GnuTLS, HestiaCP layout, the exim lab's mail service), as shipped and hardened.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { downSandbox, upLab } from '../sandbox/engine.ts'
import { testSession } from '../sandbox/test-session.ts'
import type { SandboxHandle } from './sandbox-handle.ts'
import { createPki, fullchain, type TestPki } from './test-support/pki.ts'
import { audit, MAIL_HOST_CHECKS, sh } from './test-support/sandbox-audit.ts'
import { runChecks } from './runner.ts'

// CHECKER_EXIM_SESSION lets a shared machine's helper run this file under its own session prefix.
const SESSION = process.env['CHECKER_EXIM_SESSION'] ?? testSession('checker-exim')
const TEMPLATE = '/etc/exim4/exim4.conf.template'
const SSL = '/usr/local/hestia/ssl/mail'
let sb: SandboxHandle
let pki: TestPki
let original = ''
const SNI = { names: { 'mail.domaine.tld': 'mail.domaine.tld', 'mail.client2.tld': 'mail.client2.tld' } }

const ALL = MAIL_HOST_CHECKS

/** The shipped template with main options replaced or added, plus ACL statements at the top of acl_check_mail. */
async function exim(main: Record<string, string>, mailAcl = ''): Promise<void> {
  let text = original
  for (const [k, v] of Object.entries(main)) {
    const line = `${k} = ${v}`
    const re = new RegExp(`^${k}\\s*=.*$`, 'm')
    text = re.test(text) ? text.replace(re, () => line) : text.replace(/^AUTH_SOCKET =/m, () => `${line}\nAUTH_SOCKET =`)
  }
  if (mailAcl) text = text.replace(/^acl_check_mail:\n/m, () => `acl_check_mail:\n${mailAcl}\n`)
  await sb.writeFile('mail', TEMPLATE, text, 0o644)
  await sh(sb, 'mail', 'systemctl restart exim4 >/dev/null && for i in $(seq 50); do exim -bV >/dev/null 2>&1 && /usr/local/bin/lab-healthy >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1')
}

async function placeCerts(which: 'full' | 'leaf-only' | 'none'): Promise<void> {
  await sh(sb, 'mail', `rm -f ${SSL}/*.crt ${SSL}/*.key`)
  if (which === 'none') return
  for (const name of ['mail.domaine.tld', 'mail.client2.tld']) {
    const leaf = await pki.leaf([name])
    await sb.writeFile('mail', `${SSL}/${name}.crt`, which === 'full' ? fullchain(leaf, pki) : leaf.cert, 0o644)
    await sb.writeFile('mail', `${SSL}/${name}.key`, leaf.key, 0o640)
  }
  await sh(sb, 'mail', `chown root:Debian-exim ${SSL}/*.key`)
}

beforeAll(async () => {
  sb = await upLab({ lab: 'exim', session: SESSION, fresh: true })
  pki = await createPki('exim lab test')
  original = (await sb.readFile('mail', TEMPLATE)).toString('utf8')
}, 600_000)

afterAll(async () => {
  await downSandbox(SESSION)
})

describe('Exim as a fresh HestiaCP host ships it', () => {
  it('shows its version, offers AUTH before TLS, accepts TLS 1.0 and serves the panel’s self-signed certificate', async () => {
    const a = await audit(sb, [...ALL.filter((id) => id !== 'smtp.connection-limit'), { id: 'smtp.connection-limit', params: { max: 30 } }, { id: 'cert.sni.selects', params: SNI }])
    expect(a.status).toMatchObject({
      'smtp.banner.no-version': 'fail',
      'smtp.starttls.offered': 'pass',
      'smtp.auth.hidden-before-tls': 'fail',
      'smtp.auth.offered-after-tls': 'pass',
      'smtp.tls.required-before-mail': 'fail',
      'tls.implicit': 'pass',
      'tls.version.ssl3.rejected': 'pass',
      'tls.version.tls1_0.rejected': 'fail',
      'tls.version.tls1_2.accepted': 'pass',
      'tls.version.tls1_3.accepted': 'pass',
      'cert.trusted': 'fail',
      'cert.sni.selects': 'fail',
      // Without acl_smtp_vrfy / acl_smtp_etrn, Exim answers 252 to every VRFY and 458 to ETRN.
      'smtp.vrfy.disabled': 'pass',
      'smtp.etrn.rejected': 'pass',
      // smtp_accept_max_per_host = 20: the 30 test connections meet the cap.
      'smtp.connection-limit': 'pass',
    })
    expect(a.results['smtp.banner.no-version']!.summary.fr).toMatch(/Exim 4\.\d+/)
  })
})

describe('Exim hardened as the course teaches', () => {
  it('passes every check with per-SNI certificates, a GnuTLS priority string and AUTH only after TLS', async () => {
    await placeCerts('full')
    await exim(
      {
        smtp_banner: '$smtp_active_hostname ESMTP',
        tls_require_ciphers: 'NORMAL:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1:-RSA:-3DES-CBC:-ARCFOUR-128',
        auth_advertise_hosts: '${if eq{$tls_in_cipher}{}{}{*}}',
        smtp_accept_max_per_host: '10',
      },
      '  deny    condition     = ${if eq{$received_port}{587}}\n          !encrypted    = *\n          message       = 530 5.7.0 Must issue a STARTTLS command first\n',
    )
    const a = await audit(sb, [...ALL, { id: 'cert.sni.selects', params: SNI }], { ca: pki.root.cert })
    const notPassing = Object.entries(a.status).filter(([, s]) => s !== 'pass')
    expect(notPassing.map(([id]) => [id, a.results[id]!.summary.en])).toEqual([])
  })

  it('per-SNI files holding only the leaf fail cert.chain.complete', async () => {
    await placeCerts('leaf-only')
    const a = await audit(sb, ['cert.chain.complete', 'cert.trusted'], { ca: pki.root.cert })
    expect(a.status).toEqual({ 'cert.chain.complete': 'fail', 'cert.trusted': 'fail' })
  })
})

describe('a full audit of port 465 under Exim’s connection cap', () => {
  // Exim counts a connection until its child exits, ~500 ms after a TLS handshake the client abandoned, and
  // answers the surplus with a clear-text 421 that reads as ERR_SSL_WRONG_VERSION_NUMBER on an implicit-TLS port.
  it('stays under smtp_accept_max_per_host = 10: every check decides, cert.* pass, and Exim logs no refusal', async () => {
    await placeCerts('full')
    await exim({ smtp_accept_max_per_host: '10' })
    const refusals = async (): Promise<number> => Number(await sh(sb, 'mail', "grep -c 'too many connections' /var/log/exim4/mainlog || true"))
    const before = await refusals()
    const checks = ALL.filter((id) => id !== 'smtp.connection-limit').map((id) => ({ id }))
    const target = { host: sb.address('mail'), port: 465, mode: 'tls' as const, servername: 'mail.domaine.tld', ca: pki.root.cert }
    const report = await runChecks({ target, checks }).report
    const logged = (await refusals()) - before
    const status = Object.fromEntries(report.checks.map((r) => [r.id, r.status]))
    const inconclusive = report.checks.filter((r) => r.status === 'inconclusive').map((r) => `${r.id}: ${r.summary.en}`)
    console.log(`audit of 465: ${report.durationMs} ms, ${logged} refusal(s) logged by Exim`, status)
    expect(inconclusive).toEqual([])
    expect(status).toMatchObject({ 'cert.trusted': 'pass', 'cert.name.matches': 'pass', 'cert.validity.days-left': 'pass', 'cert.key.strength': 'pass', 'cert.chain.complete': 'pass' })
    expect(logged).toBe(0)
  })
})
