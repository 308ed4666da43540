// smtp.tls.required-before-mail: on the submission port, MAIL FROM before STARTTLS is refused with 530 5.7.0.
import { defineCheck, verdict } from '../../define.ts'
import { authMechanisms, DEFAULT_EHLO, smtpCommands } from '../../probes/smtp.ts'
import { guard, L, lastLine, notApplicable, ownEndpoint } from '../support.ts'

const TLS_WORDS = /starttls|\btls\b|\bssl\b|encrypt|chiffr/i
// RFC 3207 §4 defines "530 5.7.0 Must issue a STARTTLS command first"; RFC 5248 adds X.7.10 "Encryption needed".
// RFC 4954 §6 uses the same 530 5.7.0 for "Authentication required": the code alone does not say which is missing.
const TLS_ENHANCED = new Set(['5.7.10', '5.7.11'])

export default defineCheck({
  id: 'smtp.tls.required-before-mail',
  title: L('TLS obligatoire avant MAIL FROM (port 587)', 'TLS required before MAIL FROM (port 587)'),
  explain: L(
    'Le port de soumission ne doit accepter aucun message sans chiffrement : avant STARTTLS, MAIL FROM doit recevoir « 530 5.7.0 Must issue a STARTTLS command first ». Le port 25 (réception depuis Internet) reste, lui, en TLS opportuniste.',
    'The submission port must accept no message without encryption: before STARTTLS, MAIL FROM must get "530 5.7.0 Must issue a STARTTLS command first". Port 25 (mail from the Internet) stays opportunistic.',
  ),
  remedy: {
    postfix: 'master.cf, service submission: -o smtpd_tls_security_level=encrypt   puis: postfix reload',
    exim: 'Dans acl_smtp_mail: deny condition = ${if eq{$received_port}{587}} !encrypted = *  message = 530 5.7.0 Must issue a STARTTLS command first   puis: systemctl restart exim4',
  },
  appliesTo: ['remote', 'sandbox'],
  defaultTarget: { port: 587, mode: 'starttls' },
  async run(ctx) {
    if (ctx.target.mode === 'tls') return notApplicable(L('Ce port utilise TLS implicite : tout y est déjà chiffré.', 'This port uses implicit TLS: everything there is already encrypted.'))
    if (ctx.target.port === 25)
      return notApplicable(L('Le port 25 doit accepter le courrier sans TLS (TLS opportuniste) : vérifiez le port 587.', 'Port 25 must accept mail without TLS (opportunistic TLS): check port 587.'))
    return guard(L('MAIL FROM avant STARTTLS', 'MAIL FROM before STARTTLS'), async () => {
      const sender = `probe@${ctx.target.ehloName ?? DEFAULT_EHLO}`
      const r = await smtpCommands(ownEndpoint(ctx), [`MAIL FROM:<${sender}>`, 'RSET'], { tls: false })
      const mail = r.replies[0]!.reply
      const evidence = { lines: r.transcript, facts: { code: mail.code, enhanced: mail.enhanced ?? null } }
      const text = mail.lines.join(' ')
      if (mail.code >= 200 && mail.code < 400)
        return verdict.fail(
          L(`Votre serveur accepte MAIL FROM sans chiffrement (« ${lastLine(mail)} ») : un message peut être soumis en clair.`, `Your server accepts MAIL FROM without encryption ("${lastLine(mail)}"): a message can be submitted in clear text.`),
          evidence,
        )
      if (mail.code >= 400 && mail.code < 500)
        return verdict.inconclusive('temporary', L(`Réponse temporaire à MAIL FROM : « ${lastLine(mail)} ».`, `Temporary answer to MAIL FROM: "${lastLine(mail)}".`), evidence)
      if (TLS_WORDS.test(text) || (mail.enhanced !== undefined && TLS_ENHANCED.has(mail.enhanced)))
        return verdict.pass(L(`MAIL FROM est refusé avant STARTTLS (« ${lastLine(mail)} »).`, `MAIL FROM is refused before STARTTLS ("${lastLine(mail)}").`), evidence)
      if (mail.code === 530 || /\bauth/i.test(text)) {
        // Refused for want of AUTH: TLS is required only if AUTH itself cannot be used before STARTTLS.
        const clearAuth = authMechanisms(r.ehlo)
        if (clearAuth.length)
          return verdict.fail(
            L(
              `MAIL FROM exige une authentification (« ${lastLine(mail)} »), mais AUTH (${clearAuth.join(' ')}) est proposé avant STARTTLS : un client peut s’authentifier puis soumettre un message en clair.`,
              `MAIL FROM requires authentication ("${lastLine(mail)}"), but AUTH (${clearAuth.join(' ')}) is offered before STARTTLS: a client can log in and submit a message in clear text.`,
            ),
            { lines: r.transcript, facts: { ...evidence.facts, authBeforeTls: clearAuth } },
          )
        return verdict.pass(
          L(
            `MAIL FROM exige une authentification (« ${lastLine(mail)} ») et AUTH n’est proposé qu’après STARTTLS : rien ne peut être soumis avant TLS.`,
            `MAIL FROM requires authentication ("${lastLine(mail)}") and AUTH is offered only after STARTTLS: nothing can be submitted before TLS.`,
          ),
          evidence,
        )
      }
      return verdict.warn(
        L(`MAIL FROM est refusé, mais pas parce que TLS manque (« ${lastLine(mail)} ») : exigez STARTTLS explicitement.`, `MAIL FROM is refused, but not because TLS is missing ("${lastLine(mail)}"): require STARTTLS explicitly.`),
        evidence,
      )
    })
  },
})
