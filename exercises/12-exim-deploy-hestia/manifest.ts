// Exercise 2 of the Exim module: deploy the wildcard into HestiaCP's paths (SNI file + fallback), full chain, key 640 root:Debian-exim.
import { defineExercise } from '../define.ts'
import { HESTIA_MAIL, HESTIA_SSL, issueWithAcmeSh, onPorts } from './steps.ts'

const CRT = `${HESTIA_MAIL}/mail.domaine.tld.crt`
const KEY = `${HESTIA_MAIL}/mail.domaine.tld.key`
const KEY_RULE = { mode: 0o640, owner: 'root:Debian-exim' }

export default defineExercise({
  id: 'exim-deploy-hestia',
  lab: 'exim',
  title: { fr: 'Déployer le certificat dans les chemins HestiaCP', en: 'Deploy the certificate into the HestiaCP paths' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [issueWithAcmeSh('domaine.tld', '*.domaine.tld'), { service: 'mail', script: './setup.sh' }],
  solution: './solve.sh',
  submission: [CRT, { path: KEY, owner: 'root:Debian-exim' }, `${HESTIA_SSL}/certificate.crt`, { path: `${HESTIA_SSL}/certificate.key`, owner: 'root:Debian-exim' }, '/usr/local/bin/deploy-mail-cert.sh'],
  checks: [
    ...onPorts('cert.trusted'),
    ...onPorts('cert.chain.complete'),
    ...onPorts('cert.name.matches'),
    // A name without its own file gets certificate.crt, as a client sending no SNI does: the self-signed one must go too.
    { id: 'cert.trusted', key: 'cert.trusted.fallback', target: { service: 'mail', port: 465, servername: 'autoconfig.domaine.tld' } },
    { id: 'file.cert.fullchain', key: 'file.cert.fullchain.sni', target: { service: 'mail' }, params: { path: CRT } },
    { id: 'file.cert.fullchain', key: 'file.cert.fullchain.fallback', target: { service: 'mail' }, params: { path: `${HESTIA_SSL}/certificate.crt` } },
    { id: 'file.key.permissions', key: 'file.key.permissions.sni', target: { service: 'mail' }, params: { path: KEY, ...KEY_RULE } },
    { id: 'file.key.permissions', key: 'file.key.permissions.fallback', target: { service: 'mail' }, params: { path: `${HESTIA_SSL}/certificate.key`, ...KEY_RULE } },
    { id: 'file.key.matches-cert', key: 'file.key.matches-cert.sni', target: { service: 'mail' }, params: { certPath: CRT, keyPath: KEY } },
    {
      id: 'file.key.matches-cert',
      key: 'file.key.matches-cert.fallback',
      target: { service: 'mail' },
      params: { certPath: `${HESTIA_SSL}/certificate.crt`, keyPath: `${HESTIA_SSL}/certificate.key` },
    },
  ],
  // The panel's self-signed fallback names mail.domaine.tld, matches its own key and is a complete chain of one:
  // those pass at the start.
  startFails: [
    'cert.trusted.25',
    'cert.trusted.587',
    'cert.trusted.465',
    'cert.trusted.fallback',
    'file.cert.fullchain.sni',
    'file.cert.fullchain.fallback',
    'file.key.permissions.sni',
    'file.key.permissions.fallback',
    'file.key.matches-cert.sni',
  ],
  hints: [
    {
      fr: '`exim -bP tls_certificate` montre l’expression SNI : quel fichier Exim cherche-t-il pour le nom mail.domaine.tld ?',
      en: '`exim -bP tls_certificate` shows the SNI expression: which file does Exim look for when asked for mail.domaine.tld?',
    },
    {
      fr: 'Le fichier .crt doit être le *fullchain* (`fullchain.cer`), pas `domaine.tld.cer` : sinon « Verify return code: 21 ».',
      en: 'The .crt file must be the *full chain* (`fullchain.cer`), not `domaine.tld.cer`: otherwise "Verify return code: 21".',
    },
    {
      fr: 'La clé : `chown root:Debian-exim` et `chmod 640`, pour le fichier SNI comme pour `certificate.key`.',
      en: 'The key: `chown root:Debian-exim` and `chmod 640`, for the SNI file as for `certificate.key`.',
    },
    {
      fr: 'Testez comme le support (§13) depuis la toolbox, avec la racine Pebble : `openssl s_client -connect mail.domaine.tld:465 -servername mail.domaine.tld -CAfile /etc/lab/pebble-root.pem </dev/null 2>/dev/null | grep -E "subject=|issuer=|Verify"`.',
      en: 'Test as the course does (§13) from the toolbox, with the Pebble root: `openssl s_client -connect mail.domaine.tld:465 -servername mail.domaine.tld -CAfile /etc/lab/pebble-root.pem </dev/null 2>/dev/null | grep -E "subject=|issuer=|Verify"`.',
    },
  ],
})
