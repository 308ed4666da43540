// Unit tests of config.effective: output parsers, and the check over stand-in postconf / exim -bP commands.
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import effective, { matches, parseEximBp, parsePostconf } from './effective.ts'
import { dirSandbox, type DirSandbox } from '../file/test-sandbox.ts'
import { runCheck } from '../dns/test-context.ts'

// Stand-ins for postconf and exim -bP that read the temp sandbox's main.cf / exim4.conf; the real ones run in the sandbox tests.
const BIN = fileURLToPath(new URL('./test-bin', import.meta.url))
let sb: DirSandbox | undefined
afterEach(async () => {
  await sb?.dispose()
  sb = undefined
})

describe('reading postconf and exim -bP output', () => {
  it('reads postconf lines, empty values included', () => {
    const m = parsePostconf('smtpd_tls_security_level = may\nsmtpd_tls_cert_file =\nsubmission/inet/smtpd_tls_security_level = encrypt\n')
    expect(m.get('smtpd_tls_security_level')).toBe('may')
    expect(m.get('smtpd_tls_cert_file')).toBe('')
    expect(m.get('submission/inet/smtpd_tls_security_level')).toBe('encrypt')
  })

  it('reads exim -bP values and booleans printed as name / no_name', () => {
    const m = parseEximBp('tls_on_connect_ports = 465\nno_smtp_enforce_sync\nlog_timezone\n')
    expect(m.get('tls_on_connect_ports')).toBe('465')
    expect(m.get('smtp_enforce_sync')).toBe('false')
    expect(m.get('log_timezone')).toBe('true')
  })

  it('compares values ignoring spacing, by pattern, as one of several, as booleans, or as unset', () => {
    expect(matches('>=TLSv1.2', ' >=TLSv1.2 ')).toBe(true)
    expect(matches('!SSLv2, !SSLv3', '!SSLv2,  !SSLv3')).toBe(true)
    expect(matches(/TLSv1\.2/, '>=TLSv1.2')).toBe(true)
    expect(matches(['may', 'encrypt'], 'encrypt')).toBe(true)
    expect(matches(false, 'false')).toBe(true)
    expect(matches(null, '')).toBe(true)
    expect(matches(null, 'x')).toBe(false)
    expect(matches('465', null)).toBe(false)
  })
})

describe('config.effective', () => {
  it('passes when the last of two duplicate main.cf lines sets the expected value', async () => {
    sb = await dirSandbox('postfix', { binDirs: [BIN] })
    await sb.writeFile('mail', '/etc/postfix/main.cf', 'smtpd_tls_security_level = none\nmyhostname = mail.example.com\nsmtpd_tls_security_level = may\n')
    const v = await runCheck(effective, { sandbox: sb, params: { expect: { smtpd_tls_security_level: 'may', myhostname: /^mail\./ } } })
    expect(v.status).toBe('pass')
    expect(v.evidence.lines).toContain('smtpd_tls_security_level = may')
  })

  it('fails when a later duplicate line overrides the value the learner wrote first', async () => {
    sb = await dirSandbox('postfix', { binDirs: [BIN] })
    await sb.writeFile('mail', '/etc/postfix/main.cf', 'smtpd_tls_security_level = may\nsmtpd_tls_security_level = none\n')
    const v = await runCheck(effective, { sandbox: sb, params: { expect: { smtpd_tls_security_level: 'may' } } })
    expect(v.status).toBe('fail')
    expect(v.summary.fr).toMatch(/smtpd_tls_security_level = none/)
  })

  it('passes when main.cf excludes SSLv2, SSLv3, TLSv1 and TLSv1.1 and the exercise asks for >=TLSv1.2 (same set)', async () => {
    sb = await dirSandbox('postfix', { binDirs: [BIN] })
    await sb.writeFile(
      'mail',
      '/etc/postfix/main.cf',
      'smtpd_tls_protocols = !SSLv2, !SSLv3, !TLSv1, !TLSv1.1\nsmtpd_tls_mandatory_protocols = !SSLv2 !SSLv3 !TLSv1 !TLSv1.1\n',
    )
    const v = await runCheck(effective, { sandbox: sb, params: { expect: { smtpd_tls_protocols: '>=TLSv1.2', smtpd_tls_mandatory_protocols: '>=TLSv1.2' } } })
    expect(v.status, v.summary.en).toBe('pass')
  })

  it('still fails when the exclusions leave TLS 1.1 enabled', async () => {
    sb = await dirSandbox('postfix', { binDirs: [BIN] })
    await sb.writeFile('mail', '/etc/postfix/main.cf', 'smtpd_tls_protocols = !SSLv2, !SSLv3, !TLSv1\n')
    const v = await runCheck(effective, { sandbox: sb, params: { expect: { smtpd_tls_protocols: '>=TLSv1.2' } } })
    expect(v.status).toBe('fail')
  })

  it('marks a value main.cf does not set as a default', async () => {
    sb = await dirSandbox('postfix', { binDirs: [BIN] })
    await sb.writeFile('mail', '/etc/postfix/main.cf', 'myhostname = mail.example.com\n')
    const v = await runCheck(effective, { sandbox: sb, params: { expect: { smtpd_tls_protocols: { regex: '>=TLSv1\\.2' } } } })
    expect(v.status).toBe('fail')
    expect(v.evidence.lines).toContain('smtpd_tls_protocols = !SSLv2, !SSLv3   # default')
  })

  it('passes for Exim when exim -bP shows the expected implicit-TLS port', async () => {
    sb = await dirSandbox('exim', { binDirs: [BIN] })
    await sb.writeFile('mail', '/etc/exim4/exim4.conf', 'daemon_smtp_ports = 25 : 465 : 587\ntls_on_connect_ports = 465\n')
    const v = await runCheck(effective, { sandbox: sb, params: { expect: { tls_on_connect_ports: '465', daemon_smtp_ports: /465/ } } })
    expect(v.status).toBe('pass')
  })

  it('fails for Exim when a name is unknown to it', async () => {
    sb = await dirSandbox('exim', { binDirs: [BIN] })
    await sb.writeFile('mail', '/etc/exim4/exim4.conf', 'tls_on_connect_ports = 465\n')
    const v = await runCheck(effective, { sandbox: sb, params: { expect: { tls_on_connect_ports: '465', tls_certificat: /crt/ } } })
    expect(v.status).toBe('fail')
    expect(v.evidence.lines).toContain('tls_certificat: (unknown option)')
  })

  it('fails with Exim’s own message when the configuration does not parse', async () => {
    sb = await dirSandbox('exim', { binDirs: [BIN] })
    await sb.writeFile('mail', '/etc/exim4/exim4.conf', 'tls_on_connect_ports = 465\nSYNTAX-ERROR\n')
    const v = await runCheck(effective, { sandbox: sb, params: { expect: { tls_on_connect_ports: '465' } } })
    expect(v.status).toBe('fail')
    expect(v.summary.en).toMatch(/rejects the configuration/)
  })

  it('is inconclusive, blaming the exercise, without params.expect', async () => {
    sb = await dirSandbox('postfix', { binDirs: [BIN] })
    const v = await runCheck(effective, { sandbox: sb })
    expect(v.status).toBe('inconclusive')
    expect(v.reason).toBe('bug')
  })

  it('is skipped without a sandbox', async () => {
    expect((await runCheck(effective, { params: { expect: { a: 'b' } } })).status).toBe('skip')
  })
})
