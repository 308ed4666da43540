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
  // The answer is free space on the mail host's queue filesystem, which no handed-in file carries.
  submission: [],
  localChecks: [acceptsMail],
  checks: [{ id: 'inbound.accepts-mail', target: { service: 'mail', port: 25 } }],
  hints: [
    {
      fr: 'Essayez d’envoyer : `swaks --server mail.domaine.tld --to alice@domaine.tld` depuis la toolbox. Puis lisez le journal : `grep -i "free space" /var/log/mail.log`.',
      en: 'Try to send: `swaks --server mail.domaine.tld --to alice@domaine.tld` from the toolbox. Then read the log: `grep -i "free space" /var/log/mail.log`.',
    },
    {
      fr: '`df -h /var/spool/postfix` dit que le disque est plein ; `du -ah --max-depth=1 /var/spool/postfix | sort -h` dit qui l’occupe. Les répertoires de la file (`active`, `deferred`, `incoming`…) sont à Postfix : ne les videz pas à la main.',
      en: '`df -h /var/spool/postfix` says the disk is full; `du -ah --max-depth=1 /var/spool/postfix | sort -h` says what fills it. The queue’s directories (`active`, `deferred`, `incoming`…) are Postfix’s: do not empty them by hand.',
    },
    {
      fr: 'Un fichier `core.*` est le vidage mémoire d’un processus planté : utile à un développeur, inutile à la file. Supprimez-le, puis `postqueue -f` pour que Postfix réessaie sans attendre.',
      en: 'A `core.*` file is the memory dump of a crashed process: useful to a developer, useless to the queue. Delete it, then `postqueue -f` so Postfix retries without waiting.',
      run: {
        service: 'mail',
        script: 'du -ah --max-depth=1 /var/spool/postfix | sort -h | tail -n 3\nrm /var/spool/postfix/core.*\npostqueue -f\ndf -h /var/spool/postfix\n',
      },
    },
  ],
})
