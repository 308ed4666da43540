// Exercise 5 of the Exim module: acme.sh's own daily cron renews a certificate that is due, its --reloadcmd deploys it,
// and the live certificate changes with no manual restart.
import { defineExercise } from '../define.ts'
import { HESTIA_MAIL, issueWithAcmeSh } from '../12-exim-deploy-hestia/steps.ts'

/**
 * The line acme.sh's --install put in root's crontab, run by Debian's faketime one hour after the renewal date acme.sh
 * itself recorded (Le_NextRenewTime): the certificate is then due, so the renewal is acme.sh's own decision, not a
 * --force. Read from the file each time, because every renewal moves that date on (a fixed shift works only once).
 */
export const RENEW_COMMAND = [
  'sh',
  '-c',
  "due=$(sed -n \"s/^Le_NextRenewTime='\\([0-9]*\\)'$/\\1/p\" /root/.acme.sh/domaine.tld_ecc/domaine.tld.conf); " +
    'faketime -f "@$(date -u -d @$((due + 3600)) \'+%F %T\')" /root/.acme.sh/acme.sh --cron --home /root/.acme.sh',
]

export default defineExercise({
  id: 'exim-renewal-hook',
  lab: 'exim',
  title: { fr: 'Renouvellement : le hook de déploiement', en: 'Renewal: the deploy hook' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [issueWithAcmeSh('domaine.tld', '*.domaine.tld'), { service: 'mail', script: './setup.sh' }],
  solution: './solve.sh',
  // The guide's --reloadcmd is stored in the certificate's acme.sh config (Le_ReloadCmd): that file is the hand-in.
  submission: ['/root/.acme.sh/domaine.tld_ecc/domaine.tld.conf'],
  checks: [
    {
      id: 'renewal.reloads',
      target: { service: 'mail', port: 587 },
      params: { renewCommand: RENEW_COMMAND, ports: [25, 587, 465], service: 'mail', certPath: `${HESTIA_MAIL}/mail.domaine.tld.crt`, waitMs: 20_000 },
      weight: 3,
    },
    { id: 'cert.trusted', target: { service: 'mail', port: 465 } },
    { id: 'file.key.permissions', target: { service: 'mail' }, params: { path: `${HESTIA_MAIL}/mail.domaine.tld.key`, mode: 0o640, owner: 'root:Debian-exim' } },
  ],
  startFails: ['renewal.reloads'],
  hints: [
    {
      fr: 'Faites renouveler vous-même et comparez le numéro de série servi avant et après : `acme.sh --renew -d domaine.tld --ecc --force`, puis `openssl s_client -connect mail.domaine.tld:587 -starttls smtp -servername mail.domaine.tld </dev/null 2>/dev/null | openssl x509 -noout -serial -dates`.',
      en: 'Renew yourself and compare the served serial before and after: `acme.sh --renew -d domaine.tld --ecc --force`, then `openssl s_client -connect mail.domaine.tld:587 -starttls smtp -servername mail.domaine.tld </dev/null 2>/dev/null | openssl x509 -noout -serial -dates`.',
    },
    {
      fr: 'acme.sh renouvelle dans `~/.acme.sh/domaine.tld_ecc/` ; Exim lit `/usr/local/hestia/ssl/…`. Qui copie de l’un à l’autre ? `acme.sh --info -d domaine.tld --ecc` montre ce qu’acme.sh fera après un renouvellement (Le_ReloadCmd, Le_RealFullChainPath…).',
      en: 'acme.sh renews into `~/.acme.sh/domaine.tld_ecc/`; Exim reads `/usr/local/hestia/ssl/…`. What copies from one to the other? `acme.sh --info -d domaine.tld --ecc` shows what acme.sh will do after a renewal (Le_ReloadCmd, Le_RealFullChainPath…).',
    },
    {
      fr: '`acme.sh --install-cert -d domaine.tld --ecc --fullchain-file … --key-file … --reloadcmd "…"` (§8.1) : acme.sh copie les fichiers, lance la commande tout de suite, et la garde pour chaque renouvellement.',
      en: '`acme.sh --install-cert -d domaine.tld --ecc --fullchain-file … --key-file … --reloadcmd "…"` (§8.1): acme.sh copies the files, runs the command at once, and keeps it for every renewal.',
    },
    {
      fr: 'La commande de rechargement doit remettre `root:Debian-exim` et `640` sur la clé à chaque fois : acme.sh écrit la clé copiée avec les droits de la sienne (600 root).',
      en: 'The reload command must set `root:Debian-exim` and `640` on the key every time: acme.sh writes the copied key with its own key\'s mode (600 root).',
    },
  ],
})
