// Exercise 6 of the Postfix module: outbound TLS (smtp_tls_security_level) and the per-domain policy map.
import { defineExercise } from '../define.ts'
import { postfixTlsBaseline } from '../shared/steps.ts'
import outboundTlsPolicy from './checks/outbound-tls-policy.ts'

export default defineExercise({
  id: 'postfix-outbound-policy',
  lab: 'postfix',
  title: { fr: 'TLS sortant : politique par domaine partenaire', en: 'Outbound TLS: per-partner-domain policy' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [...postfixTlsBaseline(), { service: 'mail', script: './setup-none.sh' }],
  solution: [
    { service: 'toolbox', script: './fetch-ca.sh' },
    { copy: { from: { service: 'toolbox', path: '/root/partners-ca.pem' }, to: { service: 'mail', path: '/etc/postfix/partners-ca.pem' }, mode: 0o644, owner: 'root:root' } },
    { service: 'mail', script: './solve.sh' },
  ],
  submission: ['/etc/postfix/main.cf', '/etc/postfix/tls_policy', '/etc/postfix/partners-ca.pem'],
  localChecks: [outboundTlsPolicy],
  checks: [
    { id: 'config.effective', target: { service: 'mail' }, params: { expect: { smtp_tls_security_level: 'may' } } },
    { id: 'outbound.tls.policy', key: 'outbound.secure-partner.encrypt', target: { service: 'mail' }, params: { domain: 'secure-partner.com', expect: 'encrypted' } },
    { id: 'outbound.tls.policy', key: 'outbound.banking-partner.verify', target: { service: 'mail' }, params: { domain: 'banking-partner.com', expect: 'verified' } },
    { id: 'outbound.tls.policy', key: 'outbound.old-system.none', target: { service: 'mail' }, params: { domain: 'old-system.com', expect: 'plain' } },
  ],
  startFails: ['config.effective', 'outbound.secure-partner.encrypt', 'outbound.banking-partner.verify'],
  hints: [
    {
      fr: '`postconf smtp_tls_security_level smtp_tls_policy_maps smtp_tls_CAfile` montre ce qui est en vigueur côté envoi.',
      en: '`postconf smtp_tls_security_level smtp_tls_policy_maps smtp_tls_CAfile` shows what applies to sending.',
    },
    {
      fr: '« Server certificate not verified » dans mail.log : Postfix ne connaît pas l’autorité du partenaire. Récupérez-la (toolbox : `curl http://mx.banking-partner.com:8080/ca.pem`) et pointez `smtp_tls_CAfile` dessus.',
      en: '"Server certificate not verified" in mail.log: Postfix does not know the partner’s CA. Fetch it (toolbox: `curl http://mx.banking-partner.com:8080/ca.pem`) and point `smtp_tls_CAfile` at it.',
    },
    {
      fr: 'Un message resté en file après une erreur repart avec `postqueue -f` ; `mailq` montre la file.',
      en: 'A message held after an error leaves again with `postqueue -f`; `mailq` shows the queue.',
    },
  ],
})
