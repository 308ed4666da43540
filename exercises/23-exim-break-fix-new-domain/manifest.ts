// Break-fix of the Exim module, troubleshooting row "Nouveau domaine non chiffré": certificate not deployed under the exact name.
import { defineExercise } from '../define.ts'
import { HESTIA_MAIL, issueWithAcmeSh, onPorts, wildcardDeployed } from '../12-exim-deploy-hestia/steps.ts'

const HOST = 'mail.example.com'

export default defineExercise({
  id: 'exim-break-fix-new-domain',
  lab: 'exim',
  title: { fr: 'Dépannage : le nouveau domaine n’est pas chiffré correctement', en: 'Troubleshooting: the new domain is not properly encrypted' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [...wildcardDeployed(), issueWithAcmeSh(HOST), { service: 'mail', script: './setup.sh' }],
  solution: './solve.sh',
  submission: [`${HESTIA_MAIL}/${HOST}.crt`, { path: `${HESTIA_MAIL}/${HOST}.key`, owner: 'root:Debian-exim' }],
  checks: [
    { id: 'cert.sni.selects', target: { service: 'mail', port: 465 }, params: { names: { [HOST]: HOST, 'mail.domaine.tld': 'mail.domaine.tld' } } },
    ...onPorts('cert.name.matches', { target: { service: 'mail', servername: HOST } }, [25, 587]),
    { id: 'file.key.permissions', target: { service: 'mail' }, params: { path: `${HESTIA_MAIL}/${HOST}.key`, mode: 0o640, owner: 'root:Debian-exim' } },
  ],
  hints: [
    {
      fr: '`ls /usr/local/hestia/ssl/mail/` et `exim -bP tls_certificate` : pour le nom SNI `mail.example.com`, quel fichier est cherché ?',
      en: '`ls /usr/local/hestia/ssl/mail/` and `exim -bP tls_certificate`: for the SNI name `mail.example.com`, which file is looked for?',
    },
    {
      fr: 'Le fichier doit porter le nom exact que le client demande, `mail.example.com`, pas celui du domaine.',
      en: 'The file must carry the exact name the client asks for, `mail.example.com`, not the domain’s.',
    },
  ],
})
