// Exercise 3 of the Postfix module: test TLS with openssl s_client, then fix what it shows.
import { defineExercise } from '../define.ts'
import { installCertOnMail, issueCert, mailCertInstalled } from '../shared/steps.ts'

export default defineExercise({
  id: 'postfix-test-tls',
  lab: 'postfix',
  title: { fr: 'Tester TLS avec openssl s_client', en: 'Test TLS with openssl s_client' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [
    ...mailCertInstalled(),
    issueCert('mail.example.com'),
    ...installCertOnMail('mail.example.com', '/etc/postfix/ssl/mail.example.com'),
    { service: 'mail', script: './setup-wrong.sh' },
  ],
  solution: './solve.sh',
  submission: ['/etc/postfix/main.cf'],
  checks: [
    { id: 'tls.version.tls1_2.accepted', target: { service: 'mail', port: 25 } },
    { id: 'tls.version.tls1_3.accepted', target: { service: 'mail', port: 25 } },
    { id: 'cert.trusted', target: { service: 'mail', port: 25 } },
    { id: 'cert.chain.complete', target: { service: 'mail', port: 25 } },
    { id: 'cert.name.matches', target: { service: 'mail', port: 25, servername: 'mail.domaine.tld' } },
  ],
  startFails: ['tls.version.tls1_3.accepted', 'cert.trusted', 'cert.chain.complete', 'cert.name.matches'],
  hints: [
    {
      fr: '`openssl s_client … -brief` résume la connexion : protocole, chiffrement, résultat de la vérification.',
      en: '`openssl s_client … -brief` sums the connection up: protocol, cipher, verification result.',
    },
    {
      fr: '« unable to verify the first certificate » : le serveur n’envoie pas l’intermédiaire. Regardez quel fichier `smtpd_tls_cert_file` désigne.',
      en: '"unable to verify the first certificate": the server does not send the intermediate. Look at the file `smtpd_tls_cert_file` names.',
    },
    {
      fr: '`<=TLSv1.2` dans `smtpd_tls_protocols` interdit TLS 1.3 : `>=TLSv1.2` suffit.',
      en: '`<=TLSv1.2` in `smtpd_tls_protocols` forbids TLS 1.3: `>=TLSv1.2` is enough.',
    },
    {
      fr: 'La correction : le certificat de `mail.domaine.tld` avec sa chaîne (`fullchain.pem`) et sa clé, TLS 1.2 et 1.3 ; puis refaites les tests de la partie 1.',
      en: 'The fix: the `mail.domaine.tld` certificate with its chain (`fullchain.pem`) and its key, TLS 1.2 and 1.3; then run part 1’s tests again.',
      run: {
        service: 'mail',
        script: [
          'postconf -e \\',
          "  'smtpd_tls_cert_file = /etc/letsencrypt/live/mail.domaine.tld/fullchain.pem' \\",
          "  'smtpd_tls_key_file = /etc/letsencrypt/live/mail.domaine.tld/privkey.pem' \\",
          "  'smtpd_tls_protocols = >=TLSv1.2' \\",
          "  'smtpd_tls_mandatory_protocols = >=TLSv1.2'",
          'postfix check && systemctl reload postfix',
          '',
        ].join('\n'),
      },
    },
  ],
})
