// tls.version.tls1_1.rejected: one raw handshake offering only tls1.1 (every suite of that version), built by hand so legacy versions can really be offered.
import { defineCheck } from '../../define.ts'
import { L } from '../support.ts'
import { versionVerdict } from './version-verdict.ts'

export default defineCheck({
  id: 'tls.version.tls1_1.rejected',
  title: L('TLS 1.1 refusé', 'TLS 1.1 rejected'),
  explain: L(
    'TLS 1.1 (2006) n’offre aucune suite de chiffrement moderne (pas d’AEAD) et est obsolète depuis 2021 (RFC 8996). Le serveur doit le refuser.',
    'TLS 1.1 (2006) offers no modern cipher suite (no AEAD) and is deprecated since 2021 (RFC 8996). The server must refuse it.',
  ),
  remedy: {
    postfix: 'main.cf: smtpd_tls_protocols = >=TLSv1.2 et smtpd_tls_mandatory_protocols = >=TLSv1.2   puis: postfix reload',
    exim: 'GnuTLS (Exim de Debian): tls_require_ciphers = NORMAL:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1 ; avec OpenSSL: openssl_options = +no_sslv3 +no_tlsv1 +no_tlsv1_1   puis: systemctl restart exim4',
  },
  appliesTo: ['remote', 'sandbox'],
  async run(ctx) {
    return versionVerdict(ctx, 'tls1.1', 'rejected')
  },
})
