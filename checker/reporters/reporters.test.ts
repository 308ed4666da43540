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
    expect(xml).toContain('&lt;bad&gt; &amp; &quot;quoted&quot;\\x01')
    expect(xml).toContain('<error message="Could not check." type="inconclusive/timeout">')
  })
})

// What a hostile server (or a learner's hook) can put in a reply: clear the screen, retitle the terminal, ring,
// overwrite the line with a carriage return, reverse the text that follows, and a NUL.
const HOSTILE = 'evil\x1b[2J\x1b]0;pwned\x07\rPASS\u202Egnp.exe\x00end'
// Anything a terminal, an XML parser or a browser would act on: C0 but tab/newline, DEL, C1, bidi controls.
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/

const hostileReport: RunReport = {
  target: { host: `mx${HOSTILE}.example`, port: 25, mode: 'starttls' },
  startedAt: '2025-01-01T00:00:00.000Z',
  durationMs: 10,
  checks: [
    {
      id: 'smtp.banner.no-version',
      status: 'fail',
      endpoint: `mx${HOSTILE}:25`,
      title: { fr: 'Bannière', en: 'Banner' },
      summary: { fr: `Le serveur a répondu ${HOSTILE}`, en: `The server answered ${HOSTILE}` },
      evidence: { lines: [`S: 220 ${HOSTILE}`, `DNS: _mta-sts.${HOSTILE}`, 'half a pair: \ud800 here'], facts: { banner: HOSTILE } },
      remedy: { postfix: 'smtpd_banner = $myhostname ESMTP', exim: 'smtp_banner = $primary_hostname ESMTP' },
      durationMs: 3,
    },
    {
      id: 'cert.trusted',
      status: 'inconclusive',
      reason: 'timeout',
      title: { fr: 'Confiance', en: 'Trust' },
      summary: { fr: HOSTILE, en: HOSTILE },
      evidence: { lines: [HOSTILE] },
      durationMs: 3,
    },
  ],
}

describe('reporters given what a hostile server sent', () => {
  it('the terminal report carries no escape sequence or control character from it, colour on or off', () => {
    const plain = formatTerminal(hostileReport, { lang: 'en', color: false, verbose: true })
    expect(plain).not.toMatch(RAW_CONTROL)
    expect(plain).toContain('evil') // the text itself is still shown
    expect(plain).toContain('\\x0dPASS') // the carriage return is made visible, not obeyed
    // With colour, the only escapes left are the reporter's own SGR colours.
    const coloured = formatTerminal(hostileReport, { lang: 'en', color: true, verbose: true })
    expect(coloured.replace(/\x1b\[[0-9;]*m/g, '')).not.toMatch(RAW_CONTROL)
  })

  it('JUnit XML carries none either, in attributes or in text, and stays well-formed XML 1.0', () => {
    const xml = formatJunit(hostileReport, 'en')
    expect(xml).not.toMatch(RAW_CONTROL)
    expect(xml).toContain('S: 220 evil')
    expect(xml).not.toMatch(/[\ud800-\udfff]/)
    expect(xml).toContain('half a pair: \ufffd here')
  })

  it('JSON keeps the evidence as it came (a script may need it) but prints no raw control character', () => {
    const text = formatJson(hostileReport, 'en')
    expect(text).not.toMatch(RAW_CONTROL)
    expect(text).not.toMatch(/[\u2028\u2029]/)
    // Parsed back, the strings are exactly what the server sent.
    expect(JSON.parse(text).checks[0].evidence.lines[0]).toBe(`S: 220 ${HOSTILE}`)
  })
})
