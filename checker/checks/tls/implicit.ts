// tls.implicit: port 465 speaks TLS from the first byte (RFC 8314), then SMTP inside it.
import { defineCheck, verdict } from '../../define.ts'
import { ProbeError } from '../../probes/probe-error.ts'
import { PLAINTEXT_ANSWER, SmtpSession } from '../../probes/smtp.ts'
import { guard, L, notApplicable, ownEndpoint } from '../support.ts'


export default defineCheck({
  id: 'tls.implicit',
  title: L('TLS implicite sur le port 465', 'Implicit TLS on port 465'),
  explain: L(
    'Sur le port 465 (« submissions », RFC 8314), le client commence directement par TLS, sans STARTTLS : aucune commande ne passe en clair et aucun attaquant ne peut supprimer le chiffrement. Le serveur doit négocier TLS dès la connexion puis envoyer sa bannière 220.',
    'On port 465 ("submissions", RFC 8314), the client starts with TLS right away, without STARTTLS: no command travels in clear text and no attacker can strip encryption. The server must negotiate TLS on connect, then send its 220 banner.',
  ),
  remedy: {
    postfix: 'master.cf: décommenter le service « submissions inet n - y - - smtpd » avec -o smtpd_tls_wrappermode=yes -o smtpd_sasl_auth_enable=yes   puis: postfix reload',
    exim: 'daemon_smtp_ports = 25 : 465 : 587 et tls_on_connect_ports = 465   puis: systemctl restart exim4',
  },
  appliesTo: ['remote', 'sandbox'],
  defaultTarget: { port: 465, mode: 'tls' },
  async run(ctx) {
    if (ctx.target.mode !== 'tls') return notApplicable(L('Ce port n’est pas audité en TLS implicite (utilisez --tls).', 'This port is not audited as implicit TLS (use --tls).'))
    const where = `${ctx.target.host}:${ctx.target.port}`
    return guard(L(`le TLS implicite sur ${where}`, `implicit TLS on ${where}`), async () => {
      let s: SmtpSession
      try {
        s = await SmtpSession.open(ownEndpoint(ctx))
      } catch (e) {
        if (e instanceof ProbeError && e.message.startsWith('TLS handshake failed')) {
          const evidence = { lines: [...e.transcript, `# ${e.message}`] }
          if (PLAINTEXT_ANSWER.test(e.message))
            return verdict.fail(L(`Le port ${ctx.target.port} répond en clair au lieu de TLS : ce n’est pas du TLS implicite.`, `Port ${ctx.target.port} answers in clear text instead of TLS: this is not implicit TLS.`), evidence)
          return verdict.fail(L(`La négociation TLS échoue sur le port ${ctx.target.port} : ${e.message}.`, `The TLS handshake fails on port ${ctx.target.port}: ${e.message}.`), evidence)
        }
        throw e
      }
      const tls = s.tls
      await s.quit()
      return verdict.pass(
        L(`TLS implicite fonctionne (${tls?.protocol ?? '?'}, ${tls?.cipher ?? '?'}) et la bannière arrive chiffrée.`, `Implicit TLS works (${tls?.protocol ?? '?'}, ${tls?.cipher ?? '?'}) and the banner arrives encrypted.`),
        { lines: s.transcript, facts: { protocol: tls?.protocol ?? null, cipher: tls?.cipher ?? null } },
      )
    })
  },
})
