// tls.version.tls1_3.accepted: one raw handshake offering only tls1.3 (every suite of that version), built by hand so legacy versions can really be offered.
import { defineCheck } from '../../define.ts'
import { L } from '../support.ts'
import { versionVerdict } from './version-verdict.ts'

export default defineCheck({
  id: 'tls.version.tls1_3.accepted',
  title: L('TLS 1.3 accepté', 'TLS 1.3 accepted'),
  explain: L(
    'TLS 1.3 (2018) est plus rapide (un aller-retour de moins) et n’a que des suites sûres, toutes à confidentialité persistante. OpenSSL 3 et GnuTLS le proposent par défaut.',
    'TLS 1.3 (2018) is faster (one round trip less) and has only safe suites, all forward secret. OpenSSL 3 and GnuTLS offer it by default.',
  ),
  remedy: {
    postfix: 'main.cf: smtpd_tls_protocols = >=TLSv1.2 (sans !TLSv1.3)   puis: postfix reload',
    exim: 'GnuTLS: tls_require_ciphers = NORMAL:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1 (garder VERS-TLS1.3)   puis: systemctl restart exim4',
  },
  appliesTo: ['remote', 'sandbox'],
  async run(ctx) {
    return versionVerdict(ctx, 'tls1.3', 'accepted')
  },
})
