// tls.version.tls1_0.rejected: one raw handshake offering only tls1.0 (every suite of that version), built by hand so legacy versions can really be offered.
import { defineCheck } from '../../define.ts'
import { L } from '../support.ts'
import { versionVerdict } from './version-verdict.ts'

export default defineCheck({
  id: 'tls.version.tls1_0.rejected',
  title: L('TLS 1.0 refusé', 'TLS 1.0 rejected'),
  explain: L(
    'TLS 1.0 (1999) repose sur MD5/SHA-1 et des modes CBC vulnérables (BEAST) ; il est officiellement obsolète depuis 2021 (RFC 8996). Le serveur doit le refuser.',
    'TLS 1.0 (1999) relies on MD5/SHA-1 and vulnerable CBC modes (BEAST); it is formally deprecated since 2021 (RFC 8996). The server must refuse it.',
  ),
  remedy: {
    postfix: 'main.cf: smtpd_tls_protocols = >=TLSv1.2 et smtpd_tls_mandatory_protocols = >=TLSv1.2   puis: postfix reload',
    exim: 'GnuTLS (Exim de Debian): tls_require_ciphers = NORMAL:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1 ; avec OpenSSL: openssl_options = +no_sslv3 +no_tlsv1 +no_tlsv1_1   puis: systemctl restart exim4',
  },
  appliesTo: ['remote', 'sandbox'],
  async run(ctx) {
    return versionVerdict(ctx, 'tls1.0', 'rejected')
  },
})
