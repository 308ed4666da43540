// Break-fix of the Exim module, troubleshooting row "Erreur verify code 21": the leaf deployed without its intermediate.
import { defineExercise } from '../define.ts'
import { HESTIA_MAIL, HESTIA_SSL, issueWithAcmeSh, onPorts } from '../12-exim-deploy-hestia/steps.ts'

export default defineExercise({
  id: 'exim-break-fix-verify-21',
  lab: 'exim',
  title: { fr: 'Dépannage : « Verify return code: 21 »', en: 'Troubleshooting: "Verify return code: 21"' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [issueWithAcmeSh('domaine.tld', '*.domaine.tld'), { service: 'mail', script: './setup.sh' }],
  solution: './solve.sh',
  // Each certificate travels with its key: the grading sandbox's own keys are from another issuance.
  submission: [`${HESTIA_MAIL}/mail.domaine.tld.crt`, `${HESTIA_SSL}/certificate.crt`, `${HESTIA_MAIL}/mail.domaine.tld.key`, `${HESTIA_SSL}/certificate.key`],
  checks: [
    ...onPorts('cert.chain.complete', {}, [587, 465]),
    ...onPorts('cert.trusted', {}, [587, 465]),
    { id: 'file.cert.fullchain', key: 'file.cert.fullchain.sni', target: { service: 'mail' }, params: { path: `${HESTIA_MAIL}/mail.domaine.tld.crt` } },
    { id: 'file.cert.fullchain', key: 'file.cert.fullchain.fallback', target: { service: 'mail' }, params: { path: `${HESTIA_SSL}/certificate.crt` } },
  ],
  hints: [
    {
      fr: '`openssl s_client … -showcerts` : combien de certificats le serveur envoie-t-il ? Comptez les lignes ` s:` / ` i:` de la « Certificate chain ».',
      en: '`openssl s_client … -showcerts`: how many certificates does the server send? Count the ` s:` / ` i:` lines of the "Certificate chain".',
    },
    {
      fr: '`grep -c BEGIN /usr/local/hestia/ssl/mail/mail.domaine.tld.crt` et la même chose sur les fichiers de `~/.acme.sh/domaine.tld_ecc/`.',
      en: '`grep -c BEGIN /usr/local/hestia/ssl/mail/mail.domaine.tld.crt` and the same on the files in `~/.acme.sh/domaine.tld_ecc/`.',
    },
  ],
})
