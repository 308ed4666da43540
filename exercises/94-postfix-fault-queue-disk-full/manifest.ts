// Break-fix for the instructor fault queue-disk-full (sandbox fault inject queue-disk-full).
import { defineExercise } from '../define.ts'
import acceptsMail from './checks/accepts-mail.ts'

export default defineExercise({
  id: 'postfix-fault-queue-disk-full',
  lab: 'postfix',
  title: { fr: 'Panne : plus de place pour la file', en: 'Fault: no room left for the queue' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [{ service: 'mail', script: 'shared:faults/queue-disk-full.sh', args: ['inject'] }],
  solution: './solve.sh',
  submission: ['/etc/postfix/main.cf'],
  localChecks: [acceptsMail],
  checks: [{ id: 'inbound.accepts-mail', target: { service: 'mail', port: 25 } }],
  hints: [
    {
      fr: 'Essayez d’envoyer : `swaks --server mail.domaine.tld --to alice@domaine.tld` depuis la toolbox. Puis lisez le journal : `grep -i "free space" /var/log/mail.log`.',
      en: 'Try to send: `swaks --server mail.domaine.tld --to alice@domaine.tld` from the toolbox. Then read the log: `grep -i "free space" /var/log/mail.log`.',
    },
    {
      fr: 'Comparez ce que voit le système (`df -h /var/spool/postfix`) et ce que Postfix exige (`postconf queue_minfree message_size_limit`).',
      en: 'Compare what the system sees (`df -h /var/spool/postfix`) with what Postfix requires (`postconf queue_minfree message_size_limit`).',
    },
  ],
})
