// tls.cipher.no-weak and the DHE group size against a real Postfix 3.7 (the postfix lab's mail service).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { downSandbox, upLab } from '../../../sandbox/engine.ts'
import { testSession } from '../../../sandbox/test-session.ts'
import type { SandboxHandle } from '../../sandbox-handle.ts'
import { configurePostfix, savePostfixDefaults } from '../../test-support/postfix-config.ts'
import { audit, sh } from '../../test-support/sandbox-audit.ts'

const SESSION = testSession('chk-dhe')
let sb: SandboxHandle

// Debian's snakeoil certificate is RSA, so Postfix offers DHE-RSA suites; only the weak-suite settings change.
const CLEAN = {
  smtpd_tls_protocols: '>=TLSv1.2',
  smtpd_tls_mandatory_protocols: '>=TLSv1.2',
  smtpd_tls_exclude_ciphers: 'aNULL, eNULL, EXPORT, DES, 3DES, RC4, MD5',
}

beforeAll(async () => {
  sb = await upLab({ lab: 'postfix', session: SESSION, fresh: true })
  await savePostfixDefaults(sb)
  // A 1024-bit group made the way old tutorials said to (Postfix's own parameter name still says 1024).
  await sh(sb, 'mail', 'openssl dhparam -out /etc/postfix/dh1024.pem 1024 2>/dev/null')
}, 600_000)
afterAll(() => downSandbox(SESSION))

describe('tls.cipher.no-weak reads the DHE group Postfix uses', () => {
  it('passes with Postfix’s default group, and reports its size', async () => {
    await configurePostfix(sb, CLEAN)
    const a = await audit(sb, ['tls.cipher.no-weak'])
    const r = a.results['tls.cipher.no-weak']!
    expect(r.status, r.summary.en).toBe('pass')
    expect(r.evidence.facts?.['dhBits']).toBeGreaterThanOrEqual(2048)
  })

  it('fails once smtpd_tls_dh1024_param_file points at a 1024-bit group (Logjam)', async () => {
    await configurePostfix(sb, { ...CLEAN, smtpd_tls_dh1024_param_file: '/etc/postfix/dh1024.pem' })
    const a = await audit(sb, ['tls.cipher.no-weak'])
    const r = a.results['tls.cipher.no-weak']!
    expect(r.status, r.summary.en).toBe('fail')
    expect(r.summary.en).toContain('DH 1024')
    expect(r.evidence.facts?.['dhBits']).toBe(1024)
  })
})
