// tls.version.ssl3.rejected: one raw handshake offering only ssl3 (every suite of that version), built by hand so legacy versions can really be offered.
import { defineCheck } from '../../define.ts'
import { L } from '../support.ts'
import { versionVerdict } from './version-verdict.ts'

export default defineCheck({
  id: 'tls.version.ssl3.rejected',
  title: L('SSL 3.0 refusé', 'SSL 3.0 rejected'),
  explain: L(
    'SSL 3.0 (1996) est cassé (attaque POODLE) : aucun client actuel n’en a besoin. Le serveur doit refuser une négociation qui ne propose que SSL 3.0.',
    'SSL 3.0 (1996) is broken (POODLE attack): no current client needs it. The server must refuse a handshake offering only SSL 3.0.',
  ),
  remedy: {
    postfix: 'main.cf: smtpd_tls_protocols = >=TLSv1.2 et smtpd_tls_mandatory_protocols = >=TLSv1.2   puis: postfix reload',
    exim: 'GnuTLS (Exim de Debian): tls_require_ciphers = NORMAL:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1 ; avec OpenSSL: openssl_options = +no_sslv3 +no_tlsv1 +no_tlsv1_1   puis: systemctl restart exim4',
  },
  appliesTo: ['remote', 'sandbox'],
  async run(ctx) {
    return versionVerdict(ctx, 'ssl3', 'rejected')
  },
})
