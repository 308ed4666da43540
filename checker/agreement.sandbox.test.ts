// Protocol and weak-cipher verdicts agree with testssl.sh (Debian package) on three real Postfix configurations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { downSandbox, upLab } from '../sandbox/engine.ts'
import { testSession } from '../sandbox/test-session.ts'
import type { SandboxHandle } from './sandbox-handle.ts'
import { configurePostfix, savePostfixDefaults } from './test-support/postfix-config.ts'
import { audit } from './test-support/sandbox-audit.ts'
import { ensureTestssl, runTestssl, testsslOffers, testsslWeakCategories } from './test-support/testssl.ts'

const SESSION = testSession('checker-agree')
let sb: SandboxHandle

const CONFIGS: Record<string, Record<string, string> | null> = {
  'default Debian Postfix': null,
  'TLS 1.2+ with strong ciphers only': {
    smtpd_tls_protocols: '>=TLSv1.2',
    smtpd_tls_mandatory_protocols: '>=TLSv1.2',
    smtpd_tls_ciphers: 'high',
    smtpd_tls_exclude_ciphers: 'aNULL, eNULL, EXPORT, DES, 3DES, RC4, MD5, kRSA, CAMELLIA, ARIA, SHA1',
  },
  'deliberately weak: TLS 1.0+, NULL and anonymous suites': {
    smtpd_tls_protocols: '>=TLSv1',
    tls_medium_cipherlist: 'ALL:eNULL:aNULL:@SECLEVEL=0',
  },
}

const PROTOCOLS = [
  ['tls.version.ssl3.rejected', 'SSLv3'],
  ['tls.version.tls1_0.rejected', 'TLS1'],
  ['tls.version.tls1_1.rejected', 'TLS1_1'],
  ['tls.version.tls1_2.accepted', 'TLS1_2'],
  ['tls.version.tls1_3.accepted', 'TLS1_3'],
] as const

beforeAll(async () => {
  ensureTestssl()
  sb = await upLab({ lab: 'postfix', session: SESSION, fresh: true })
  await savePostfixDefaults(sb)
}, 600_000)

afterAll(async () => {
  await downSandbox(SESSION)
})

describe('agreement with testssl.sh', () => {
  for (const [name, settings] of Object.entries(CONFIGS)) {
    it(`a Postfix with ${name}: same protocol and weak-cipher verdicts as testssl.sh`, async () => {
      await configurePostfix(sb, settings ?? {})
      const ours = await audit(sb, [...PROTOCOLS.map(([id]) => id), 'tls.cipher.no-weak'])
      const theirs = await runTestssl(sb.address('mail'), 25, ['-p', '-s'])
      const oursAccepts = Object.fromEntries(
        PROTOCOLS.map(([id, label]) => [label, id.endsWith('.rejected') ? ours.status[id] === 'fail' : ours.status[id] === 'pass']),
      )
      const theirsAccepts = Object.fromEntries(PROTOCOLS.map(([, label]) => [label, testsslOffers(theirs.findings, label)]))
      expect(oursAccepts).toEqual(theirsAccepts)
      const weak = testsslWeakCategories(theirs.findings)
      expect({ weakOffered: ours.status['tls.cipher.no-weak'] === 'fail' }).toEqual({ weakOffered: weak.length > 0 })
      for (const r of Object.values(ours.results)) expect(r.status).not.toBe('inconclusive')
      process.stderr.write(`  ${name}: ours ${ours.durationMs} ms, testssl -p -s ${theirs.durationMs} ms; protocols ${JSON.stringify(theirsAccepts)}; testssl weak ${weak.join(',') || 'none'}\n`)
    })
  }
})
