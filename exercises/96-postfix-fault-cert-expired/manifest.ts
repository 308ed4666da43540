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
      fr: '`postconf smtpd_tls_cert_file` dit quel fichier Postfix sert. Un certificat Let’s Encrypt se renouvelle avec `certbot renew` ; la paire « snakeoil » de Debian se refait avec `make-ssl-cert generate-default-snakeoil --force-overwrite`. Puis `systemctl reload postfix`.',
      en: '`postconf smtpd_tls_cert_file` tells which file Postfix serves. A Let’s Encrypt certificate renews with `certbot renew`; Debian’s "snakeoil" pair is remade with `make-ssl-cert generate-default-snakeoil --force-overwrite`. Then `systemctl reload postfix`.',
    },
  ],
})
