// tls.version.tls1_2.accepted: one raw handshake offering only tls1.2 (every suite of that version), built by hand so legacy versions can really be offered.
import { defineCheck } from '../../define.ts'
import { L } from '../support.ts'
import { versionVerdict } from './version-verdict.ts'

export default defineCheck({
  id: 'tls.version.tls1_2.accepted',
  title: L('TLS 1.2 accepté', 'TLS 1.2 accepted'),
  explain: L(
    'TLS 1.2 reste la version que parlent la plupart des serveurs de messagerie. Le refuser empêche beaucoup de partenaires de chiffrer : ils retomberaient en clair.',
    'TLS 1.2 is still the version most mail servers speak. Refusing it keeps many partners from encrypting: they would fall back to clear text.',
  ),
  remedy: {
    postfix: 'main.cf: smtpd_tls_protocols = >=TLSv1.2 (et non >=TLSv1.3)   puis: postfix reload',
    exim: 'GnuTLS: tls_require_ciphers = NORMAL:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1 (ne pas retirer VERS-TLS1.2)   puis: systemctl restart exim4',
  },
  appliesTo: ['remote', 'sandbox'],
  async run(ctx) {
    return versionVerdict(ctx, 'tls1.2', 'accepted')
  },
})
