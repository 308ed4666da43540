import { describe, expect, it } from 'vitest'
import { FAST, runCheck } from '../../test-support/run-check.ts'
import { useScriptedSmtp } from '../../test-support/scripted-fleet.ts'
import type { Target } from '../../types.ts'
import { bannerLeak } from './banner-no-version.ts'

const serve = useScriptedSmtp()

describe('smtp.banner.no-version', () => {
  it('an Exim banner with its version fails, a Postfix (Debian) banner warns, a bare one passes', async () => {
    expect((await runCheck('smtp.banner.no-version', await serve({ greeting: '220 mail.domaine.tld ESMTP Exim 4.96 Mon, 25 Nov 2024 10:00:00 +0000' }))).status).toBe('fail')
    expect((await runCheck('smtp.banner.no-version', await serve({ greeting: '220 mail.domaine.tld ESMTP Postfix (Debian/GNU)' }))).status).toBe('warn')
    const ok = await runCheck('smtp.banner.no-version', await serve({ greeting: '220 mail.domaine.tld ESMTP' }))
    expect(ok.status).toBe('pass')
    expect(ok.evidence.lines[0]).toBe('S: 220 mail.domaine.tld ESMTP')
  })

  it('dates and host names with digits are not mistaken for versions', () => {
    expect(bannerLeak('mx2.example.com ESMTP Mon, 25 Nov 2024 10:22:33 +0100').version).toBeNull()
    expect(bannerLeak('mail ESMTP Postfix 3.7.11').version).toBe('Postfix 3.7.11')
  })
})

describe('smtp.starttls.offered', () => {
  it('a server advertising a working STARTTLS passes', async () => {
    const r = await runCheck('smtp.starttls.offered', await serve())
    expect(r.status).toBe('pass')
    expect(r.evidence.facts?.['protocol']).toBe('TLSv1.3')
  })
  it('a server without STARTTLS in its EHLO fails', async () => {
    expect((await runCheck('smtp.starttls.offered', await serve({ offerStartTls: false }))).status).toBe('fail')
  })
  it('a server answering 454 to STARTTLS (unreadable key) fails with the reply quoted', async () => {
    const r = await runCheck('smtp.starttls.offered', await serve({ reply: (v) => (v === 'STARTTLS' ? '454 4.7.0 TLS not available due to local problem' : undefined) }))
    expect(r.status).toBe('fail')
    expect(r.summary.en).toContain('454 4.7.0')
  })
})

describe('smtp.auth.hidden-before-tls and smtp.auth.offered-after-tls', () => {
  it('a server offering AUTH only after STARTTLS passes both', async () => {
    const t = await serve()
    expect((await runCheck('smtp.auth.hidden-before-tls', t)).status).toBe('pass')
    expect((await runCheck('smtp.auth.offered-after-tls', t)).status).toBe('pass')
  })
  it('a server offering AUTH PLAIN before STARTTLS (smtpd_tls_auth_only=no) fails the first', async () => {
    const r = await runCheck('smtp.auth.hidden-before-tls', await serve({ extensions: ['PIPELINING', 'AUTH PLAIN LOGIN'] }))
    expect(r.status).toBe('fail')
    expect(r.summary.fr).toContain('AUTH PLAIN LOGIN avant STARTTLS')
  })
  it('a server that never offers AUTH fails the second', async () => {
    expect((await runCheck('smtp.auth.offered-after-tls', await serve({ extensionsAfterTls: ['PIPELINING'] }))).status).toBe('fail')
  })
  it('the old AUTH=PLAIN spelling counts as AUTH', async () => {
    expect((await runCheck('smtp.auth.hidden-before-tls', await serve({ extensions: ['AUTH=PLAIN LOGIN'] }))).status).toBe('fail')
  })
})

describe('smtp.tls.required-before-mail', () => {
  it('a submission port answering 530 5.7.0 to MAIL before STARTTLS passes', async () => {
    const r = await runCheck('smtp.tls.required-before-mail', await serve({ reply: (v, _a, s) => (v === 'MAIL' && !s.secure ? '530 5.7.0 Must issue a STARTTLS command first' : undefined) }))
    expect(r.status).toBe('pass')
    expect(r.evidence.lines).toContain('S: 530 5.7.0 Must issue a STARTTLS command first')
  })
  it('a submission port accepting MAIL in clear text fails', async () => {
    expect((await runCheck('smtp.tls.required-before-mail', await serve())).status).toBe('fail')
  })
  it('port 25 is not judged: it must stay opportunistic', async () => {
    const t = await serve()
    expect((await runCheck('smtp.tls.required-before-mail', { ...t, port: 25 })).status).toBe('skip')
  })
})

describe('smtp.vrfy.disabled', () => {
  it('VRFY answered 502 passes', async () => {
    expect((await runCheck('smtp.vrfy.disabled', await serve())).status).toBe('pass')
  })
  it('VRFY confirming postmaster with 252 but rejecting a made-up user (Postfix default) fails', async () => {
    const r = await runCheck('smtp.vrfy.disabled', await serve({ reply: (v, a) => (v === 'VRFY' ? (a.startsWith('postmaster@') ? '252 2.0.0 postmaster' : '550 5.1.1 <x>: Recipient address rejected: User unknown') : undefined) }))
    expect(r.status).toBe('fail')
  })
  it('VRFY answering 250 fails', async () => {
    expect((await runCheck('smtp.vrfy.disabled', await serve({ reply: (v) => (v === 'VRFY' ? '250 2.0.0 <postmaster@mail.test>' : undefined) }))).status).toBe('fail')
  })
})

describe('smtp.etrn.rejected', () => {
  it('ETRN answered 554 (smtpd_etrn_restrictions = reject) passes', async () => {
    expect((await runCheck('smtp.etrn.rejected', await serve({ reply: (v) => (v === 'ETRN' ? '554 5.7.1 <unknown[127.0.0.1]>: Client host rejected: Access denied' : undefined) }))).status).toBe('pass')
  })
  it('ETRN answered 250 Queuing started fails', async () => {
    expect((await runCheck('smtp.etrn.rejected', await serve({ reply: (v) => (v === 'ETRN' ? '250 Queuing started' : undefined) }))).status).toBe('fail')
  })
  it('ETRN refused by policy with a 4xx (Exim without acl_smtp_etrn: 458 Administrative prohibition) passes', async () => {
    expect((await runCheck('smtp.etrn.rejected', await serve({ reply: (v) => (v === 'ETRN' ? '458 Administrative prohibition' : undefined) }))).status).toBe('pass')
  })
  it('ETRN processed but not queued (459) warns', async () => {
    expect((await runCheck('smtp.etrn.rejected', await serve({ reply: (v) => (v === 'ETRN' ? '459 4.3.0 <domaine.tld>: service unavailable' : undefined) }))).status).toBe('warn')
  })
})

describe('smtp.connection-limit', () => {
  it('a server refusing connections beyond the 5th with 421 passes', async () => {
    const r = await runCheck('smtp.connection-limit', await serve({ maxConnections: 5 }), { max: 10 })
    expect(r.status).toBe('pass')
    expect(r.evidence.facts).toMatchObject({ accepted: 5, attempted: 8 })
  })
  it('a server accepting every connection fails', async () => {
    const r = await runCheck('smtp.connection-limit', await serve(), { max: 8 })
    expect(r.status).toBe('fail')
    expect(r.evidence.facts?.['accepted']).toBe(8)
  })
})
