// Break-fix of the Exim module, troubleshooting row "AUTH visible avant TLS": the override sits in a file Exim never reads.
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
  startFails: ['smtp.auth.hidden-before-tls.587', 'smtp.auth.hidden-before-tls.25'],
  hints: [
    {
      fr: '`exim -bP auth_advertise_hosts` : la valeur effective est-elle celle du fichier `40_local_auth_tls.conf` ?',
      en: '`exim -bP auth_advertise_hosts`: is the effective value the one in `40_local_auth_tls.conf`?',
    },
    {
      fr: 'Cherchez le mot `split` dans `/etc/exim4/update-exim4.conf.conf`, et lisez l’en-tête de `/etc/exim4/exim4.conf.template`.',
      en: 'Look for `split` in `/etc/exim4/update-exim4.conf.conf`, and read the header of `/etc/exim4/exim4.conf.template`.',
    },
    {
      fr: 'Une option principale doit être avant `begin acl` ; vérifiez avec `exim -bP` avant de recharger.',
      en: 'A main option must come before `begin acl`; check with `exim -bP` before reloading.',
    },
  ],
})
