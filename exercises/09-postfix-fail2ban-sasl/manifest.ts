// Postfix attack lab 2: a SASL brute force on 587/465 from the lab attacker, banned by fail2ban (doc 002 §Fail2ban).
import { defineExercise } from '../define.ts'
import saslBruteforce from './checks/sasl-bruteforce.ts'

export default defineExercise({
  id: 'postfix-fail2ban-sasl',
  lab: 'postfix',
  title: { fr: 'Attaque : force brute SASL, défense fail2ban', en: 'Attack: SASL brute force, defended by fail2ban' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [
    { service: 'toolbox', script: 'shared:attacker-dns.sh' },
    { service: 'mail', script: 'shared:postfix-submission.sh' },
    { service: 'mail', script: './setup.sh' },
  ],
  solution: './solve.sh',
  // The answer is a running fail2ban with its bans in the kernel: no handed-in file can carry that, so `grade`
  // refuses this exercise and the lab's own checks grade it, live.
  submission: [],
  localChecks: [saslBruteforce],
  checks: [{ id: 'attack.sasl.bruteforce', target: { service: 'mail', port: 587 } }],
  hints: [
    {
      fr: '`systemctl start fail2ban` puis `tail /var/log/fail2ban.log` : fail2ban dit pourquoi il refuse de démarrer (filtre introuvable, journal introuvable). `fail2ban-client -t` teste la configuration sans démarrer.',
      en: '`systemctl start fail2ban` then `tail /var/log/fail2ban.log`: fail2ban says why it will not start (filter not found, log not found). `fail2ban-client -t` tests the configuration without starting.',
    },
    {
      fr: 'Le filtre « postfix-sasl » n’existe plus depuis fail2ban 0.10 : c’est `postfix[mode=auth]`. Essayez-le sur le vrai journal : `fail2ban-regex /var/log/mail.log "postfix[mode=auth]"`.',
      en: 'The "postfix-sasl" filter is gone since fail2ban 0.10: it is `postfix[mode=auth]`. Try it on the real log: `fail2ban-regex /var/log/mail.log "postfix[mode=auth]"`.',
    },
    {
      fr: 'Debian 12 n’installe pas rsyslog : les journaux vont dans journald (`backend = systemd`). Ce lab écrit mail.log via `maillog_file` de Postfix (`postconf maillog_file`). Et la jail sshd activée par Debian n’a ici aucun journal : désactivez-la.',
      en: 'Debian 12 does not install rsyslog: logs go to journald (`backend = systemd`). This lab writes mail.log through Postfix’s `maillog_file` (`postconf maillog_file`). And the sshd jail Debian enables has no log here: disable it.',
    },
    {
      fr: 'Attaquez vous-même depuis la toolbox : `curl -s -X POST "http://attacker.lab.test:8080/brute?port=587&count=5"`, puis `fail2ban-client status postfix-sasl` et `nft list ruleset` sur mail. Débannir : `fail2ban-client unban IP`.',
      en: 'Attack yourself from the toolbox: `curl -s -X POST "http://attacker.lab.test:8080/brute?port=587&count=5"`, then `fail2ban-client status postfix-sasl` and `nft list ruleset` on mail. Unban: `fail2ban-client unban IP`.',
    },
  ],
})
