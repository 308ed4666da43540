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
      fr: 'La règle `ip saddr … tcp dport 25 drop` est seule dans une table à part, `inet lab_maintenance` (un blocage « temporaire » oublié). `nft delete table FAMILLE NOM` retire une table entière ; `nft -a list ruleset` donne les handles pour ne retirer qu’une règle (`nft delete rule FAMILLE TABLE CHAÎNE handle N`).',
      en: 'The `ip saddr … tcp dport 25 drop` rule sits alone in a table of its own, `inet lab_maintenance` (a forgotten "temporary" block). `nft delete table FAMILY NAME` removes a whole table; `nft -a list ruleset` gives the handles to remove a single rule (`nft delete rule FAMILY TABLE CHAIN handle N`).',
      run: {
        service: 'mail',
        script: `nft list table inet lab_maintenance
nft delete table inet lab_maintenance
nft list ruleset
`,
      },
    },
  ],
})
