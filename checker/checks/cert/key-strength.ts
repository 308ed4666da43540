// cert.key.strength: the certificate key is at least RSA 2048 bits or a standard elliptic curve.
import { defineCheck, verdict } from '../../define.ts'
import { keyFacts } from '../../probes/tls.ts'
import { certFacts, guard, L } from '../support.ts'

const STRONG_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1', 'P-256', 'P-384', 'P-521'])

export default defineCheck({
  id: 'cert.key.strength',
  title: L('Clé du certificat assez forte', 'Certificate key strong enough'),
  explain: L(
    'Une clé RSA de moins de 2048 bits se casse aujourd’hui ; les autorités n’en émettent plus. Utilisez RSA 2048 (ou plus) ou une clé ECDSA P-256/P-384, plus courte et aussi sûre.',
    'An RSA key under 2048 bits can be broken today; authorities no longer issue them. Use RSA 2048 (or more) or an ECDSA P-256/P-384 key, shorter and as safe.',
  ),
  remedy: {
    postfix: 'certbot certonly --key-type ecdsa --elliptic-curve secp384r1 -d mail.domaine.tld (ou --rsa-key-size 4096), puis postfix reload',
    exim: 'acme.sh --issue -d mail.domaine.tld --keylength ec-256 (ou --keylength 4096) puis --install-cert … --reloadcmd "systemctl restart exim4"',
  },
  appliesTo: ['remote', 'sandbox'],
  async run(ctx) {
    return guard(L('la clé du certificat', 'the certificate key'), async () => {
      const f = await certFacts(ctx)
      const k = keyFacts(f.leaf)
      const desc = k.bits ? `${k.type.toUpperCase()} ${k.bits} bits` : `${k.type.toUpperCase()}${k.curve ? ` ${k.curve}` : ''}`
      const evidence = { lines: [`key: ${desc}`], facts: { type: k.type, bits: k.bits, curve: k.curve } }
      const weak =
        ((k.type === 'rsa' || k.type === 'rsa-pss') && (k.bits ?? 0) < 2048) ||
        k.type === 'dsa' ||
        (k.type === 'ec' && !STRONG_CURVES.has(k.curve ?? ''))
      if (weak) return verdict.fail(L(`La clé de votre certificat est trop faible (${desc}).`, `Your certificate key is too weak (${desc}).`), evidence)
      return verdict.pass(L(`La clé du certificat est solide (${desc}).`, `The certificate key is strong (${desc}).`), evidence)
    })
  },
})
