// Every SMTP/TLS/cert check against a real Postfix (the postfix lab's mail service), configured well and badly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { downSandbox, upLab } from '../sandbox/engine.ts'
import { testSession } from '../sandbox/test-session.ts'
import type { SandboxHandle } from './sandbox-handle.ts'
import { createPki, fullchain, type TestPki } from './test-support/pki.ts'
import { configurePostfix, savePostfixDefaults } from './test-support/postfix-config.ts'
import { audit, MAIL_HOST_CHECKS, sh } from './test-support/sandbox-audit.ts'

// CHECKER_POSTFIX_SESSION lets a shared machine's helper run this file under its own session prefix.
const SESSION = process.env['CHECKER_POSTFIX_SESSION'] ?? testSession('checker-postfix')
let sb: SandboxHandle
let pki: TestPki
const SNI = { names: { 'mail.domaine.tld': 'mail.domaine.tld', 'mail.client2.tld': 'mail.client2.tld' } }

const SUBMISSION = (o: { encrypt: boolean; authOnly: boolean; sasl: boolean }): string =>
  [
    'submission inet n - y - - smtpd',
    '  -o syslog_name=postfix/submission',
    `  -o smtpd_tls_security_level=${o.encrypt ? 'encrypt' : 'may'}`,
    `  -o smtpd_sasl_auth_enable=${o.sasl ? 'yes' : 'no'}`,
    '  -o smtpd_sasl_type=dovecot',
    '  -o smtpd_sasl_path=private/auth',
    `  -o smtpd_tls_auth_only=${o.authOnly ? 'yes' : 'no'}`,
    '  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject',
  ].join('\n')
const SUBMISSIONS = (wrapper: boolean): string =>
  [
    'submissions inet n - y - - smtpd',
    '  -o syslog_name=postfix/submissions',
    `  -o smtpd_tls_wrappermode=${wrapper ? 'yes' : 'no'}`,
    '  -o smtpd_sasl_auth_enable=yes',
    '  -o smtpd_sasl_type=dovecot',
    '  -o smtpd_sasl_path=private/auth',
    '  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject',
  ].join('\n')

const HARDENED: Record<string, string> = {
  smtpd_banner: '$myhostname ESMTP',
  smtpd_tls_cert_file: '/etc/ssl/lab/good.pem',
  smtpd_tls_key_file: '/etc/ssl/lab/good.key',
  smtpd_tls_protocols: '>=TLSv1.2',
  smtpd_tls_mandatory_protocols: '>=TLSv1.2',
  smtpd_tls_exclude_ciphers: 'aNULL, eNULL, EXPORT, DES, 3DES, RC4, MD5, kRSA',
  disable_vrfy_command: 'yes',
  smtpd_etrn_restrictions: 'reject',
  smtpd_client_connection_count_limit: '10',
  tls_server_sni_maps: 'hash:/etc/postfix/sni_maps',
}

/** Back to Debian's main.cf/master.cf, then the given settings, then a reload. */
const postfix = (main: Record<string, string>, master: string[] = []): Promise<void> => configurePostfix(sb, main, master)

const ALL = MAIL_HOST_CHECKS

beforeAll(async () => {
  sb = await upLab({ lab: 'postfix', session: SESSION, fresh: true })
  pki = await createPki('postfix lab test', 'rsa')
  const good = await pki.leaf(['mail.domaine.tld'])
  const client2 = await pki.leaf(['mail.client2.tld'])
  const example = await pki.leaf(['mail.example.com'])
  const expired = await pki.leaf(['mail.domaine.tld'], { notBefore: new Date(Date.now() - 120 * 86_400_000), notAfter: new Date(Date.now() - 2 * 86_400_000) })
  const weak = await pki.leaf(['mail.domaine.tld'], { keySize: 1024 })
  const files: [string, string, number][] = [
    ['good.pem', fullchain(good, pki), 0o644],
    ['good.key', good.key, 0o600],
    ['leaf-only.pem', good.cert, 0o644],
    ['client2.pem', fullchain(client2, pki), 0o644],
    ['client2.key', client2.key, 0o600],
    ['example.pem', fullchain(example, pki), 0o644],
    ['example.key', example.key, 0o600],
    ['expired.pem', fullchain(expired, pki), 0o644],
    ['expired.key', expired.key, 0o600],
    ['weak.pem', fullchain(weak, pki), 0o644],
    ['weak.key', weak.key, 0o600],
  ]
  await savePostfixDefaults(sb)
  await sh(sb, 'mail', 'mkdir -p /etc/ssl/lab')
  for (const [name, content, mode] of files) await sb.writeFile('mail', `/etc/ssl/lab/${name}`, content, mode)
  await sh(sb, 'mail', "printf 'mail.client2.tld /etc/ssl/lab/client2.key /etc/ssl/lab/client2.pem\\n' > /etc/postfix/sni_maps && postmap -F hash:/etc/postfix/sni_maps")
}, 600_000)

