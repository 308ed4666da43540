// Exercise 5 of the Exim module: a forced renewal runs the deploy hook and the live certificate changes with no manual restart.
import { defineExercise } from '../define.ts'
import { HESTIA_MAIL } from '../12-exim-deploy-hestia/steps.ts'

export const RENEW_COMMAND = ['certbot', 'renew', '--cert-name', 'domaine.tld', '--force-renewal', '--no-random-sleep-on-renew']

export default defineExercise({
  id: 'exim-renewal-hook',
  lab: 'exim',
  title: { fr: 'Renouvellement : le hook de déploiement', en: 'Renewal: the deploy hook' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: './setup.sh',
  solution: './solve.sh',
  submission: ['/usr/local/bin/deploy-mail-cert.sh', '/etc/letsencrypt/renewal-hooks/deploy/exim-hestia.sh'],
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
      fr: 'Forcez un renouvellement vous-même et comparez le numéro de série servi avant et après : `certbot renew --cert-name domaine.tld --force-renewal`, puis `openssl s_client -connect mail.domaine.tld:587 -starttls smtp -servername mail.domaine.tld </dev/null 2>/dev/null | openssl x509 -noout -serial -dates`.',
      en: 'Force a renewal yourself and compare the served serial before and after: `certbot renew --cert-name domaine.tld --force-renewal`, then `openssl s_client -connect mail.domaine.tld:587 -starttls smtp -servername mail.domaine.tld </dev/null 2>/dev/null | openssl x509 -noout -serial -dates`.',
    },
    {
      fr: 'certbot renouvelle dans `/etc/letsencrypt/live/domaine.tld/` ; Exim lit `/usr/local/hestia/ssl/…`. Qui copie de l’un à l’autre ?',
      en: 'certbot renews into `/etc/letsencrypt/live/domaine.tld/`; Exim reads `/usr/local/hestia/ssl/…`. What copies from one to the other?',
    },
    {
      fr: 'Tout exécutable de `/etc/letsencrypt/renewal-hooks/deploy/` est lancé après chaque renouvellement réussi, avec `RENEWED_LINEAGE` dans l’environnement (équivalent du `--reloadcmd` d’acme.sh).',
      en: 'Every executable in `/etc/letsencrypt/renewal-hooks/deploy/` runs after each successful renewal, with `RENEWED_LINEAGE` in its environment (the equivalent of acme.sh’s `--reloadcmd`).',
    },
    {
      fr: 'Le hook doit remettre `root:Debian-exim` et `640` sur la clé à chaque fois : la clé renouvelée de certbot est en 600 root:root.',
      en: 'The hook must set `root:Debian-exim` and `640` on the key every time: certbot’s renewed key is 600 root:root.',
    },
  ],
})
