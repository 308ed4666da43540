// Break-fix of the Exim module, troubleshooting row "AUTH visible avant TLS": the override is in the right file, but its
// ${if} branches are swapped, so AUTH shows in clear text and disappears once TLS is up.
import { defineExercise } from '../define.ts'
import { wildcardDeployed } from '../12-exim-deploy-hestia/steps.ts'

export default defineExercise({
  id: 'exim-break-fix-auth-before-tls',
  lab: 'exim',
  title: { fr: 'Dépannage : AUTH visible avant TLS', en: 'Troubleshooting: AUTH visible before TLS' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [...wildcardDeployed(), { service: 'mail', script: './setup.sh' }],
  solution: './solve.sh',
  submission: ['/etc/exim4/exim4.conf.template'],
  checks: [
    { id: 'smtp.auth.hidden-before-tls', key: 'smtp.auth.hidden-before-tls.587', target: { service: 'mail', port: 587 } },
    { id: 'smtp.auth.hidden-before-tls', key: 'smtp.auth.hidden-before-tls.25', target: { service: 'mail', port: 25 } },
    { id: 'smtp.auth.offered-after-tls', target: { service: 'mail', port: 587 } },
    { id: 'tls.implicit', target: { service: 'mail', port: 465 } },
  ],
  startFails: ['smtp.auth.hidden-before-tls.587', 'smtp.auth.hidden-before-tls.25', 'smtp.auth.offered-after-tls'],
  hints: [
    {
      fr: "Comparez les deux listes EHLO : `swaks --server mail.domaine.tld:587 --quit-after EHLO`, puis `swaks --server mail.domaine.tld:587 --tls --quit-after AUTH` (toolbox). AUTH est là où il ne faut pas, et absent là où il faut.",
      en: "Compare the two EHLO lists: `swaks --server mail.domaine.tld:587 --quit-after EHLO`, then `swaks --server mail.domaine.tld:587 --tls --quit-after AUTH` (toolbox). AUTH is where it must not be, and missing where it must be.",
    },
    {
      fr: "`${if eq{A}{B}{si_vrai}{si_faux}}` : quand `$tls_in_cipher` est vide (pas de TLS), la condition est vraie. `exim -be` évalue une expression hors connexion, donc sans TLS : `exim -be '${if eq{$tls_in_cipher}{}{*}{}}'`.",
      en: "`${if eq{A}{B}{if_true}{if_false}}`: when `$tls_in_cipher` is empty (no TLS), the condition is true. `exim -be` expands an expression outside any connection, hence without TLS: `exim -be '${if eq{$tls_in_cipher}{}{*}{}}'`.",
    },
    {
      fr: "Sans TLS, la liste doit être vide ; avec TLS, `*`. Corrigez la ligne dans `/etc/exim4/exim4.conf.template`, redémarrez, et relisez `exim -bP auth_advertise_hosts` **après** le redémarrage (avant, il montre encore l’ancienne valeur).",
      en: "Without TLS the list must be empty; with TLS, `*`. Fix the line in `/etc/exim4/exim4.conf.template`, restart, and read `exim -bP auth_advertise_hosts` **after** the restart (before it, it still shows the old value).",
      run: {
        service: 'mail',
        script: [
          "sed -i 's/^auth_advertise_hosts = .*/auth_advertise_hosts = ${if eq{$tls_in_cipher}{}{}{*}}/' /etc/exim4/exim4.conf.template",
          'systemctl restart exim4',
          'exim -bP auth_advertise_hosts',
          '',
        ].join('\n'),
      },
    },
  ],
})
