// cert.trusted: the certificate chains to a trusted root (the given CA file, e.g. Pebble's, or the public roots).
import { defineCheck, verdict } from '../../define.ts'
import { describeCert } from '../../probes/tls.ts'
import { certFacts, guard, L } from '../support.ts'

export default defineCheck({
  id: 'cert.trusted',
  title: L('Certificat signé par une autorité de confiance', 'Certificate signed by a trusted authority'),
  explain: L(
    'Un client ne peut pas distinguer votre serveur d’un imposteur si le certificat est auto-signé ou émis par une autorité inconnue. Le certificat doit remonter, via les intermédiaires envoyés, à une racine de confiance (Let’s Encrypt en production, Pebble dans le labo).',
    'A client cannot tell your server from an impostor if the certificate is self-signed or issued by an unknown authority. The certificate must lead, through the intermediates sent, to a trusted root (Let’s Encrypt in production, Pebble in the lab).',
  ),
  remedy: {
    postfix: 'Obtenir un certificat ACME (certbot ou acme.sh) puis main.cf: smtpd_tls_chain_files = /etc/letsencrypt/live/mail.domaine.tld/privkey.pem, /etc/letsencrypt/live/mail.domaine.tld/fullchain.pem   puis: postfix reload',
    exim: 'acme.sh --issue … puis --install-cert --fullchain-file /usr/local/hestia/ssl/mail/mail.domaine.tld.crt --key-file /usr/local/hestia/ssl/mail/mail.domaine.tld.key --reloadcmd "systemctl restart exim4"',
  },
  appliesTo: ['remote', 'sandbox'],
  async run(ctx) {
    return guard(L('la confiance du certificat', 'certificate trust'), async () => {
      const f = await certFacts(ctx)
      const store = ctx.target.ca ? 'CA file given' : 'public roots'
      const evidence = { lines: [...f.transcript, ...f.nodeChain.map((c, i) => `${i}: ${describeCert(c)}`)], facts: { authorized: f.authorized, error: f.authorizationError, trustStore: store } }
      if (f.authorized) return verdict.pass(L(`Le certificat est signé par une autorité de confiance (${f.leaf.issuer.replace(/\n/g, ', ')}).`, `The certificate is signed by a trusted authority (${f.leaf.issuer.replace(/\n/g, ', ')}).`), evidence)
      const self = f.leaf.subject === f.leaf.issuer
      return verdict.fail(
        self
          ? L('Votre certificat est auto-signé : aucun client ne peut vérifier qu’il parle bien à votre serveur.', 'Your certificate is self-signed: no client can verify that it is talking to your server.')
          : L(`Votre certificat n’est pas reconnu (${f.authorizationError}) : autorité inconnue ou intermédiaire manquant.`, `Your certificate is not trusted (${f.authorizationError}): unknown authority or missing intermediate.`),
        evidence,
      )
    })
  },
})
