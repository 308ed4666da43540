// Break-fix of the Exim module, troubleshooting row "Cannot load private key": key permissions and key format.
import { defineExercise } from '../define.ts'
import { HESTIA_MAIL, HESTIA_SSL, onPorts, wildcardDeployed } from '../12-exim-deploy-hestia/steps.ts'

const KEY_RULE = { mode: 0o640, owner: 'root:Debian-exim' }

export default defineExercise({
  id: 'exim-break-fix-private-key',
  lab: 'exim',
  title: { fr: 'Dépannage : « Cannot load private key »', en: 'Troubleshooting: "Cannot load private key"' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [...wildcardDeployed(), { service: 'mail', script: './setup.sh' }],
  solution: './solve.sh',
  // Each key travels with its certificate: the grading sandbox's own certificates are from another issuance.
  submission: [
    { path: `${HESTIA_MAIL}/mail.domaine.tld.key`, owner: 'root:Debian-exim' },
    { path: `${HESTIA_SSL}/certificate.key`, owner: 'root:Debian-exim' },
    `${HESTIA_MAIL}/mail.domaine.tld.crt`,
    `${HESTIA_SSL}/certificate.crt`,
  ],
  checks: [
    ...onPorts('cert.trusted', {}, [587, 465]),
    { id: 'cert.trusted', key: 'cert.trusted.fallback', target: { service: 'mail', port: 465, servername: 'autoconfig.domaine.tld' } },
    { id: 'file.key.permissions', key: 'file.key.permissions.sni', target: { service: 'mail' }, params: { path: `${HESTIA_MAIL}/mail.domaine.tld.key`, ...KEY_RULE } },
    { id: 'file.key.permissions', key: 'file.key.permissions.fallback', target: { service: 'mail' }, params: { path: `${HESTIA_SSL}/certificate.key`, ...KEY_RULE } },
    {
      id: 'file.key.matches-cert',
      key: 'file.key.matches-cert.fallback',
      target: { service: 'mail' },
      params: { certPath: `${HESTIA_SSL}/certificate.crt`, keyPath: `${HESTIA_SSL}/certificate.key` },
    },
  ],
  // Both key pairs are broken at the start: every handshake dies (a fail, the server's doing), and the files show why.
  startFails: ['cert.trusted.587', 'cert.trusted.465', 'cert.trusted.fallback', 'file.key.permissions.sni', 'file.key.matches-cert.fallback'],
  hints: [
    {
      fr: "`grep 'TLS error' /var/log/exim4/mainlog | tail -5` : avec GnuTLS, une clé illisible ne donne pas le message du support ; notez le fichier et l’erreur.",
      en: "`grep 'TLS error' /var/log/exim4/mainlog | tail -5`: with GnuTLS an unreadable key does not give the course's message; note the file and the error.",
    },
    {
      fr: "Essayez de lire la clé comme Exim : `su -s /bin/sh Debian-exim -c 'head -1 /usr/local/hestia/ssl/mail/mail.domaine.tld.key'`.",
      en: "Try to read the key as Exim does: `su -s /bin/sh Debian-exim -c 'head -1 /usr/local/hestia/ssl/mail/mail.domaine.tld.key'`.",
    },
    {
      fr: "« Vérifier BEGIN PRIVATE KEY » : `head -1 /usr/local/hestia/ssl/certificate.key`. Un fichier .key qui commence par BEGIN CERTIFICATE n’est pas une clé : la bonne est celle du wildcard, `~/.acme.sh/domaine.tld_ecc/domaine.tld.key`.",
      en: "\"Check BEGIN PRIVATE KEY\": `head -1 /usr/local/hestia/ssl/certificate.key`. A .key file starting with BEGIN CERTIFICATE is not a key: the right one is the wildcard's, `~/.acme.sh/domaine.tld_ecc/domaine.tld.key`.",
      run: {
        service: 'mail',
        script: [
          'chown root:Debian-exim /usr/local/hestia/ssl/mail/mail.domaine.tld.key',
          'chmod 640 /usr/local/hestia/ssl/mail/mail.domaine.tld.key',
          'install -m 640 -o root -g Debian-exim ~/.acme.sh/domaine.tld_ecc/domaine.tld.key /usr/local/hestia/ssl/certificate.key',
          'systemctl reload exim4',
          'sleep 1; lab-listening 25 465 587',
          '',
        ].join('\n'),
      },
    },
  ],
})
