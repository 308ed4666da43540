// Break-fix of the Exim module, troubleshooting row "Erreur verify code 21": two certificates in the file, but the second is
// the root, not the intermediate that signed the leaf.
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
      fr: "`openssl s_client … -showcerts` : combien de certificats le serveur envoie-t-il ? Lisez les lignes ` s:` (sujet) et ` i:` (émetteur) de la « Certificate chain ».",
      en: "`openssl s_client … -showcerts`: how many certificates does the server send? Read the ` s:` (subject) and ` i:` (issuer) lines of the \"Certificate chain\".",
    },
    {
      fr: "Deux `BEGIN CERTIFICATE` dans le fichier ne font pas une chaîne : listez sujet et émetteur de chacun, `openssl crl2pkcs7 -nocrl -certfile /usr/local/hestia/ssl/mail/mail.domaine.tld.crt | openssl pkcs7 -print_certs -noout`. Le 2e doit être l’émetteur du 1er.",
      en: "Two `BEGIN CERTIFICATE` in the file do not make a chain: list each one's subject and issuer, `openssl crl2pkcs7 -nocrl -certfile /usr/local/hestia/ssl/mail/mail.domaine.tld.crt | openssl pkcs7 -print_certs -noout`. The 2nd must be the 1st's issuer.",
    },
    {
      fr: "La racine n’a rien à faire dans le fichier : le client l’a déjà. Le *fullchain* d’acme.sh (`~/.acme.sh/domaine.tld_ecc/fullchain.cer`) contient la feuille et l’intermédiaire ; il faut le déployer aux deux endroits, SNI et *fallback*.",
      en: "The root has no business in the file: the client already has it. acme.sh's *full chain* (`~/.acme.sh/domaine.tld_ecc/fullchain.cer`) holds the leaf and the intermediate; deploy it in both places, SNI and *fallback*.",
      run: {
        service: 'mail',
        script: [
          'install -m 644 -o root -g root ~/.acme.sh/domaine.tld_ecc/fullchain.cer /usr/local/hestia/ssl/mail/mail.domaine.tld.crt',
          'install -m 644 -o root -g root ~/.acme.sh/domaine.tld_ecc/fullchain.cer /usr/local/hestia/ssl/certificate.crt',
          'systemctl reload exim4',
          'sleep 1; lab-listening 25 465 587',
          '',
        ].join('\n'),
      },
    },
  ],
})
