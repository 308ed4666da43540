// smtp.starttls.offered: STARTTLS is advertised after EHLO and really leads to a TLS session.
import { defineCheck, verdict } from '../../define.ts'
import { dialogue, guard, L, lastLine, notApplicable } from '../support.ts'

export default defineCheck({
  id: 'smtp.starttls.offered',
  title: L('STARTTLS est proposé et fonctionne', 'STARTTLS is offered and works'),
  explain: L(
    'Sans STARTTLS, les messages et les mots de passe circulent en clair. Le serveur doit annoncer STARTTLS dans sa réponse à EHLO, répondre 220 à la commande, puis réussir la négociation TLS.',
    'Without STARTTLS, messages and passwords travel in clear text. The server must list STARTTLS in its EHLO reply, answer 220 to the command, then complete the TLS handshake.',
  ),
  remedy: {
    postfix: 'main.cf: smtpd_tls_cert_file = /etc/letsencrypt/live/mail.domaine.tld/fullchain.pem, smtpd_tls_key_file = …/privkey.pem, smtpd_tls_security_level = may   puis: postfix reload (un 454 signale souvent une clé illisible: voir /var/log/mail.log)',
    exim: 'tls_advertise_hosts = *, tls_certificate = /usr/local/hestia/ssl/certificate.crt, tls_privatekey = /usr/local/hestia/ssl/certificate.key   puis: systemctl restart exim4 (la clé doit être lisible par le groupe Debian-exim)',
  },
  appliesTo: ['remote', 'sandbox'],
  async run(ctx) {
    if (ctx.target.mode === 'tls') return notApplicable(L('Ce port utilise TLS implicite, sans STARTTLS.', 'This port uses implicit TLS, without STARTTLS.'))
    return guard(L('STARTTLS', 'STARTTLS'), async () => {
      const f = await dialogue(ctx)
      const evidence = { lines: f.transcript, facts: { advertised: f.ehlo.extensions.has('STARTTLS'), protocol: f.starttls?.tls?.protocol ?? null, cipher: f.starttls?.tls?.cipher ?? null } }
      if (!f.starttls)
        return verdict.fail(L('Votre serveur n’annonce pas STARTTLS après EHLO : tout circule en clair.', 'Your server does not advertise STARTTLS after EHLO: everything travels in clear text.'), evidence)
      const r = f.starttls.reply
      if (r.code !== 220)
        return verdict.fail(
          L(`Votre serveur annonce STARTTLS mais le refuse (« ${lastLine(r)} ») : souvent un certificat ou une clé illisible.`, `Your server advertises STARTTLS but refuses it ("${lastLine(r)}"): often an unreadable certificate or key.`),
          evidence,
        )
      if (!f.starttls.tls)
        return verdict.fail(L(`La négociation TLS après STARTTLS échoue : ${f.starttls.error ?? 'erreur inconnue'}.`, `The TLS handshake after STARTTLS fails: ${f.starttls.error ?? 'unknown error'}.`), evidence)
      return verdict.pass(
        L(`STARTTLS fonctionne (${f.starttls.tls.protocol ?? '?'}, ${f.starttls.tls.cipher}).`, `STARTTLS works (${f.starttls.tls.protocol ?? '?'}, ${f.starttls.tls.cipher}).`),
        evidence,
      )
    })
  },
})