afterAll(async () => {
  await downSandbox(SESSION)
})

describe('Postfix as Debian installs it', () => {
  it('offers STARTTLS with a self-signed snakeoil certificate, TLS 1.0/1.1, anonymous suites, VRFY, and no 465/587', async () => {
    const a = await audit(sb, [...ALL, { id: 'cert.sni.selects', params: SNI }])
    expect(a.status).toMatchObject({
      'smtp.banner.no-version': 'warn',
      'smtp.starttls.offered': 'pass',
      'smtp.vrfy.disabled': 'fail',
      'smtp.etrn.rejected': 'warn',
      'tls.version.ssl3.rejected': 'pass',
      'tls.version.tls1_0.rejected': 'fail',
      'tls.version.tls1_1.rejected': 'fail',
      'tls.version.tls1_2.accepted': 'pass',
      'tls.version.tls1_3.accepted': 'pass',
      'tls.cipher.no-weak': 'fail',
      'tls.cipher.forward-secrecy': 'warn',
      'cert.trusted': 'fail',
      'cert.key.strength': 'pass',
      'cert.sni.selects': 'fail',
      'smtp.connection-limit': 'fail',
      // Nothing listens on 465 and 587 yet: the grader cannot tell, it does not blame.
      'tls.implicit': 'inconclusive',
      'smtp.tls.required-before-mail': 'inconclusive',
    })
    expect(a.results['tls.cipher.no-weak']!.summary.en).toContain('anonymous')
  })
})

describe('Postfix hardened as the course teaches', () => {
  it('passes every check, on 25, 465 and 587', async () => {
    await postfix(HARDENED, [SUBMISSION({ encrypt: true, authOnly: true, sasl: true }), SUBMISSIONS(true)])
    const a = await audit(sb, [...ALL, { id: 'cert.sni.selects', params: SNI }], { ca: pki.root.cert })
    const notPassing = Object.entries(a.status).filter(([, s]) => s !== 'pass')
    expect(notPassing.map(([id]) => [id, a.results[id]!.summary.en])).toEqual([])
    expect(a.durationMs).toBeLessThan(5000)
  })
})

