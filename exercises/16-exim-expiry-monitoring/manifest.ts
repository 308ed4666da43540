// Exercise 6 of the Exim module: a daily script that mails an alert when the SMTP certificate has fewer than 20 days left.
import { defineExercise } from '../define.ts'
import { wildcardDeployed } from '../12-exim-deploy-hestia/steps.ts'
import expiryAlert, { DEFAULT_CERT, DEFAULT_CRON, DEFAULT_MAILDIR, DEFAULT_SCRIPT } from './checks/expiry-alert.ts'

export default defineExercise({
  id: 'exim-expiry-monitoring',
  lab: 'exim',
  title: { fr: 'Surveiller l’expiration du certificat', en: 'Monitor certificate expiry' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [...wildcardDeployed(), { service: 'mail', script: './setup.sh' }],
  solution: './solve.sh',
  submission: [DEFAULT_SCRIPT, DEFAULT_CRON],
  localChecks: [expiryAlert],
  checks: [
    {
      id: 'monitoring.expiry-alert',
      target: { service: 'mail' },
      params: { script: DEFAULT_SCRIPT, certPath: DEFAULT_CERT, maildir: DEFAULT_MAILDIR, requireSchedule: true },
      weight: 3,
    },
    // The grader swaps the certificate for a moment: afterwards the real one must be served again.
    { id: 'cert.trusted', target: { service: 'mail', port: 587 } },
  ],
  startFails: ['monitoring.expiry-alert'],
  hints: [
    {
      fr: 'Lancez le script à la main avec un certificat court : `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 5 -subj /CN=test -keyout /tmp/k -out /tmp/c`, puis `bash -x /usr/local/bin/check-cert-expiry` après avoir mis `CRT=/tmp/c`.',
      en: 'Run the script by hand with a short certificate: `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 5 -subj /CN=test -keyout /tmp/k -out /tmp/c`, then `bash -x /usr/local/bin/check-cert-expiry` after setting `CRT=/tmp/c`.',
    },
    {
      fr: 'Relisez le destinataire copié depuis la page web : « [email protected] » est ce qu’affiche la protection anti-spam de la page, pas une adresse.',
      en: 'Read the recipient copied from the web page again: "[email protected]" is what the page\'s anti-spam protection shows, not an address.',
    },
    {
      fr: 'Pas de commande `mail` ? Exim fournit `sendmail` : `printf "To: postmaster@domaine.tld\\nSubject: …\\n\\n…\\n" | /usr/sbin/sendmail -t`. Suivez la livraison dans `/var/log/exim4/mainlog`.',
      en: 'No `mail` command? Exim provides `sendmail`: `printf "To: postmaster@domaine.tld\\nSubject: …\\n\\n…\\n" | /usr/sbin/sendmail -t`. Follow the delivery in `/var/log/exim4/mainlog`.',
    },
    {
      fr: '« Actif » veut dire planifié : une ligne dans `/etc/cron.d/` (avec le champ utilisateur `root`) ou un exécutable dans `/etc/cron.daily/`.',
      en: '"Active" means scheduled: a line in `/etc/cron.d/` (with the `root` user field) or an executable in `/etc/cron.daily/`.',
    },
  ],
})
