// Break-fix for the instructor fault resolver-stopped (sandbox fault inject resolver-stopped).
import { defineExercise } from '../define.ts'
import outboundDelivers from './checks/outbound-delivers.ts'

export default defineExercise({
  id: 'postfix-fault-resolver-stopped',
  lab: 'postfix',
  title: { fr: 'Panne : le résolveur DNS ne répond plus', en: 'Fault: the DNS resolver no longer answers' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [{ service: 'dns', script: 'shared:faults/resolver-stopped.sh', args: ['inject'] }],
  solution: './solve.sh',
  // The answer is a running resolver, which no handed-in file carries.
  submission: [],
  localChecks: [outboundDelivers],
  checks: [{ id: 'outbound.delivers', target: { service: 'mail' }, params: { domain: 'secure-partner.com' } }],
  hints: [
    {
      fr: '`mailq` sur mail montre la raison du report ; « Host or domain name not found … try again » est une panne DNS, pas une adresse fausse.',
      en: '`mailq` on mail shows why mail is deferred; "Host or domain name not found … try again" is a DNS outage, not a wrong address.',
    },
    {
      fr: '`cat /etc/resolv.conf` puis `dig MX secure-partner.com` : « no servers could be reached ». Le résolveur est le service dns du lab : `npx smtp-tls-lab sandbox shell dns`, puis `systemctl status named`.',
      en: '`cat /etc/resolv.conf` then `dig MX secure-partner.com`: "no servers could be reached". The resolver is the lab’s dns service: `npx smtp-tls-lab sandbox shell dns`, then `systemctl status named`.',
    },
    {
      fr: 'Dans le terminal dns : `named` (BIND) est arrêté. Redémarrez-le, puis attendez qu’il réponde de nouveau (réponses validées par DNSSEC, drapeau `ad`) avant de relancer la file sur mail avec `postqueue -f`.',
      en: 'In the dns terminal: `named` (BIND) is stopped. Start it again, then wait until it answers again (DNSSEC-validated answers, `ad` flag) before flushing the queue on mail with `postqueue -f`.',
      run: {
        service: 'dns',
        script: `systemctl status named || true
systemctl start named
. /etc/lab/env
for i in $(seq 1 20); do dig +time=1 +tries=1 @"$LAB_DNS_IP" +dnssec SOA secure-partner.com | grep -q 'flags:.* ad' && break; sleep 1; done
dig +time=2 +tries=1 @"$LAB_DNS_IP" MX secure-partner.com
`,
      },
    },
  ],
})
