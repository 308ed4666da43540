// Exercise 2 of the Postfix module: main.cf TLS with the Pebble certificate, TLS 1.2 and later only.
import { defineExercise } from '../define.ts'
import { mailCertInstalled } from '../shared/steps.ts'

export default defineExercise({
  id: 'postfix-tls-main-cf',
  lab: 'postfix',
  title: { fr: 'Configurer TLS dans main.cf (TLS 1.2 minimum)', en: 'Configure TLS in main.cf (TLS 1.2 minimum)' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [...mailCertInstalled(), { service: 'mail', script: './setup.sh' }],
  solution: './solve.sh',
  submission: ['/etc/postfix/main.cf'],
  checks: [
    { id: 'cert.trusted', target: { service: 'mail', port: 25 } },
    { id: 'cert.name.matches', target: { service: 'mail', port: 25 } },
    { id: 'cert.chain.complete', target: { service: 'mail', port: 25 } },
    { id: 'tls.version.tls1_0.rejected', target: { service: 'mail', port: 25 } },
    { id: 'tls.version.tls1_1.rejected', target: { service: 'mail', port: 25 } },
    { id: 'tls.version.tls1_2.accepted', target: { service: 'mail', port: 25 } },
    { id: 'cert.key.strength', target: { service: 'mail', port: 25 } },
    { id: 'cert.validity.days-left', target: { service: 'mail', port: 25 } },
    {
      id: 'config.effective',
      target: { service: 'mail' },
      params: {
        expect: {
          smtpd_tls_security_level: 'may',
          smtpd_tls_protocols: '>=TLSv1.2',
          smtpd_tls_mandatory_protocols: '>=TLSv1.2',
        },
      },
    },
  ],
  startFails: ['cert.trusted', 'tls.version.tls1_0.rejected', 'tls.version.tls1_1.rejected', 'config.effective'],
  hints: [
    {
      fr: '`postconf smtpd_tls_cert_file smtpd_tls_key_file` montre les fichiers utilisés : ce sont ceux de snakeoil.',
      en: '`postconf smtpd_tls_cert_file smtpd_tls_key_file` shows the files in use: the snakeoil ones.',
    },
    {
      fr: 'Utilisez `fullchain.pem`, pas `cert.pem` : le client a besoin de l’intermédiaire pour remonter à la racine.',
      en: 'Use `fullchain.pem`, not `cert.pem`: the client needs the intermediate to reach the root.',
    },
    {
      fr: 'TLS 1.0 passe encore ? Sur le port 25 (niveau may), c’est `smtpd_tls_protocols` qui s’applique, pas seulement `smtpd_tls_mandatory_protocols`.',
      en: 'TLS 1.0 still accepted? On port 25 (level may), `smtpd_tls_protocols` applies, not only `smtpd_tls_mandatory_protocols`.',
    },
    {
      fr: 'N’oubliez pas `systemctl reload postfix` après chaque modification.',
      en: 'Do not forget `systemctl reload postfix` after each change.',
    },
  ],
})
