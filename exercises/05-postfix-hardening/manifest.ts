// Exercise 5 of the Postfix module: the course's hardening (ciphers, AUTH only under TLS, VRFY/ETRN, banner, limits, 465).
import { defineExercise } from '../define.ts'
import { postfixTlsBaseline } from '../shared/steps.ts'

export default defineExercise({
  id: 'postfix-hardening',
  lab: 'postfix',
  title: { fr: 'Durcir Postfix : chiffrements, commandes, bannière, limites, port 465', en: 'Harden Postfix: ciphers, commands, banner, limits, port 465' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [...postfixTlsBaseline(), { service: 'mail', script: './setup-loose.sh' }],
  solution: './solve.sh',
  submission: ['/etc/postfix/main.cf', '/etc/postfix/master.cf'],
  checks: [
    { id: 'smtp.banner.no-version', target: { service: 'mail', port: 25 } },
    { id: 'smtp.vrfy.disabled', target: { service: 'mail', port: 25 } },
    { id: 'smtp.etrn.rejected', target: { service: 'mail', port: 25 } },
    { id: 'smtp.auth.hidden-before-tls', target: { service: 'mail', port: 25 } },
    { id: 'smtp.connection-limit', target: { service: 'mail', port: 25 } },
    { id: 'tls.cipher.no-weak', target: { service: 'mail', port: 25 } },
    { id: 'tls.implicit', target: { service: 'mail', port: 465 } },
  ],
  hints: [
    {
      fr: 'Sur le port 25, TLS est opportuniste : c’est `smtpd_tls_ciphers` qui choisit les suites, pas `smtpd_tls_mandatory_ciphers`.',
      en: 'On port 25 TLS is opportunistic: `smtpd_tls_ciphers` picks the suites, not `smtpd_tls_mandatory_ciphers`.',
    },
    {
      fr: 'Les suites anonymes (ADH, AECDH) portent le marqueur `aNULL` : c’est lui qu’il faut exclure.',
      en: 'Anonymous suites (ADH, AECDH) carry the `aNULL` tag: that is what to exclude.',
    },
    {
      fr: 'Testez VRFY et ETRN à la main : `swaks` ne le fait pas, mais `openssl s_client -connect mail.domaine.tld:25 -starttls smtp -crlf` permet de taper `VRFY root` et `ETRN domaine.tld`.',
      en: 'Try VRFY and ETRN by hand: `openssl s_client -connect mail.domaine.tld:25 -starttls smtp -crlf` lets you type `VRFY root` and `ETRN domaine.tld`.',
    },
    {
      fr: 'Port 465 : `postconf -M smtps` puis `postconf -P smtps/inet/smtpd_tls_wrappermode=yes`.',
      en: 'Port 465: `postconf -M smtps` then `postconf -P smtps/inet/smtpd_tls_wrappermode=yes`.',
    },
  ],
})
