// Postfix attack lab 1: STARTTLS stripping on the route to a partner, defeated by MTA-STS (enforce) or DANE.
import { defineExercise } from '../define.ts'
import starttlsDowngrade from './checks/starttls-downgrade.ts'

export default defineExercise({
  id: 'postfix-starttls-stripping',
  lab: 'postfix',
  title: { fr: 'Attaque : retrait de STARTTLS, défense MTA-STS ou DANE', en: 'Attack: STARTTLS stripping, defended by MTA-STS or DANE' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [
    { service: 'toolbox', script: './setup-route.sh' },
    { service: 'mail', script: './setup-mail.sh' },
  ],
  // The MTA-STS answer; the DANE answer (./solve-dane.sh) is proved by checks/starttls-downgrade.sandbox.test.ts.
  solution: [{ service: 'mail', script: './solve-mta-sts.sh' }],
  // The MTA-STS answer includes a running daemon (postfix-mta-sts-resolver), which no handed-in file can carry:
  // `grade` refuses this exercise and the lab's own checks grade it, live.
  submission: [],
  localChecks: [starttlsDowngrade],
  checks: [{ id: 'attack.starttls.downgrade', target: { service: 'mail' } }],
  hints: [
    {
      fr: 'Regardez ce que l’attaquant voit : depuis la toolbox, `curl -s http://attacker.lab.test:8080/status`, puis dans mail.log la ligne `status=` de votre message et l’absence de « TLS connection established ».',
      en: 'Look at what the attacker sees: from the toolbox, `curl -s http://attacker.lab.test:8080/status`, then in mail.log your message’s `status=` line and the missing "TLS connection established".',
    },
    {
      fr: 'Le partenaire publie une politique : `dig +short TXT _mta-sts.orders.secure-partner.com` et `curl https://mta-sts.orders.secure-partner.com/.well-known/mta-sts.txt`. Postfix ne la lit pas seul : Debian fournit `postfix-mta-sts-resolver` (`systemctl start postfix-mta-sts-resolver`, puis `postmap -q orders.secure-partner.com socketmap:inet:127.0.0.1:8461:postfix`).',
      en: 'The partner publishes a policy: `dig +short TXT _mta-sts.orders.secure-partner.com` and `curl https://mta-sts.orders.secure-partner.com/.well-known/mta-sts.txt`. Postfix does not read it by itself: Debian ships `postfix-mta-sts-resolver` (`systemctl start postfix-mta-sts-resolver`, then `postmap -q orders.secure-partner.com socketmap:inet:127.0.0.1:8461:postfix`).',
    },
    {
      fr: 'Autre voie : DANE. `dig +dnssec TLSA _25._tcp.mx.orders.secure-partner.com` doit montrer le drapeau `ad` ; côté Postfix, `smtp_dns_support_level = dnssec` et `smtp_tls_security_level = dane`.',
      en: 'Another way: DANE. `dig +dnssec TLSA _25._tcp.mx.orders.secure-partner.com` must show the `ad` flag; in Postfix, `smtp_dns_support_level = dnssec` and `smtp_tls_security_level = dane`.',
    },
    {
      fr: 'Un message différé repart avec `postqueue -f` ; `mailq` montre la file et la raison du report.',
      en: 'A deferred message leaves again with `postqueue -f`; `mailq` shows the queue and why it was deferred.',
    },
  ],
})
