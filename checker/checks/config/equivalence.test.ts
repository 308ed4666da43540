// Unit tests of equivalent spellings: Postfix protocol lists as sets of TLS versions, booleans, list separators.
import { describe, expect, it } from 'vitest'
import { isProtocolListParam, postfixProtocols, sameMeaning } from './equivalence.ts'

const set = (v: string) => [...(postfixProtocols(v) ?? ['(unreadable)'])].sort()

describe('Postfix protocol lists read as the TLS versions they leave enabled', () => {
  it('reads ">=TLSv1.2" and the exclusion form Postfix’s documentation long used as the same two versions', () => {
    expect(set('>=TLSv1.2')).toEqual(['TLSv1.2', 'TLSv1.3'])
    expect(set('!SSLv2, !SSLv3, !TLSv1, !TLSv1.1')).toEqual(['TLSv1.2', 'TLSv1.3'])
    expect(set('!SSLv3 !TLSv1 !TLSv1.1')).toEqual(['TLSv1.2', 'TLSv1.3'])
    expect(set('!sslv2:!sslv3:!tlsv1:!tlsv1.1')).toEqual(['TLSv1.2', 'TLSv1.3'])
    expect(set('>= TLSv1.2')).toEqual(['TLSv1.2', 'TLSv1.3'])
    expect(set('TLSv1.2 TLSv1.3')).toEqual(['TLSv1.2', 'TLSv1.3'])
  })

  it('keeps the versions a weaker list still allows', () => {
    expect(set('!SSLv2, !SSLv3')).toEqual(['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'])
    expect(set('')).toEqual(['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'])
    expect(set('>=TLSv1.1')).toEqual(['TLSv1.1', 'TLSv1.2', 'TLSv1.3'])
    expect(set('>=TLSv1.2, <=TLSv1.2')).toEqual(['TLSv1.2'])
    expect(set('>=TLSv1 !TLSv1.1')).toEqual(['TLSv1', 'TLSv1.2', 'TLSv1.3'])
  })

  it('cannot read a list with an unknown name', () => {
    expect(postfixProtocols('>=TLSv1.4')).toBeNull()
    expect(postfixProtocols('!SSLv2, TLS1.2')).toBeNull()
  })

  it('knows which parameters are protocol lists, master.cf overrides included', () => {
    for (const n of ['smtpd_tls_protocols', 'smtpd_tls_mandatory_protocols', 'smtp_tls_protocols', 'smtp_tls_mandatory_protocols', 'lmtp_tls_protocols', 'submission/inet/smtpd_tls_protocols'])
      expect(isProtocolListParam(n), n).toBe(true)
    expect(isProtocolListParam('smtpd_tls_ciphers')).toBe(false)
  })
})

describe('same meaning, other spelling', () => {
  it('accepts the exclusion form for >=TLSv1.2 in both smtpd_ and smtp_ parameters, mandatory ones too', () => {
    for (const n of ['smtpd_tls_protocols', 'smtpd_tls_mandatory_protocols', 'smtp_tls_protocols', 'smtp_tls_mandatory_protocols'])
      expect(sameMeaning(n, 'postfix', '>=TLSv1.2', '!SSLv2, !SSLv3, !TLSv1, !TLSv1.1'), n).toBe(true)
  })

  it('refuses a protocol list that still allows TLS 1.0 or 1.1', () => {
    expect(sameMeaning('smtpd_tls_protocols', 'postfix', '>=TLSv1.2', '!SSLv2, !SSLv3')).toBe(false)
    expect(sameMeaning('smtpd_tls_protocols', 'postfix', '>=TLSv1.2', '!SSLv2, !SSLv3, !TLSv1')).toBe(false)
    expect(sameMeaning('smtpd_tls_protocols', 'postfix', '>=TLSv1.2', '>=TLSv1.3')).toBe(false)
  })

  it('reads yes/no in any case, and Exim’s true/false as yes/no', () => {
    expect(sameMeaning('smtpd_tls_auth_only', 'postfix', 'yes', 'YES')).toBe(true)
    expect(sameMeaning('smtpd_tls_auth_only', 'postfix', 'yes', 'no')).toBe(false)
    expect(sameMeaning('tls_resumption_hosts', 'exim', 'yes', 'true')).toBe(true)
  })

  it('reads Postfix lists with commas or spaces alike, in order, but not free text', () => {
    expect(sameMeaning('smtpd_relay_restrictions', 'postfix', 'permit_mynetworks, reject_unauth_destination', 'permit_mynetworks reject_unauth_destination')).toBe(true)
    expect(sameMeaning('smtpd_relay_restrictions', 'postfix', 'permit_mynetworks, reject_unauth_destination', 'reject_unauth_destination, permit_mynetworks')).toBe(false)
    expect(sameMeaning('smtpd_banner', 'postfix', '$myhostname, ESMTP', '$myhostname ESMTP')).toBe(false)
  })

  it('reads Exim lists with or without spaces around the colons', () => {
    expect(sameMeaning('daemon_smtp_ports', 'exim', '25:465:587', '25 : 465 : 587')).toBe(true)
    expect(sameMeaning('daemon_smtp_ports', 'exim', '25:465', '25 : 587')).toBe(false)
  })
})
