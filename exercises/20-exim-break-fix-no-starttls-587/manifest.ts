// Break-fix of the Exim module, troubleshooting row "Pas de STARTTLS sur 587": the macro file the course adds is never read.
import { defineExercise } from '../define.ts'
import { wildcardDeployed } from '../12-exim-deploy-hestia/steps.ts'

export default defineExercise({
  id: 'exim-break-fix-no-starttls-587',
  lab: 'exim',
  title: { fr: 'Dépannage : pas de STARTTLS sur 587', en: 'Troubleshooting: no STARTTLS on 587' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [...wildcardDeployed(), { service: 'mail', script: './setup.sh' }],
  solution: './solve.sh',
  submission: ['/etc/exim4/exim4.conf.template'],
  checks: [
    { id: 'smtp.starttls.offered', key: 'smtp.starttls.offered.587', target: { service: 'mail', port: 587 } },
    { id: 'smtp.starttls.offered', key: 'smtp.starttls.offered.25', target: { service: 'mail', port: 25 } },
    { id: 'cert.trusted', key: 'cert.trusted.587', target: { service: 'mail', port: 587 } },
    { id: 'config.effective', target: { service: 'mail' }, params: { expect: { tls_advertise_hosts: '*' } } },
  ],
  startFails: ['smtp.starttls.offered.587', 'smtp.starttls.offered.25', 'cert.trusted.587', 'config.effective'],
  hints: [
    {
      fr: "`swaks --server mail.domaine.tld:587 --quit-after EHLO` (toolbox) : la liste EHLO ne contient pas STARTTLS. Puis `exim -bP tls_advertise_hosts` (mail) : une valeur vide.",
      en: "`swaks --server mail.domaine.tld:587 --quit-after EHLO` (toolbox): the EHLO list has no STARTTLS. Then `exim -bP tls_advertise_hosts` (mail): an empty value.",
    },
    {
      fr: "`grep dc_use_split_config /etc/exim4/update-exim4.conf.conf` : si c’est `false`, aucun fichier de `/etc/exim4/conf.d/` n’est lu ; seul `/etc/exim4/exim4.conf.template` l’est.",
      en: "`grep dc_use_split_config /etc/exim4/update-exim4.conf.conf`: if it is `false`, no file in `/etc/exim4/conf.d/` is read; only `/etc/exim4/exim4.conf.template` is.",
    },
    {
      fr: "`grep -n MAIN_TLS /etc/exim4/exim4.conf.template` : la macro y est définie, vide, juste avant `tls_advertise_hosts`. Donnez-lui la valeur `*` dans le modèle, redémarrez, et relisez `exim -bP` **après** le redémarrage.",
      en: "`grep -n MAIN_TLS /etc/exim4/exim4.conf.template`: the macro is defined there, empty, right before `tls_advertise_hosts`. Give it the value `*` in the template, restart, and read `exim -bP` **after** the restart.",
      run: {
        service: 'mail',
        script: [
          "sed -i 's/^MAIN_TLS_ADVERTISE_HOSTS =$/MAIN_TLS_ADVERTISE_HOSTS = */' /etc/exim4/exim4.conf.template",
          "grep -n 'MAIN_TLS_ADVERTISE_HOSTS' /etc/exim4/exim4.conf.template",
          'systemctl restart exim4',
          'exim -bP tls_advertise_hosts',
          '',
        ].join('\n'),
      },
    },
  ],
})
