// Exercise 4 of the Postfix module: submission on 587 with TLS required before MAIL and AUTH (Dovecot SASL).
import { defineExercise } from '../define.ts'
import { postfixTlsBaseline } from '../shared/steps.ts'

export default defineExercise({
  id: 'postfix-submission-587',
  lab: 'postfix',
  title: { fr: 'Port 587 : TLS obligatoire avant AUTH', en: 'Port 587: TLS required before AUTH' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [...postfixTlsBaseline(), { service: 'mail', script: './setup-careless.sh' }],
  solution: './solve.sh',
  submission: ['/etc/postfix/main.cf', '/etc/postfix/master.cf'],
  checks: [
    { id: 'smtp.tls.required-before-mail', target: { service: 'mail', port: 587 } },
    { id: 'smtp.auth.hidden-before-tls', target: { service: 'mail', port: 587 } },
    { id: 'smtp.auth.offered-after-tls', target: { service: 'mail', port: 587 } },
  ],
  startFails: ['smtp.tls.required-before-mail', 'smtp.auth.hidden-before-tls'],
  hints: [
    {
      fr: '`postconf -M submission` montre la ligne du service, `postconf -P submission/inet` ses options `-o`.',
      en: '`postconf -M submission` shows the service line, `postconf -P submission/inet` its `-o` options.',
    },
    {
      fr: 'Testez vous-même depuis la toolbox : `swaks --server mail.domaine.tld:587 --from alice@domaine.tld --to alice@domaine.tld --quit-after MAIL` (sans `--tls` ni `--auth-user`) doit échouer avec 530.',
      en: 'Try it yourself from the toolbox: `swaks --server mail.domaine.tld:587 --from alice@domaine.tld --to alice@domaine.tld --quit-after MAIL` (without `--tls` or `--auth-user`) must fail with 530.',
    },
    {
      fr: 'AUTH annoncé après STARTTLS ? Sinon, regardez `/var/log/mail.log` : « SASL: Connect to private/auth failed » signifie que le socket Dovecot manque.',
      en: 'AUTH offered after STARTTLS? If not, read `/var/log/mail.log`: "SASL: Connect to private/auth failed" means the Dovecot socket is missing.',
    },
  ],
})
