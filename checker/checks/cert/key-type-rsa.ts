// cert.key-type.rsa: a client that verifies only RSA signatures (TLS 1.2 and 1.3) gets a trusted RSA certificate.
import { defineCheck } from '../../define.ts'
import { L } from '../support.ts'
import { keyTypeVerdict } from './key-type-verdict.ts'

export default defineCheck({
  id: 'cert.key-type.rsa',
  title: L('Certificat RSA présenté à un client RSA seul', 'RSA certificate presented to an RSA-only client'),
  explain: L(
    'Certains clients anciens ne savent vérifier que des signatures RSA. Un serveur qui n’a qu’un certificat ECDSA ne peut rien leur présenter : la poignée de main échoue (alerte 40). On le vérifie en n’offrant que des algorithmes de signature RSA, en TLS 1.2 puis en TLS 1.3.',
    'Some old clients can only verify RSA signatures. A server that holds only an ECDSA certificate has nothing to present to them: the handshake fails (alert 40). This is checked by offering only RSA signature algorithms, in TLS 1.2 then TLS 1.3.',
  ),
  remedy: {
    postfix: 'Émettre aussi un certificat RSA et le servir à côté de l’ECDSA : smtpd_tls_chain_files = ecdsa.key, ecdsa-fullchain.pem, rsa.key, rsa-fullchain.pem   puis: postfix reload',
    exim: 'acme.sh --issue -d domaine.tld -d "*.domaine.tld" --dns dns_cf --keylength 2048, puis listes parallèles : tls_certificate = <ECDSA> : <RSA> et tls_privatekey = <clé ECDSA> : <clé RSA>   puis: systemctl reload exim4',
  },
  appliesTo: ['remote', 'sandbox'],
  cost: 2,
  async run(ctx) {
    return keyTypeVerdict(ctx, 'rsa')
  },
})
