// Unit tests of the log reading behind exim.log.no-tls-errors: which lines count, and since when.
import { describe, expect, it } from 'vitest'
import { AMBIGUOUS_ERROR, isTlsPanic, lastStart, linesSince, SETUP_ERROR } from './log-tls-clean.ts'

const MAINLOG = [
  '2026-11-25 09:28:46 exim 4.96 daemon started: pid=10, -q30m, listening for SMTP on port 25 (IPv4)',
  '2026-11-25 09:30:01 TLS error on connection from [10.0.0.1] (cert/key setup: cert=/usr/local/hestia/ssl/certificate.crt key=/usr/local/hestia/ssl/certificate.key): Error while reading file.',
  '2026-11-25 09:41:47 exim 4.96 daemon started: pid=16392, -q30m, listening for SMTP on port 25 (IPv4) port 587 (IPv4)',
  '2026-11-25 09:41:50 TLS error on connection from (checker) [10.231.3.1] (gnutls_handshake): A TLS fatal alert has been received.',
  '2026-11-25 09:41:51 TLS error on connection from [10.231.3.1] (gnutls_handshake): (unknown error code)',
].join('\n')

describe('exim.log.no-tls-errors log reading', () => {
  it('takes the stamp of the last "daemon started" line, which a reload writes too', () => {
    expect(lastStart(MAINLOG)).toBe('2026-11-25 09:41:47')
    expect(lastStart('2026-11-25 09:00:00 Completed')).toBeNull()
  })

  it('keeps only the lines written since the last start', () => {
    const since = linesSince(MAINLOG, lastStart(MAINLOG))
    expect(since).toHaveLength(3)
    expect(since.some((l) => l.includes('Error while reading file'))).toBe(false)
  })

  it('counts a missing or unreadable certificate or key as a setup error', () => {
    expect(SETUP_ERROR.test(MAINLOG.split('\n')[1]!)).toBe(true)
    // Also what a client dropping a handshake half-way leaves: it counts only inside the check's own window.
    expect(SETUP_ERROR.test('2026-11-25 09:41:51 TLS error on connection from [10.231.3.1] (gnutls_handshake): (unknown error code)')).toBe(false)
    expect(AMBIGUOUS_ERROR.test('2026-11-25 09:41:51 TLS error on connection from [10.231.3.1] (gnutls_handshake): (unknown error code)')).toBe(true)
    expect(SETUP_ERROR.test('  tls_require_ciphers invalid: gnutls_priority_init(HIGH:!aNULL) failed at offset 0')).toBe(true)
  })

  it('does not count a client whose TLS offer was refused', () => {
    expect(SETUP_ERROR.test('2026-11-25 09:41:50 TLS error on connection from (checker) [10.231.3.1] (gnutls_handshake): A TLS fatal alert has been received.')).toBe(false)
    expect(SETUP_ERROR.test('2026-11-25 09:41:50 TLS error on connection from [10.231.3.1] (gnutls_handshake): No supported cipher suites have been found.')).toBe(false)
  })

  it('keeps continuation lines (no stamp) with the entry they belong to', () => {
    const panic = '2026-11-25 09:28:46 Exim configuration error:\n  tls_require_ciphers invalid: …\n2026-11-25 09:50:00 Exim configuration error:\n  openssl_options is set'
    expect(linesSince(panic, '2026-11-25 09:41:47')).toEqual(['2026-11-25 09:50:00 Exim configuration error:', '  openssl_options is set'])
  })

  it('counts paniclog entries about TLS, keys or configuration, not a local delivery failure', () => {
    expect(isTlsPanic('2026-11-25 09:28:46 Exim configuration error:')).toBe(true)
    expect(isTlsPanic('2026-12-03 16:52:36 TLS error on connection (cert/key setup: cert=/x): Error while reading file.')).toBe(true)
    expect(isTlsPanic('  openssl_options is set')).toBe(false)
    expect(isTlsPanic('2026-12-03 16:52:36 1xZA2u-0001He-2d appendfile transport process returned non-zero status 0x0100: exit code 1')).toBe(false)
  })
})