describe('Postfix configured badly, one mistake at a time', () => {
  it('a banner showing $mail_version fails smtp.banner.no-version', async () => {
    await postfix({ ...HARDENED, smtpd_banner: '$myhostname ESMTP $mail_name $mail_version' })
    expect((await audit(sb, ['smtp.banner.no-version'])).status['smtp.banner.no-version']).toBe('fail')
  })

  it('smtpd_tls_security_level = none fails smtp.starttls.offered', async () => {
    await postfix({ ...HARDENED, smtpd_tls_security_level: 'none' })
    expect((await audit(sb, ['smtp.starttls.offered'])).status['smtp.starttls.offered']).toBe('fail')
  })

  it('a submission port with smtpd_tls_auth_only=no and security level may fails AUTH-before-TLS and TLS-before-MAIL', async () => {
    await postfix(HARDENED, [SUBMISSION({ encrypt: false, authOnly: false, sasl: true })])
    const a = await audit(sb, ['smtp.auth.hidden-before-tls', 'smtp.tls.required-before-mail', 'smtp.auth.offered-after-tls'])
    expect(a.status).toEqual({ 'smtp.auth.hidden-before-tls': 'fail', 'smtp.tls.required-before-mail': 'fail', 'smtp.auth.offered-after-tls': 'pass' })
  })

  it('a submission port without SASL fails smtp.auth.offered-after-tls', async () => {
    await postfix(HARDENED, [SUBMISSION({ encrypt: true, authOnly: true, sasl: false })])
    expect((await audit(sb, ['smtp.auth.offered-after-tls'])).status['smtp.auth.offered-after-tls']).toBe('fail')
  })

  it('port 465 without smtpd_tls_wrappermode fails tls.implicit', async () => {
    await postfix(HARDENED, [SUBMISSIONS(false)])
    expect((await audit(sb, ['tls.implicit'])).status['tls.implicit']).toBe('fail')
  })

  it('fast_flush_domains = domaine.tld with open ETRN fails smtp.etrn.rejected', async () => {
    await postfix({ ...HARDENED, smtpd_etrn_restrictions: '', fast_flush_domains: 'domaine.tld' })
    expect((await audit(sb, ['smtp.etrn.rejected'])).status['smtp.etrn.rejected']).toBe('fail')
  })

  it('TLS 1.3 only fails tls.version.tls1_2.accepted; TLS 1.3 disabled fails tls.version.tls1_3.accepted', async () => {
    await postfix({ ...HARDENED, smtpd_tls_protocols: '>=TLSv1.3' })
    expect((await audit(sb, ['tls.version.tls1_2.accepted'])).status['tls.version.tls1_2.accepted']).toBe('fail')
    await postfix({ ...HARDENED, smtpd_tls_protocols: '!SSLv2, !SSLv3, !TLSv1, !TLSv1.1, !TLSv1.3' })
    expect((await audit(sb, ['tls.version.tls1_3.accepted'])).status['tls.version.tls1_3.accepted']).toBe('fail')
  })

  it('static RSA suites only, TLS 1.3 off, fails tls.cipher.forward-secrecy', async () => {
    await postfix({
      ...HARDENED,
      smtpd_tls_protocols: '!SSLv2, !SSLv3, !TLSv1, !TLSv1.1, !TLSv1.3',
      smtpd_tls_exclude_ciphers: 'aNULL',
      tls_medium_cipherlist: 'AES128-GCM-SHA256:AES256-GCM-SHA384',
    })
    expect((await audit(sb, ['tls.cipher.forward-secrecy'])).status['tls.cipher.forward-secrecy']).toBe('fail')
  })

  it('the certificate without its intermediate fails cert.chain.complete and cert.trusted', async () => {
    await postfix({ ...HARDENED, smtpd_tls_cert_file: '/etc/ssl/lab/leaf-only.pem' })
    const a = await audit(sb, ['cert.chain.complete', 'cert.trusted'], { ca: pki.root.cert })
    expect(a.status).toEqual({ 'cert.chain.complete': 'fail', 'cert.trusted': 'fail' })
  })

  it('a certificate for mail.example.com fails cert.name.matches for mail.domaine.tld', async () => {
    await postfix({ ...HARDENED, smtpd_tls_cert_file: '/etc/ssl/lab/example.pem', smtpd_tls_key_file: '/etc/ssl/lab/example.key' })
    expect((await audit(sb, ['cert.name.matches'], { ca: pki.root.cert })).status['cert.name.matches']).toBe('fail')
  })

  it('an expired certificate fails cert.validity.days-left', async () => {
    await postfix({ ...HARDENED, smtpd_tls_cert_file: '/etc/ssl/lab/expired.pem', smtpd_tls_key_file: '/etc/ssl/lab/expired.key' })
    expect((await audit(sb, ['cert.validity.days-left'], { ca: pki.root.cert })).status['cert.validity.days-left']).toBe('fail')
  })

  it('an RSA 1024 key (loaded at OpenSSL security level 0) fails cert.key.strength', async () => {
    await postfix({
      ...HARDENED,
      smtpd_tls_cert_file: '/etc/ssl/lab/weak.pem',
      smtpd_tls_key_file: '/etc/ssl/lab/weak.key',
      tls_medium_cipherlist: 'DEFAULT:@SECLEVEL=0',
      tls_high_cipherlist: 'DEFAULT:@SECLEVEL=0',
    })
    expect((await audit(sb, ['cert.key.strength'], { ca: pki.root.cert })).status['cert.key.strength']).toBe('fail')
  })
})
