// Break-fix for the instructor fault cert-expired (sandbox fault inject cert-expired).
import { defineExercise } from '../define.ts'

export default defineExercise({
  id: 'postfix-fault-cert-expired',
  lab: 'postfix',
  title: { fr: 'Panne : le certificat servi a expiré', en: 'Fault: the served certificate expired' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [{ service: 'mail', script: 'shared:faults/cert-expired.sh', args: ['inject'] }],
  solution: './solve.sh',
  submission: [],
  checks: [{ id: 'cert.validity.days-left', target: { service: 'mail', port: 25 } }],
  hints: [
    {
      fr: 'Regardez les dates du certificat que le serveur présente vraiment : `openssl s_client -connect mail.domaine.tld:25 -starttls smtp </dev/null | openssl x509 -noout -dates`.',
      en: 'Look at the dates of the certificate the server really presents: `openssl s_client -connect mail.domaine.tld:25 -starttls smtp </dev/null | openssl x509 -noout -dates`.',
    },
    {
      fr: '`postconf smtpd_tls_cert_file` dit quel fichier Postfix sert : ici `/etc/ssl/certs/ssl-cert-snakeoil.pem`, la paire « snakeoil » que Debian fabrique à l’installation (un certificat Let’s Encrypt, lui, se renouvellerait avec `certbot renew`). Le paquet ssl-cert la refait avec `make-ssl-cert generate-default-snakeoil --force-overwrite` (nouvelle clé, nouveau certificat de 10 ans) ; puis `systemctl reload postfix`.',
      en: '`postconf smtpd_tls_cert_file` tells which file Postfix serves: here `/etc/ssl/certs/ssl-cert-snakeoil.pem`, the "snakeoil" pair Debian makes at install time (a Let’s Encrypt certificate would renew with `certbot renew`). The ssl-cert package remakes it with `make-ssl-cert generate-default-snakeoil --force-overwrite` (new key, new 10-year certificate); then `systemctl reload postfix`.',
      run: {
        service: 'mail',
        script: `make-ssl-cert generate-default-snakeoil --force-overwrite
openssl x509 -in /etc/ssl/certs/ssl-cert-snakeoil.pem -noout -dates
systemctl reload postfix
`,
      },
    },
  ],
})
