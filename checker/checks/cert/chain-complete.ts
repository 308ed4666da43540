// cert.chain.complete: the server sends its certificate and every intermediate up to a trusted root, in order.
import { defineCheck, verdict } from '../../define.ts'
import { presentedChain } from '../../probes/presented-chain.ts'
import { endpointKey, trustAnchors } from '../../probes/tls.ts'
import { analyseChain } from '../../probes/x509.ts'
import { guard, L, sharedEndpoint } from '../support.ts'

export default defineCheck({
  id: 'cert.chain.complete',
  title: L('Chaîne de certificats complète', 'Complete certificate chain'),
  explain: L(
    'Le serveur doit envoyer son certificat suivi des certificats intermédiaires (fichier fullchain.pem), sinon les clients qui ne connaissent pas l’intermédiaire échouent avec « Verify return code: 21 (unable to verify the first certificate) ».',
    'The server must send its certificate followed by the intermediate certificates (fullchain.pem), otherwise clients that do not know the intermediate fail with "Verify return code: 21 (unable to verify the first certificate)".',
  ),
  remedy: {
    postfix: 'main.cf: smtpd_tls_cert_file = /etc/letsencrypt/live/mail.domaine.tld/fullchain.pem (et non cert.pem)   puis: postfix reload',
    exim: 'tls_certificate doit pointer vers le fullchain (certificat + intermédiaire), ex. /usr/local/hestia/ssl/mail/mail.domaine.tld.crt produit par acme.sh --fullchain-file   puis: systemctl restart exim4',
  },
  appliesTo: ['remote', 'sandbox'],
  async run(ctx) {
    return guard(L('la chaîne de certificats', 'the certificate chain'), async () => {
      const ep = sharedEndpoint(ctx)
      const p = await ctx.cache.get(`tls.presented.authenticated|${endpointKey(ep)}|${ep.ca ? 'ca' : ''}`, () => presentedChain(ep))
      const a = analyseChain(p.presented, trustAnchors(ctx.target.ca))
      const evidence = {
        lines: [...a.lines, ...(p.source === 'node' ? ['# TLS 1.3 only: chain as seen by Node (may include certificates from the local store)'] : [])],
        facts: { sent: p.presented.length, complete: a.complete, ordered: a.ordered, extra: a.extra, source: p.source },
      }
      if (!a.complete)
        return verdict.fail(
          L(
            `Votre serveur n’envoie pas l’intermédiaire qui a signé « ${a.missingIssuerOf} » : servez le fullchain, pas le certificat seul.`,
            `Your server does not send the intermediate that signed "${a.missingIssuerOf}": serve the fullchain, not the certificate alone.`,
          ),
          evidence,
        )
      if (!a.ordered || a.extra)
        return verdict.warn(
          L('La chaîne est complète mais contient des certificats en trop ou dans le désordre.', 'The chain is complete but holds extra or out-of-order certificates.'),
          evidence,
        )
      return verdict.pass(L(`La chaîne envoyée est complète (${p.presented.length} certificat(s)).`, `The chain sent is complete (${p.presented.length} certificate(s)).`), evidence)
    })
  },
})
