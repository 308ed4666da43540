import { describe, expect, it } from 'vitest'
import type { RunReport } from '../types.ts'
import { formatJson, toJson } from './json.ts'
import { formatJunit } from './junit.ts'
import { formatTerminal } from './terminal.ts'

const report: RunReport = {
  target: { host: 'mail.domaine.tld', port: 25, mode: 'starttls', ca: '-----BEGIN CERTIFICATE-----…' },
  startedAt: '2025-01-01T00:00:00.000Z',
  durationMs: 420,
  checks: [
    {
      id: 'tls.version.tls1_0.rejected',
      status: 'fail',
      title: { fr: 'TLS 1.0 refusé', en: 'TLS 1.0 rejected' },
      summary: { fr: 'Votre serveur accepte encore TLS 1.0 : désactivez-le.', en: 'Your server still accepts TLS 1.0: disable it.' },
      evidence: { lines: ['# ClientHello TLSv1', 'S: <bad> & "quoted"\x01'], facts: { accepted: true } },
      remedy: { postfix: 'smtpd_tls_protocols = >=TLSv1.2', exim: 'tls_require_ciphers = NORMAL:-VERS-TLS1.0' },
      durationMs: 12,
    },
    {
      id: 'smtp.banner.no-version',
      status: 'pass',
      title: { fr: 'Bannière', en: 'Banner' },
      summary: { fr: 'Rien à signaler.', en: 'Nothing to report.' },
      evidence: { lines: ['S: 220 mail ESMTP'] },
      durationMs: 5,
    },
    {
      id: 'cert.trusted',
      status: 'inconclusive',
      reason: 'timeout',
      title: { fr: 'Confiance', en: 'Trust' },
      summary: { fr: 'Impossible de vérifier.', en: 'Could not check.' },
      evidence: { lines: [] },
      durationMs: 5000,
    },
  ],
}

describe('reporters', () => {
  it('JSON keeps id, status, title, evidence per check, hides the CA bytes, and counts statuses', () => {
    const j = toJson(report, 'en')
    expect(j.checks[0]).toMatchObject({ id: 'tls.version.tls1_0.rejected', status: 'fail', title: 'TLS 1.0 rejected', evidence: { facts: { accepted: true } } })
    expect(j.checks[0]!.remedy?.postfix).toContain('TLSv1.2')
    expect(j.checks[1]!.remedy).toBeUndefined()
    expect(j.target.ca).toBe('(given)')
    expect(j.counts).toEqual({ pass: 1, fail: 1, warn: 0, inconclusive: 1, skip: 0 })
    expect(JSON.parse(formatJson(report, 'fr')).checks[0].summary).toMatch(/^Votre serveur accepte encore TLS 1\.0/)
  })

  it('the terminal report speaks French by default and shows remedies and evidence only where needed', () => {
    const text = formatTerminal(report, { lang: 'fr', color: false })
    expect(text).toContain('[FAIL] tls.version.tls1_0.rejected')
    expect(text).toContain('Correctif Postfix : smtpd_tls_protocols = >=TLSv1.2')
    expect(text).toContain('    # ClientHello TLSv1')
    expect(text).not.toContain('    S: 220 mail ESMTP')
    expect(text).toMatch(/1 pass, 1 fail, 1 inconclusive — 420 ms/)
  })

  it('JUnit maps fail to failure, inconclusive to error, and escapes what servers send', () => {
    const xml = formatJunit(report, 'en')
    expect(xml).toContain('tests="3" failures="1" errors="1" skipped="0"')
    expect(xml).toContain('<failure message="Your server still accepts TLS 1.0: disable it." type="fail">')
    expect(xml).toContain('&lt;bad&gt; &amp; &quot;quoted&quot;?')
    expect(xml).toContain('<error message="Could not check." type="inconclusive/timeout">')
  })
})
