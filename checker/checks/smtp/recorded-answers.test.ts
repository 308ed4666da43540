// smtp.vrfy.disabled and smtp.tls.required-before-mail against answers recorded from the labs' real servers
// (Postfix 3.7 and Exim 4.96, December 2026), replayed word for word by a loopback SMTP server.
import { describe, expect, it } from 'vitest'
import { FAST, runCheck } from '../../test-support/run-check.ts'
import { useScriptedSmtp } from '../../test-support/scripted-fleet.ts'
import type { ScriptedSmtpOptions } from '../../test-support/smtp-servers.ts'
import type { Target } from '../../types.ts'

const serve = useScriptedSmtp({ domain: 'domaine.tld' })

// EHLO keywords as each server sent them before STARTTLS on 587.
const POSTFIX_EHLO = ['PIPELINING', 'SIZE 10240000', 'VRFY', 'ETRN', 'ENHANCEDSTATUSCODES', '8BITMIME', 'DSN', 'SMTPUTF8', 'CHUNKING']
const EXIM_EHLO_AUTH_IN_CLEAR = ['SIZE 52428800', '8BITMIME', 'PIPELINING', 'PIPECONNECT', 'AUTH PLAIN LOGIN', 'CHUNKING', 'SMTPUTF8', 'HELP']
const EXIM_EHLO_AUTH_AFTER_TLS = ['SIZE 52428800', '8BITMIME', 'PIPELINING', 'PIPECONNECT', 'CHUNKING', 'SMTPUTF8', 'HELP']

const mailReply = (text: string): ScriptedSmtpOptions['reply'] => (verb, _arg, s) => (verb === 'MAIL' && !s.secure ? text : undefined)

describe('smtp.tls.required-before-mail on recorded answers', () => {
  it('Postfix submission with smtpd_tls_security_level=encrypt ("530 5.7.0 Must issue a STARTTLS command first") passes', async () => {
    const r = await runCheck('smtp.tls.required-before-mail', await serve({ extensions: POSTFIX_EHLO, reply: mailReply('530 5.7.0 Must issue a STARTTLS command first') }))
    expect(r.status, r.summary.en).toBe('pass')
  })

  it('Exim requiring AUTH ("530 5.7.0 Authentication required") while offering AUTH PLAIN in clear text fails: a client can log in and submit unencrypted', async () => {
    const r = await runCheck('smtp.tls.required-before-mail', await serve({ extensions: EXIM_EHLO_AUTH_IN_CLEAR, reply: mailReply('530 5.7.0 Authentication required') }))
    expect(r.status, r.summary.en).toBe('fail')
    expect(r.summary.en).toMatch(/AUTH/)
    expect(r.evidence.lines).toContain('S: 530 5.7.0 Authentication required')
  })

  it('Exim requiring AUTH and offering it only after STARTTLS passes: nothing can be submitted before TLS', async () => {
    const r = await runCheck('smtp.tls.required-before-mail', await serve({ extensions: EXIM_EHLO_AUTH_AFTER_TLS, reply: mailReply('530 5.7.0 Authentication required') }))
    expect(r.status, r.summary.en).toBe('pass')
    expect(r.summary.en).toMatch(/only after STARTTLS/)
  })
})

describe('smtp.vrfy.disabled on recorded answers', () => {
  const vrfy = (answer: (addr: string) => string): ScriptedSmtpOptions['reply'] => (verb, arg) => (verb === 'VRFY' ? answer(arg) : undefined)

  it('Postfix with VRFY enabled, probed for a domain it does not serve ("454 4.7.1 <…>: Relay access denied") fails: VRFY was processed', async () => {
    const r = await runCheck('smtp.vrfy.disabled', await serve({ extensions: POSTFIX_EHLO, reply: vrfy((a) => `454 4.7.1 <${a}>: Relay access denied`) }))
    expect(r.status, r.summary.en).toBe('fail')
    expect(r.summary.en).toMatch(/454 4\.7\.1/)
  })

  it('Postfix with disable_vrfy_command = yes ("502 5.5.1 VRFY command is disabled") passes', async () => {
    const r = await runCheck('smtp.vrfy.disabled', await serve({ extensions: POSTFIX_EHLO.filter((e) => e !== 'VRFY'), reply: vrfy(() => '502 5.5.1 VRFY command is disabled') }))
    expect(r.status, r.summary.en).toBe('pass')
  })

  it('Exim without acl_smtp_vrfy ("252 Administrative prohibition" for every address) passes: RFC 5321 §3.5.3 252 verifies nothing', async () => {
    const r = await runCheck('smtp.vrfy.disabled', await serve({ extensions: EXIM_EHLO_AUTH_IN_CLEAR, reply: vrfy(() => '252 Administrative prohibition') }))
    expect(r.status, r.summary.en).toBe('pass')
  })

  it('Postfix with VRFY enabled for its own domain (252 for postmaster, 550 5.1.1 for a made-up user) fails', async () => {
    const r = await runCheck(
      'smtp.vrfy.disabled',
      await serve({
        extensions: POSTFIX_EHLO,
        reply: vrfy((a) => (a.startsWith('postmaster@') ? `252 2.0.0 ${a}` : `550 5.1.1 <${a}>: Recipient address rejected: User unknown in local recipient table`)),
      }),
    )
    expect(r.status, r.summary.en).toBe('fail')
  })

  it('Exim with acl_smtp_vrfy = a "deny" ACL, VRFY advertised ("252 Administrative prohibition") passes', async () => {
    const r = await runCheck('smtp.vrfy.disabled', await serve({ extensions: ['SIZE 52428800', '8BITMIME', 'VRFY', 'PIPELINING', 'HELP'], reply: vrfy(() => '252 Administrative prohibition') }))
    expect(r.status, r.summary.en).toBe('pass')
  })

  // Not recorded: a generic blanket refusal, the shape RFC 5321 leaves to policy.
  it('one same 5xx for every address that does not quote it ("550 5.7.1 VRFY refused by policy") passes', async () => {
    const r = await runCheck('smtp.vrfy.disabled', await serve({ reply: vrfy(() => '550 5.7.1 VRFY refused by policy') }))
    expect(r.status, r.summary.en).toBe('pass')
  })
})
