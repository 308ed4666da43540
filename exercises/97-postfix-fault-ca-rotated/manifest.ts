// Break-fix for the instructor fault ca-rotated (sandbox fault inject ca-rotated): a new Pebble root.
import { defineExercise } from '../define.ts'
import { installCertOnMail, postfixTlsBaseline } from '../shared/steps.ts'
import chainsToLiveRoot from './checks/chains-to-live-root.ts'

export default defineExercise({
  id: 'postfix-fault-ca-rotated',
  lab: 'postfix',
  title: { fr: 'Panne : l’autorité a changé de racine', en: 'Fault: the CA rotated its root' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [...postfixTlsBaseline(), { service: 'acme', script: 'shared:faults/ca-rotated.sh', args: ['inject'] }],
  solution: [{ service: 'toolbox', script: './reissue.sh' }, ...installCertOnMail('mail.domaine.tld'), { service: 'mail', script: './reload.sh' }],
  // The answer is a certificate from the live CA, which a handed-in file cannot bring into a grading sandbox whose
  // Pebble has another root again.
  submission: [],
  localChecks: [chainsToLiveRoot],
  checks: [{ id: 'cert.trusted.live-root', target: { service: 'mail', port: 25 } }],
  hints: [
    {
      fr: 'Comparez l’émetteur du certificat servi (`openssl s_client -connect mail.domaine.tld:25 -starttls smtp -showcerts`) et la racine actuelle : `curl https://acme.lab.test:15000/roots/0 | openssl x509 -noout -subject -fingerprint`. Puis `openssl verify -CAfile racine.pem -untrusted chain.pem cert.pem`.',
      en: 'Compare the served certificate’s issuer (`openssl s_client -connect mail.domaine.tld:25 -starttls smtp -showcerts`) with the current root: `curl https://acme.lab.test:15000/roots/0 | openssl x509 -noout -subject -fingerprint`. Then `openssl verify -CAfile root.pem -untrusted chain.pem cert.pem`.',
    },
    {
      fr: 'certbot dit « Certificate not yet due for renewal » : ajoutez `--force-renewal`. « Account does not exist » : la nouvelle autorité a oublié le compte, supprimez `/etc/letsencrypt/accounts/acme.lab.test*` pour en créer un autre.',
      en: 'certbot says "Certificate not yet due for renewal": add `--force-renewal`. "Account does not exist": the new CA forgot the account, remove `/etc/letsencrypt/accounts/acme.lab.test*` to create another.',
    },
  ],
})
