// smtp.auth.offered-after-tls: once TLS is up, the submission port offers AUTH so users can log in.
import { defineCheck, verdict } from '../../define.ts'
import { authMechanisms } from '../../probes/smtp.ts'
import { dialogue, guard, L, lastLine } from '../support.ts'

export default defineCheck({
  id: 'smtp.auth.offered-after-tls',
  title: L('AUTH proposé après STARTTLS', 'AUTH offered after STARTTLS'),
  explain: L(
    'Sur le port de soumission (587 ou 465), les utilisateurs s’authentifient pour envoyer leurs messages. Une fois TLS établi, la réponse à EHLO doit annoncer AUTH avec au moins un mécanisme (PLAIN, LOGIN…).',
    'On the submission port (587 or 465), users log in to send their mail. Once TLS is up, the EHLO reply must list AUTH with at least one mechanism (PLAIN, LOGIN…).',
  ),
  remedy: {
    postfix: 'master.cf, service submission: -o smtpd_sasl_auth_enable=yes -o smtpd_sasl_type=dovecot -o smtpd_sasl_path=private/auth -o smtpd_tls_security_level=encrypt   puis: postfix reload',
    exim: 'Un authentificateur (driver = dovecot, server_socket = /var/run/dovecot/auth-client) et auth_advertise_hosts = * ; daemon_smtp_ports = 25 : 465 : 587   puis: systemctl restart exim4',
  },
  appliesTo: ['remote', 'sandbox'],
  defaultTarget: { port: 587, mode: 'starttls' },
  async run(ctx) {
    return guard(L('AUTH après STARTTLS', 'AUTH after STARTTLS'), async () => {
      const f = await dialogue(ctx)
      const afterTls = f.implicitTls ? f.ehlo : f.starttls?.ehlo
      const evidence = { lines: f.transcript, facts: { authAfterTls: authMechanisms(afterTls) } }
      if (!f.implicitTls) {
        if (!f.starttls)
          return verdict.fail(L('STARTTLS n’est pas proposé : AUTH ne peut pas l’être de façon sûre.', 'STARTTLS is not offered, so AUTH cannot be offered safely.'), evidence)
        if (f.starttls.reply.code !== 220 || !f.starttls.ehlo)
          return verdict.inconclusive(
            'protocol',
            L(`Impossible d’établir TLS (${f.starttls.error ?? lastLine(f.starttls.reply)}) : AUTH après TLS n’a pas pu être observé.`, `Could not establish TLS (${f.starttls.error ?? lastLine(f.starttls.reply)}): AUTH after TLS could not be observed.`),
            evidence,
          )
      }
      const mechs = authMechanisms(afterTls)
      if (!mechs.length)
        return verdict.fail(L('Après TLS, votre serveur n’annonce pas AUTH : les utilisateurs ne peuvent pas s’authentifier.', 'After TLS, your server does not advertise AUTH: users cannot log in.'), evidence)
      return verdict.pass(L(`AUTH ${mechs.join(' ')} est proposé une fois TLS établi.`, `AUTH ${mechs.join(' ')} is offered once TLS is up.`), evidence)
    })
  },
})
