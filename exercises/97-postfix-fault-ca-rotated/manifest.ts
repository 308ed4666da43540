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
  // The scripted answer takes the toolbox route of hint 2 (stale account, --force-renewal, copy to mail); the last
  // hint's run takes the mail route (certbot on mail itself): `exercises test --from-text` proves that one.
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
      fr: 'Là où certbot avait déjà un compte (la toolbox), il dit « Certificate not yet due for renewal » : ajoutez `--force-renewal` ; puis « Account does not exist » : la nouvelle autorité a oublié le compte, supprimez `/etc/letsencrypt/accounts/acme.lab.test*` pour en créer un autre. Sur mail, les fichiers de `/etc/letsencrypt/live/mail.domaine.tld/` ont été copiés à la main : ce n’est pas une lignée certbot, et certbot refuse d’écrire par-dessus (« live directory exists for mail.domaine.tld »). Mettez-les de côté.',
      en: 'Where certbot already had an account (the toolbox), it says "Certificate not yet due for renewal": add `--force-renewal`; then "Account does not exist": the new CA forgot the account, remove `/etc/letsencrypt/accounts/acme.lab.test*` to create another. On mail, the files in `/etc/letsencrypt/live/mail.domaine.tld/` were copied by hand: they are no certbot lineage, and certbot refuses to write over them ("live directory exists for mail.domaine.tld"). Move them aside.',
    },
    {
      fr: 'Réémettez sur mail lui-même, au chemin que Postfix lit déjà : mettez de côté les anciens fichiers, demandez un certificat à Pebble (DNS-01 par RFC 2136, un nouveau compte), vérifiez-le avec la racine actuelle, puis rechargez Postfix, qui ne relit ses fichiers qu’au rechargement.',
      en: 'Issue again on mail itself, at the path Postfix already reads: move the old files aside, ask Pebble for a certificate (DNS-01 over RFC 2136, a new account), verify it against the current root, then reload Postfix, which reads its files again only on reload.',
      run: {
        service: 'mail',
        script: `mv /etc/letsencrypt/live/mail.domaine.tld /root/mail.domaine.tld-old-ca
certbot certonly --non-interactive --agree-tos --register-unsafely-without-email \\
  --server https://acme.lab.test:14000/dir \\
  --dns-rfc2136 --dns-rfc2136-credentials /etc/lab/rfc2136.ini \\
  -d mail.domaine.tld
curl -s https://acme.lab.test:15000/roots/0 > /root/pebble-root-now.pem
openssl verify -CAfile /root/pebble-root-now.pem -untrusted /etc/letsencrypt/live/mail.domaine.tld/chain.pem /etc/letsencrypt/live/mail.domaine.tld/cert.pem
systemctl reload postfix
`,
      },
    },
  ],
})
