// smtp.auth.hidden-before-tls: AUTH must not be advertised before STARTTLS, so passwords never go in clear.
import { defineCheck, verdict } from '../../define.ts'
import { authMechanisms } from '../../probes/smtp.ts'
import { dialogue, guard, L, notApplicable } from '../support.ts'

export default defineCheck({
  id: 'smtp.auth.hidden-before-tls',
  title: L('AUTH caché avant STARTTLS', 'AUTH hidden before STARTTLS'),
  explain: L(
    'Si AUTH est proposé avant STARTTLS, un client mal réglé (ou forcé par un attaquant qui supprime STARTTLS) envoie son mot de passe en clair. AUTH ne doit apparaître qu’après la négociation TLS.',
    'If AUTH is offered before STARTTLS, a careless client (or one forced by an attacker who strips STARTTLS) sends its password in clear text. AUTH must only appear after the TLS handshake.',
  ),
  remedy: {
    postfix: 'main.cf (ou -o dans master.cf pour submission): smtpd_tls_auth_only = yes   puis: postfix reload',
    exim: 'auth_advertise_hosts = ${if eq{$tls_in_cipher}{}{}{*}}   (ou server_advertise_condition = ${if def:tls_in_cipher} dans chaque authentificateur) puis: systemctl restart exim4',
  },
  appliesTo: ['remote', 'sandbox'],
  defaultTarget: { port: 587, mode: 'starttls' },
  async run(ctx) {
    if (ctx.target.mode === 'tls') return notApplicable(L('Ce port utilise TLS implicite : il n’y a pas de phase en clair.', 'This port uses implicit TLS: there is no clear-text phase.'))
    return guard(L('AUTH avant STARTTLS', 'AUTH before STARTTLS'), async () => {
      const f = await dialogue(ctx)
      const mechs = authMechanisms(f.ehlo)
      const evidence = { lines: f.transcript, facts: { authBeforeTls: mechs } }
      if (mechs.length)
        return verdict.fail(
          L(`Votre serveur propose AUTH ${mechs.join(' ')} avant STARTTLS : un mot de passe peut passer en clair.`, `Your server offers AUTH ${mechs.join(' ')} before STARTTLS: a password can travel in clear text.`),
          evidence,
        )
      return verdict.pass(L('AUTH n’est pas proposé avant STARTTLS.', 'AUTH is not offered before STARTTLS.'), evidence)
    })
  },
})
