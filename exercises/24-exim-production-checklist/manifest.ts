// Final exercise of the Exim module: the course's go-live checklist (section 18), every item graded.
import { defineExercise } from '../define.ts'
import { HESTIA_MAIL, HESTIA_SSL, issueWithAcmeSh, onPorts } from '../12-exim-deploy-hestia/steps.ts'
import sanDates from '../11-exim-issue-wildcard-ecc/checks/san-dates.ts'
import expiryAlert, { DEFAULT_CERT, DEFAULT_CRON, DEFAULT_MAILDIR, DEFAULT_SCRIPT } from '../16-exim-expiry-monitoring/checks/expiry-alert.ts'
import { RENEW_COMMAND } from '../15-exim-renewal-hook/manifest.ts'
import logTlsClean from './checks/log-tls-clean.ts'

const CRT = `${HESTIA_MAIL}/mail.domaine.tld.crt`
const KEY = `${HESTIA_MAIL}/mail.domaine.tld.key`
const KEY_RULE = { mode: 0o640, owner: 'root:Debian-exim' }

export default defineExercise({
  id: 'exim-production-checklist',
  lab: 'exim',
  title: { fr: 'Checklist de mise en production', en: 'Go-live checklist' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [issueWithAcmeSh('domaine.tld', '*.domaine.tld'), { service: 'mail', script: './setup.sh' }],
  solution: [
    { service: 'mail', script: './solve-deploy.sh' },
    { service: 'mail', script: './solve-policy.sh' },
    { service: 'mail', script: './solve-monitoring.sh' },
  ],
  submission: [
    '/etc/exim4/exim4.conf.template',
    CRT,
    { path: KEY, owner: 'root:Debian-exim' },
    `${HESTIA_SSL}/certificate.crt`,
    { path: `${HESTIA_SSL}/certificate.key`, owner: 'root:Debian-exim' },
    `${HESTIA_MAIL}/smtp.domaine.tld.crt`,
    { path: `${HESTIA_MAIL}/smtp.domaine.tld.key`, owner: 'root:Debian-exim' },
    '/usr/local/bin/deploy-mail-cert.sh',
    '/root/.acme.sh/domaine.tld_ecc/domaine.tld.conf',
    DEFAULT_SCRIPT,
    DEFAULT_CRON,
  ],
  localChecks: [sanDates, expiryAlert, logTlsClean],
  checks: [
    // 1. Cert wildcard émis (SAN correct) — as deployed, since that is what clients get.
    { id: 'file.cert.san-dates', target: { service: 'mail' }, params: { path: CRT, names: ['domaine.tld', '*.domaine.tld'], key: 'ec-256', minDays: 20 } },
    // 2. Fichiers déployés /usr/local/hestia/ssl/mail/mail.domaine.tld.*
    { id: 'file.cert.fullchain', key: 'file.cert.fullchain.sni', target: { service: 'mail' }, params: { path: CRT } },
    { id: 'file.key.matches-cert', key: 'file.key.matches-cert.sni', target: { service: 'mail' }, params: { certPath: CRT, keyPath: KEY } },
    // 3. Permissions clé 640 root:Debian-exim
    { id: 'file.key.permissions', key: 'file.key.permissions.sni', target: { service: 'mail' }, params: { path: KEY, ...KEY_RULE } },
    { id: 'file.key.permissions', key: 'file.key.permissions.fallback', target: { service: 'mail' }, params: { path: `${HESTIA_SSL}/certificate.key`, ...KEY_RULE } },
    // 4. Fallback remplacé
    { id: 'file.cert.fullchain', key: 'file.cert.fullchain.fallback', target: { service: 'mail' }, params: { path: `${HESTIA_SSL}/certificate.crt` } },
    { id: 'cert.trusted', key: 'cert.trusted.fallback', target: { service: 'mail', port: 465, servername: 'autoconfig.domaine.tld' } },
    // 5-6. daemon_smtp_ports inclut 587 et 465 ; tls_on_connect_ports contient 465
    {
      id: 'config.effective',
      target: { service: 'mail' },
      params: { expect: { daemon_smtp_ports: { regex: '^(?=.*\\b587\\b)(?=.*\\b465\\b)' }, tls_on_connect_ports: { regex: '\\b465\\b' } } },
    },
    { id: 'tls.implicit', target: { service: 'mail', port: 465 } },
    // 7. AUTH masqué avant TLS
    { id: 'smtp.auth.hidden-before-tls', key: 'smtp.auth.hidden-before-tls.587', target: { service: 'mail', port: 587 } },
    { id: 'smtp.auth.hidden-before-tls', key: 'smtp.auth.hidden-before-tls.25', target: { service: 'mail', port: 25 } },
    { id: 'smtp.auth.offered-after-tls', target: { service: 'mail', port: 587 } },
    // 8. Tests openssl 25/587/465 OK (verify code 0)
    ...onPorts('cert.trusted'),
    ...onPorts('cert.chain.complete'),
    ...onPorts('cert.name.matches'),
    // 9. Cron présent & test renew forcé OK
    {
      id: 'renewal.reloads',
      target: { service: 'mail', port: 587 },
      params: { renewCommand: RENEW_COMMAND, ports: [25, 587, 465], service: 'mail', certPath: CRT, waitMs: 20_000 },
    },
    // 10. Monitoring expiration (<20j) actif
    { id: 'monitoring.expiry-alert', target: { service: 'mail' }, params: { script: DEFAULT_SCRIPT, certPath: DEFAULT_CERT, maildir: DEFAULT_MAILDIR, requireSchedule: true } },
    // 11. Logs Exim sans erreurs TLS
    { id: 'exim.log.no-tls-errors', target: { service: 'mail' } },
  ],
  startFails: [
    'file.cert.fullchain.sni',
    'file.key.permissions.sni',
    'file.key.permissions.fallback',
    'file.cert.fullchain.fallback',
    'smtp.auth.hidden-before-tls.587',
    'smtp.auth.hidden-before-tls.25',
    'cert.trusted.25',
    'cert.trusted.587',
    'cert.trusted.465',
    'cert.chain.complete.465',
    'renewal.reloads',
    'monitoring.expiry-alert',
    'exim.log.no-tls-errors',
  ],
  hints: [
    {
      fr: 'Reprenez la liste dans l’ordre et, pour chaque ligne, trouvez la commande qui la prouve (`openssl s_client`, `ls -l`, `exim -bP`, `swaks`, `acme.sh --renew -d domaine.tld --ecc --force`, `grep "TLS error" /var/log/exim4/mainlog`).',
      en: 'Go through the list in order and, for each line, find the command that proves it (`openssl s_client`, `ls -l`, `exim -bP`, `swaks`, `acme.sh --renew -d domaine.tld --ecc --force`, `grep "TLS error" /var/log/exim4/mainlog`).',
    },
    {
      fr: 'Un seul hook de déploiement règle les lignes 2, 3, 4 et 9 à la fois : copie du fullchain et de la clé, droits, fallback, reload ; branchez-le avec `acme.sh --install-cert -d domaine.tld --ecc … --reloadcmd "…"`, qui le lance aussitôt.',
      en: 'One deploy hook settles lines 2, 3, 4 and 9 at once: copy of the full chain and key, permissions, fallback, reload; wire it with `acme.sh --install-cert -d domaine.tld --ecc … --reloadcmd "…"`, which runs it at once.',
    },
    {
      fr: 'Les erreurs TLS du journal antérieures au dernier démarrage d’Exim ne comptent pas : après correction, `systemctl restart exim4` puis relisez `mainlog` et `paniclog`.',
      en: 'TLS errors logged before Exim\'s last start do not count: after fixing, `systemctl restart exim4` then read `mainlog` and `paniclog` again.',
    },
  ],
})
