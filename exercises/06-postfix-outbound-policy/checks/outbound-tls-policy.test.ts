// Unit tests of outbound.tls.policy's readers, on lines a real Postfix 3.7 and the partners MX wrote in the lab.
import { describe, expect, it } from 'vitest'
import { outcomeFromLog, parseDelivery } from './outbound-tls-policy.ts'

const VERIFIED = [
  'Nov 25 09:21:38 mail postfix/smtp[1491]: Verified TLS connection established to mx.banking-partner.com[10.231.3.40]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature ECDSA (prime256v1) server-digest SHA256',
  'Nov 25 09:21:38 mail postfix/smtp[1491]: 7D6C01A00AA: to=<grade-d428f7a39b@banking-partner.com>, relay=mx.banking-partner.com[10.231.3.40]:25, delay=0.16, delays=0.01/0/0.14/0.01, dsn=2.0.0, status=sent (250 Message accepted)',
].join('\n')

const DEFERRED = [
  'Nov 25 09:21:54 mail postfix/smtp[1621]: Untrusted TLS connection established to mx.banking-partner.com[10.231.3.40]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)',
  'Nov 25 09:21:54 mail postfix/smtp[1621]: 78BD31A0BC1: to=<grade-31e5888298@banking-partner.com>, relay=mx.banking-partner.com[10.231.3.40]:25, delay=0.16, delays=0.02/0/0.13/0, dsn=4.7.5, status=deferred (Server certificate not verified)',
].join('\n')

const PLAIN_AFTER_TLS = [
  // The same smtp process first delivered over TLS elsewhere, then in clear text: the old TLS line must not count.
  'Nov 25 09:21:37 mail postfix/smtp[1071]: Trusted TLS connection established to mx.secure-partner.com[10.231.3.40]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)',
  'Nov 25 09:21:37 mail postfix/smtp[1071]: 46CF21A0081: to=<grade-8aaa017897@secure-partner.com>, relay=mx.secure-partner.com[10.231.3.40]:25, dsn=2.0.0, status=sent (250 Message accepted)',
  'Nov 25 09:21:39 mail postfix/smtp[1071]: 932B51A00BB: to=<grade-95b24dca62@old-system.com>, relay=mx.old-system.com[10.231.3.40]:25, dsn=2.0.0, status=sent (250 Message accepted)',
].join('\n')

describe('reading Postfix’s mail log for one test recipient', () => {
  it('a delivery to banking-partner.com with a verified certificate reads as sent over Verified TLS', () => {
    const o = outcomeFromLog(VERIFIED, 'grade-d428f7a39b@banking-partner.com')
    expect(o.status).toBe('sent')
    expect(o.tlsLevel).toBe('Verified')
  })

  it('a Postfix without the partners CA defers with "Server certificate not verified"', () => {
    const o = outcomeFromLog(DEFERRED, 'grade-31e5888298@banking-partner.com')
    expect(o.status).toBe('deferred')
    expect(o.tlsLevel).toBe('Untrusted')
    expect(o.statusLine).toMatch(/Server certificate not verified/)
  })

  it('a clear-text delivery is not credited with the TLS session of an earlier message of the same process', () => {
    const o = outcomeFromLog(PLAIN_AFTER_TLS, 'grade-95b24dca62@old-system.com')
    expect(o.status).toBe('sent')
    expect(o.tlsLevel).toBeNull()
  })

  it('a recipient Postfix has not tried yet has no status', () => {
    expect(outcomeFromLog(VERIFIED, 'someone@else.example').status).toBeNull()
  })
})

describe('reading the partners’ deliveries.jsonl', () => {
  it('a TLS 1.3 delivery to secure-partner.com reads as encrypted with its protocol', () => {
    const d = parseDelivery(
      '{"time":"2026-11-25T09:21:37.593Z","from":"grader@domaine.tld","rcpt":["grade-8aaa017897@secure-partner.com"],"rcptDomains":["secure-partner.com"],"tls":true,"protocol":"TLSv1.3","cipher":"TLS_AES_256_GCM_SHA384","servername":null,"clientAddress":"10.231.3.20","size":349}',
    )
    expect(d).toMatchObject({ tls: true, protocol: 'TLSv1.3', rcpt: ['grade-8aaa017897@secure-partner.com'] })
  })

  it('a clear-text delivery reads as not encrypted', () => {
    const d = parseDelivery('{"rcpt":["grade-305958f639@old-system.com"],"tls":false,"protocol":null,"cipher":null}')
    expect(d?.tls).toBe(false)
  })

  it('a garbled line is ignored', () => {
    expect(parseDelivery('{"rcpt": [')).toBeNull()
    expect(parseDelivery('42')).toBeNull()
  })
})
