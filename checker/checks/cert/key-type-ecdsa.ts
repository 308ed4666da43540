// cert.key-type.ecdsa: a client that verifies only ECDSA signatures (TLS 1.2 and 1.3) gets a trusted ECDSA certificate.
import { defineCheck } from '../../define.ts'
import { L } from '../support.ts'
import { keyTypeVerdict } from './key-type-verdict.ts'

export default defineCheck({
  id: 'cert.key-type.ecdsa',
  title: L('Certificat ECDSA présenté à un client ECDSA seul', 'ECDSA certificate presented to an ECDSA-only client'),
  explain: L(
    'Ajouter un certificat RSA pour les clients anciens ne doit pas retirer l’ECDSA aux autres : un client qui n’offre que des signatures ECDSA doit toujours recevoir le certificat ECDSA. On le vérifie en n’offrant que des algorithmes de signature ECDSA, en TLS 1.2 puis en TLS 1.3.',
    'Adding an RSA certificate for old clients must not take ECDSA away from the others: a client that offers only ECDSA signatures must still get the ECDSA certificate. This is checked by offering only ECDSA signature algorithms, in TLS 1.2 then TLS 1.3.',
  ),
  remedy: {
    postfix: 'Garder la paire ECDSA à côté de la RSA : smtpd_tls_chain_files = ecdsa.key, ecdsa-fullchain.pem, rsa.key, rsa-fullchain.pem   puis: postfix reload',
    exim: 'Garder l’ECDSA en tête des listes : tls_certificate = <ECDSA> : <RSA> et tls_privatekey = <clé ECDSA> : <clé RSA>, dans le même ordre   puis: systemctl reload exim4',
  },
  appliesTo: ['remote', 'sandbox'],
  cost: 2,
  async run(ctx) {
    return keyTypeVerdict(ctx, 'ecdsa')
  },
})
