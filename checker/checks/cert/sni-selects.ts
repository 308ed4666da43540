// cert.sni.selects: each name sent in SNI gets its own certificate (per-domain certificates on one mail host).
import { defineCheck, verdict } from '../../define.ts'
import { sniOf } from '../../probes/smtp.ts'
import type { CheckContext } from '../../types.ts'
import { certFacts, guard, L, notApplicable } from '../support.ts'
import { certNamesHost } from '../../probes/x509.ts'

/** params.names: { "mail.client2.tld": "mail.client2.tld" } — SNI name → name the chosen certificate must cover. */
function expectations(ctx: CheckContext): [string, string][] {
  const names = ctx.params['names']
  if (names && typeof names === 'object') return Object.entries(names as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' && v ? v : k])
  const own = sniOf(ctx.target)
  return own ? [[own, own]] : []
}


export default defineCheck({
  id: 'cert.sni.selects',
  title: L('Le bon certificat est choisi selon le nom (SNI)', 'The right certificate is chosen by name (SNI)'),
  explain: L(
    'Un serveur qui héberge plusieurs domaines (mail.domaine.tld, mail.client2.tld…) reçoit dans la négociation TLS le nom demandé (SNI) et doit présenter le certificat de ce domaine-là, pas un certificat par défaut.',
    'A server hosting several domains (mail.domaine.tld, mail.client2.tld…) receives the requested name in the TLS handshake (SNI) and must present that domain’s certificate, not a default one.',
  ),
  remedy: {
    postfix: 'main.cf: tls_server_sni_maps = hash:/etc/postfix/sni_maps (lignes « mail.client2.tld /etc/…/privkey.pem /etc/…/fullchain.pem »), puis: postmap -F hash:/etc/postfix/sni_maps && postfix reload',
    exim: 'tls_certificate = ${if exists{/usr/local/hestia/ssl/mail/${tls_in_sni}.crt}{/usr/local/hestia/ssl/mail/${tls_in_sni}.crt}{/usr/local/hestia/ssl/certificate.crt}} (et tls_privatekey de même)   puis: systemctl restart exim4',
  },
  appliesTo: ['remote', 'sandbox'],
  cost: 3,
  async run(ctx) {
    const wanted = expectations(ctx)
    if (!wanted.length) return notApplicable(L('Aucun nom à envoyer en SNI (donnez --servername).', 'No name to send in SNI (give --servername).'))
    return guard(L('le choix du certificat par SNI', 'certificate selection by SNI'), async () => {
      const lines: string[] = []
      const byDefault = await certFacts(ctx, '')
      lines.push(`(no SNI) → subject=${byDefault.leaf.subject.replace(/\n/g, ', ')} SAN=${byDefault.leaf.subjectAltName ?? ''}`)
      const wrong: string[] = []
      for (const [name, expected] of wanted) {
        const f = await certFacts(ctx, name)
        const ok = certNamesHost(f.leaf, expected)
        lines.push(`SNI ${name} → subject=${f.leaf.subject.replace(/\n/g, ', ')} SAN=${f.leaf.subjectAltName ?? ''} ${ok ? 'OK' : `does not cover ${expected}`}`)
        if (!ok) wrong.push(name)
      }
      const facts = { names: wanted.map(([n]) => n), wrong }
      if (wrong.length)
        return verdict.fail(
          L(`Pour ${wrong.join(', ')}, votre serveur présente un certificat qui ne couvre pas ce nom : le SNI n’est pas pris en compte.`, `For ${wrong.join(', ')}, your server presents a certificate that does not cover that name: SNI is ignored.`),
          { lines, facts },
        )
      return verdict.pass(L(`Chaque nom reçoit son certificat (${wanted.map(([n]) => n).join(', ')}).`, `Each name gets its certificate (${wanted.map(([n]) => n).join(', ')}).`), { lines, facts })
    })
  },
})
