// cert.name.matches: the certificate covers the host name clients connect to (SAN, wildcard rules of RFC 6125).
import { defineCheck, verdict } from '../../define.ts'
import { sniOf } from '../../probes/smtp.ts'
import { certNamesHost } from '../../probes/x509.ts'
import { certFacts, guard, L, notApplicable } from '../support.ts'

export function sanOf(subjectAltName: string | undefined): string[] {
  return (subjectAltName ?? '').split(/,\s*/).filter(Boolean)
}

export default defineCheck({
  id: 'cert.name.matches',
  title: L('Le certificat correspond au nom du serveur', 'The certificate matches the server name'),
  explain: L(
    'Le nom utilisé pour joindre le serveur (celui du MX, ex. mail.domaine.tld) doit figurer dans le champ Subject Alternative Name du certificat ; sinon les clients qui vérifient (DANE, MTA-STS, logiciels de messagerie) refusent la connexion.',
    'The name used to reach the server (the MX name, e.g. mail.domaine.tld) must be in the certificate’s Subject Alternative Name; otherwise verifying clients (DANE, MTA-STS, mail apps) refuse the connection.',
  ),
  remedy: {
    postfix: 'Réémettre le certificat pour le bon nom (certbot certonly -d mail.domaine.tld) et le désigner dans smtpd_tls_cert_file / smtpd_tls_chain_files   puis: postfix reload',
    exim: 'Réémettre le certificat pour mail.domaine.tld (acme.sh --issue -d mail.domaine.tld) et l’installer dans /usr/local/hestia/ssl/mail/mail.domaine.tld.crt   puis: systemctl restart exim4',
  },
  appliesTo: ['remote', 'sandbox'],
  async run(ctx) {
    const name = sniOf(ctx.target)
    if (!name) return notApplicable(L('Aucun nom d’hôte à comparer (donnez --servername).', 'No host name to compare with (give --servername).'))
    return guard(L('le nom du certificat', 'the certificate name'), async () => {
      const f = await certFacts(ctx)
      const san = sanOf(f.leaf.subjectAltName)
      const evidence = { lines: [...f.transcript, `subject=${f.leaf.subject.replace(/\n/g, ', ')}`, `SAN=${san.join(', ') || '(none)'}`], facts: { name, san } }
      // The project's one matcher (RFC 6125: CN only without DNS SANs), the same one cert.sni.selects and DANE-TA use.
      if (!certNamesHost(f.leaf, name))
        return verdict.fail(L(`Le certificat ne couvre pas ${name} (noms présents : ${san.join(', ') || 'aucun'}).`, `The certificate does not cover ${name} (names present: ${san.join(', ') || 'none'}).`), evidence)
      return verdict.pass(L(`Le certificat couvre ${name}.`, `The certificate covers ${name}.`), evidence)
    })
  },
})
