// Break-fix of the Exim module, troubleshooting row "Self-signed toujours présenté": custom files absent under the expected name.
import { defineExercise } from '../define.ts'
import { HESTIA_MAIL, HESTIA_SSL, issueWithAcmeSh, onPorts } from '../12-exim-deploy-hestia/steps.ts'

export default defineExercise({
  id: 'exim-break-fix-self-signed',
  lab: 'exim',
  title: { fr: 'Dépannage : le certificat auto-signé est toujours présenté', en: 'Troubleshooting: the self-signed certificate is still presented' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [issueWithAcmeSh('domaine.tld', '*.domaine.tld'), { service: 'mail', script: './setup.sh' }],
  solution: './solve.sh',
  submission: [
    `${HESTIA_MAIL}/mail.domaine.tld.crt`,
    { path: `${HESTIA_MAIL}/mail.domaine.tld.key`, owner: 'root:Debian-exim' },
    `${HESTIA_SSL}/certificate.crt`,
    { path: `${HESTIA_SSL}/certificate.key`, owner: 'root:Debian-exim' },
  ],
  checks: [
    ...onPorts('cert.trusted'),
    { id: 'cert.trusted', key: 'cert.trusted.fallback', target: { service: 'mail', port: 465, servername: 'autoconfig.domaine.tld' } },
    { id: 'file.cert.fullchain', target: { service: 'mail' }, params: { path: `${HESTIA_MAIL}/mail.domaine.tld.crt` } },
    { id: 'file.key.permissions', target: { service: 'mail' }, params: { path: `${HESTIA_MAIL}/mail.domaine.tld.key`, mode: 0o640, owner: 'root:Debian-exim' } },
  ],
  hints: [
    {
      fr: '`ls -l /usr/local/hestia/ssl/mail/` puis `exim -bP tls_certificate` : quel nom de fichier l’expression construit-elle à partir de `$tls_in_sni` ?',
      en: '`ls -l /usr/local/hestia/ssl/mail/` then `exim -bP tls_certificate`: which file name does the expression build from `$tls_in_sni`?',
    },
    {
      fr: '`$tls_in_sni` est le nom demandé par le client (`mail.domaine.tld`), pas le nom du certificat (`domaine.tld`).',
      en: '`$tls_in_sni` is the name the client asks for (`mail.domaine.tld`), not the certificate’s name (`domaine.tld`).',
    },
    {
      fr: 'Et les clients sans SNI ? Ils reçoivent `certificate.crt` : la FAQ du support conseille de remplacer ce fallback auto-signé.',
      en: 'And clients without SNI? They get `certificate.crt`: the course’s FAQ advises replacing that self-signed fallback.',
    },
  ],
})
