// Break-fix for the instructor fault mta-sts-record-removed (sandbox fault inject mta-sts-record-removed).
import { defineExercise } from '../define.ts'

export default defineExercise({
  id: 'postfix-fault-mta-sts-record',
  lab: 'postfix',
  title: { fr: 'Panne : l’annonce MTA-STS a disparu', en: 'Fault: the MTA-STS announcement is gone' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [
    { service: 'toolbox', script: './setup-working-lab.sh' },
    { service: 'toolbox', script: 'shared:faults/mta-sts-record-removed.sh', args: ['inject'] },
  ],
  solution: './solve.sh',
  // The answer lives in the lab DNS, which no handed-in file carries.
  submission: [],
  checks: [{ id: 'dns.mta-sts.record', target: { service: 'dns', domain: 'domaine.tld' } }],
  hints: [
    {
      fr: 'Interrogez le DNS comme un expéditeur : `dig +short TXT _mta-sts.domaine.tld`. Une réponse vide : la politique n’est plus annoncée, même si le fichier HTTPS existe encore.',
      en: 'Query DNS as a sender would: `dig +short TXT _mta-sts.domaine.tld`. An empty answer: the policy is no longer announced, even if the HTTPS file still exists.',
    },
    {
      fr: 'Republiez avec nsupdate (`server $LAB_DNS_IP 5353`, `-k /etc/lab/tsig.key`) et un nouvel id.',
      en: 'Publish again with nsupdate (`server $LAB_DNS_IP 5353`, `-k /etc/lab/tsig.key`) and a new id.',
    },
  ],
})
