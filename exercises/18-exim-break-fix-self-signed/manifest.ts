// Break-fix of the Exim module, troubleshooting row "Self-signed toujours présenté — fichiers personnalisés absents /
// non lisibles": the SNI files are right, but their folder is closed to the Debian-exim user that evaluates exists{}.
import { defineExercise } from '../define.ts'
import { HESTIA_MAIL, HESTIA_SSL, issueWithAcmeSh, onPorts } from '../12-exim-deploy-hestia/steps.ts'

const KEY_RULE = { mode: 0o640, owner: 'root:Debian-exim' }

export default defineExercise({
  id: 'exim-break-fix-self-signed',
  lab: 'exim',
  title: { fr: 'Dépannage : le certificat auto-signé est toujours présenté', en: 'Troubleshooting: the self-signed certificate is still presented' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [issueWithAcmeSh('domaine.tld', '*.domaine.tld'), issueWithAcmeSh('mail.client2.tld'), { service: 'mail', script: './setup.sh' }],
  solution: './solve.sh',
  // The fix is a folder's mode, which no handed-in file can carry: this exercise is graded in the lab only.
  submission: [],
  checks: [
    ...onPorts('cert.trusted'),
    { id: 'cert.trusted', key: 'cert.trusted.fallback', target: { service: 'mail', port: 465, servername: 'autoconfig.domaine.tld' } },
    // Replacing only the fallback with the wildcard would satisfy every domaine.tld name: client2 tells the SNI files apart.
    { id: 'cert.sni.selects', target: { service: 'mail', port: 465 }, params: { names: { 'mail.domaine.tld': 'mail.domaine.tld', 'mail.client2.tld': 'mail.client2.tld' } } },
    { id: 'file.cert.fullchain', key: 'file.cert.fullchain.fallback', target: { service: 'mail' }, params: { path: `${HESTIA_SSL}/certificate.crt` } },
    { id: 'file.key.permissions', key: 'file.key.permissions.fallback', target: { service: 'mail' }, params: { path: `${HESTIA_SSL}/certificate.key`, ...KEY_RULE } },
    // Right at the start; a `chmod -R` that opens the keys to everyone would break it.
    { id: 'file.key.permissions', key: 'file.key.permissions.sni', target: { service: 'mail' }, params: { path: `${HESTIA_MAIL}/mail.domaine.tld.key`, ...KEY_RULE } },
  ],
  startFails: ['cert.trusted.25', 'cert.trusted.587', 'cert.trusted.465', 'cert.trusted.fallback', 'cert.sni.selects', 'file.key.permissions.fallback'],
  hints: [
    {
      fr: "`exim -bP tls_certificate` : le fichier SNI n’est choisi que si `exists{…}` le voit. Qui évalue cette condition ? Le processus qui reçoit la connexion tourne sous l’utilisateur `Debian-exim`, pas root.",
      en: "`exim -bP tls_certificate`: the SNI file is chosen only if `exists{…}` sees it. Who evaluates that condition? The process that receives the connection runs as the `Debian-exim` user, not root.",
    },
    {
      fr: "Regardez le chemin comme Exim le voit : `su -s /bin/sh Debian-exim -c 'ls -l /usr/local/hestia/ssl/mail/'`, et `namei -l /usr/local/hestia/ssl/mail/mail.domaine.tld.crt` (les droits de chaque dossier du chemin).",
      en: "Look at the path as Exim sees it: `su -s /bin/sh Debian-exim -c 'ls -l /usr/local/hestia/ssl/mail/'`, and `namei -l /usr/local/hestia/ssl/mail/mail.domaine.tld.crt` (the mode of every folder on the path).",
    },
    {
      fr: "Le dossier doit être traversable par Exim (`755`, son mode à l’installation du panneau) ; sans toucher aux clés. Et les clients sans SNI ? Ils reçoivent `certificate.crt` : la FAQ du support conseille de remplacer ce fallback auto-signé par le wildcard.",
      en: "The folder must be traversable by Exim (`755`, its mode when the panel is installed), without touching the keys. And clients without SNI? They get `certificate.crt`: the course's FAQ advises replacing that self-signed fallback with the wildcard.",
      run: {
        service: 'mail',
        script: [
          'chmod 755 /usr/local/hestia/ssl/mail',
          'install -m 644 -o root -g root ~/.acme.sh/domaine.tld_ecc/fullchain.cer /usr/local/hestia/ssl/certificate.crt',
          'install -m 640 -o root -g Debian-exim ~/.acme.sh/domaine.tld_ecc/domaine.tld.key /usr/local/hestia/ssl/certificate.key',
          'systemctl reload exim4',
          'sleep 1; lab-listening 25 465 587',
          '',
        ].join('\n'),
      },
    },
  ],
})
