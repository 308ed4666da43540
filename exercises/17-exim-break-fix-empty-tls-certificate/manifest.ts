// Break-fix of the Exim module, troubleshooting row "tls_certificate = \ (vide)": the SNI expression falls back on a missing file.
import { defineExercise } from '../define.ts'
import { HESTIA_SSL, wildcardDeployed } from '../12-exim-deploy-hestia/steps.ts'

export default defineExercise({
  id: 'exim-break-fix-empty-tls-certificate',
  lab: 'exim',
  title: { fr: 'Dépannage : le fallback de l’expression SNI n’existe pas', en: 'Troubleshooting: the SNI expression’s fallback does not exist' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [...wildcardDeployed(), { service: 'mail', script: './setup.sh' }],
  solution: './solve.sh',
  submission: [`${HESTIA_SSL}/certificate.crt`, { path: `${HESTIA_SSL}/certificate.key`, owner: 'root:Debian-exim' }],
  checks: [
    // Symptom: Exim loads the default (fallback) pair before it reads SNI, so every handshake dies, whatever the name.
    { id: 'cert.trusted', key: 'cert.trusted.fallback', target: { service: 'mail', port: 465, servername: 'autoconfig.domaine.tld' } },
    { id: 'cert.sni.selects', target: { service: 'mail', port: 587 }, params: { names: { 'webmail.domaine.tld': 'webmail.domaine.tld', 'mail.domaine.tld': 'mail.domaine.tld' } } },
    { id: 'file.cert.fullchain', target: { service: 'mail' }, params: { path: `${HESTIA_SSL}/certificate.crt` } },
    { id: 'file.key.matches-cert', target: { service: 'mail' }, params: { certPath: `${HESTIA_SSL}/certificate.crt`, keyPath: `${HESTIA_SSL}/certificate.key` } },
    { id: 'file.key.permissions', target: { service: 'mail' }, params: { path: `${HESTIA_SSL}/certificate.key`, mode: 0o640, owner: 'root:Debian-exim' } },
  ],
  // The handshake failures are `inconclusive` for the grader (it never sees a certificate); the files tell the story.
  startFails: ['file.cert.fullchain', 'file.key.matches-cert', 'file.key.permissions'],
  hints: [
    {
      fr: "Sans SNI : `openssl s_client -connect mail.domaine.tld:465 </dev/null` (toolbox). Avec : ajoutez `-servername mail.domaine.tld`. Les deux échouent : le fichier SNI n’est donc pas en cause.",
      en: "Without SNI: `openssl s_client -connect mail.domaine.tld:465 </dev/null` (toolbox). With it: add `-servername mail.domaine.tld`. Both fail: so the SNI file is not the cause.",
    },
    {
      fr: "`grep 'TLS error' /var/log/exim4/mainlog | tail` donne le nom du fichier qu’Exim n’a pas pu lire : `ls -l` ce fichier.",
      en: "`grep 'TLS error' /var/log/exim4/mainlog | tail` names the file Exim could not read: `ls -l` that file.",
    },
    {
      fr: "Le correctif du tableau : « Déployer mail.<domaine>.crt ou le fallback certificate.crt ». Ici, c’est le fallback qui manque : le wildcard est dans `~/.acme.sh/domaine.tld_ecc/` (le *fullchain* pour le .crt, la clé en 640 root:Debian-exim).",
      en: "The table's fix: \"deploy mail.<domain>.crt or the fallback certificate.crt\". Here the fallback is missing: the wildcard is in `~/.acme.sh/domaine.tld_ecc/` (the *full chain* for the .crt, the key 640 root:Debian-exim).",
      run: {
        service: 'mail',
        script: [
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
