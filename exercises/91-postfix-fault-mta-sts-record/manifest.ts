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
      fr: 'Republiez l’enregistrement avec nsupdate (serveur `$LAB_DNS_IP` port 5353, clé `/etc/lab/tsig.key`), avec un nouvel id : les expéditeurs ne retéléchargent la politique que quand l’id change. Le résolveur garde sa réponse 2 s au plus.',
      en: 'Publish the record again with nsupdate (server `$LAB_DNS_IP` port 5353, key `/etc/lab/tsig.key`), with a new id: senders fetch the policy again only when the id changes. The resolver keeps its answer 2 s at most.',
      run: {
        service: 'toolbox',
        script: `. /etc/lab/env
nsupdate -k /etc/lab/tsig.key <<EOF
server $LAB_DNS_IP 5353
zone domaine.tld
update delete _mta-sts.domaine.tld TXT
update add _mta-sts.domaine.tld 60 TXT "v=STSv1; id=$(date -u +%Y%m%d%H%M%S)"
send
EOF
sleep 3
dig +short TXT _mta-sts.domaine.tld
`,
      },
    },
  ],
})
