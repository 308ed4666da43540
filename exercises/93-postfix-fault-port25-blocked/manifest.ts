// Break-fix for the instructor fault port25-blocked-from-partners (sandbox fault inject port25-blocked-from-partners).
import { defineExercise } from '../define.ts'
import partnerReaches25 from './checks/partner-reaches-25.ts'

export default defineExercise({
  id: 'postfix-fault-port25-blocked',
  lab: 'postfix',
  title: { fr: 'Panne : les partenaires n’atteignent plus le port 25', en: 'Fault: the partners no longer reach port 25' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [{ service: 'mail', script: 'shared:faults/port25-blocked-from-partners.sh', args: ['inject'] }],
  solution: './solve.sh',
  // The answer is the kernel's ruleset, which no handed-in file carries.
  submission: [],
  localChecks: [partnerReaches25],
  checks: [{ id: 'inbound.partner.reaches-25', target: { service: 'mail' } }],
  hints: [
    {
      fr: 'Depuis la toolbox, tout marche (`swaks --server mail.domaine.tld --quit-after EHLO`) : le problème ne touche que certaines adresses. Sur mail, `nft list ruleset` montre toutes les règles du noyau, y compris celles qu’ufw ne connaît pas.',
      en: 'From the toolbox everything works (`swaks --server mail.domaine.tld --quit-after EHLO`): the problem only hits some addresses. On mail, `nft list ruleset` shows every kernel rule, including those ufw does not know about.',
    },
    {
      fr: '`nft delete table FAMILLE NOM` retire une table entière ; `nft -a list ruleset` donne les handles pour retirer une seule règle.',
      en: '`nft delete table FAMILY NAME` removes a whole table; `nft -a list ruleset` gives the handles to remove one rule.',
    },
  ],
})
