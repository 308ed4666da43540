// Exercise 4 of the Exim module: AUTH hidden before TLS (auth_advertise_hosts) and the TLS protocol/cipher policy in GnuTLS syntax.
import { defineExercise } from '../define.ts'
import { wildcardDeployed } from '../12-exim-deploy-hestia/steps.ts'

export default defineExercise({
  id: 'exim-auth-tls-policy',
  lab: 'exim',
  title: { fr: 'AUTH après TLS et politique TLS (GnuTLS)', en: 'AUTH after TLS and TLS policy (GnuTLS)' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [...wildcardDeployed(), { service: 'mail', script: './setup.sh' }],
  solution: './solve.sh',
  submission: ['/etc/exim4/exim4.conf.template'],
  checks: [
    { id: 'smtp.auth.hidden-before-tls', key: 'smtp.auth.hidden-before-tls.587', target: { service: 'mail', port: 587 }, weight: 2 },
    { id: 'smtp.auth.hidden-before-tls', key: 'smtp.auth.hidden-before-tls.25', target: { service: 'mail', port: 25 } },
    { id: 'smtp.auth.offered-after-tls', target: { service: 'mail', port: 587 } },
    { id: 'tls.version.tls1_0.rejected', target: { service: 'mail', port: 465 } },
    { id: 'tls.version.tls1_1.rejected', target: { service: 'mail', port: 465 } },
    { id: 'tls.version.tls1_2.accepted', target: { service: 'mail', port: 465 } },
    { id: 'tls.version.tls1_3.accepted', target: { service: 'mail', port: 465 } },
    { id: 'tls.cipher.no-weak', target: { service: 'mail', port: 465 } },
    { id: 'tls.cipher.forward-secrecy', target: { service: 'mail', port: 465 } },
  ],
  startFails: ['smtp.auth.hidden-before-tls.587', 'smtp.auth.hidden-before-tls.25', 'tls.version.tls1_0.rejected', 'tls.version.tls1_1.rejected'],
  hints: [
    {
      fr: "Éditez `/etc/exim4/exim4.conf.template`, dans la section principale (avant `begin acl`) : `exim -bP configure_file` montre que le fichier lu est généré à partir de ce modèle à chaque `restart`.",
      en: "Edit `/etc/exim4/exim4.conf.template`, in the main section (before `begin acl`): `exim -bP configure_file` shows the file read is generated from that template on every `restart`.",
    },
    {
      fr: "`exim -bV | grep -i gnutls` : Exim est lié à GnuTLS. `openssl_options` y est refusé et `tls_require_ciphers` attend une chaîne de priorité GnuTLS (`NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2…`), pas une liste OpenSSL.",
      en: "`exim -bV | grep -i gnutls`: Exim is linked with GnuTLS. `openssl_options` is refused there and `tls_require_ciphers` takes a GnuTLS priority string (`NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2…`), not an OpenSSL list.",
    },
    {
      fr: "Après `systemctl reload exim4`, vérifiez qu’Exim tourne encore (`pgrep -a exim4`) et lisez `/var/log/exim4/paniclog` : un reload qui échoue ne le dit pas.",
      en: "After `systemctl reload exim4`, check Exim still runs (`pgrep -a exim4`) and read `/var/log/exim4/paniclog`: a failing reload does not say so.",
    },
    {
      fr: "Testez : `openssl s_client -connect mail.domaine.tld:465 -tls1 -cipher DEFAULT@SECLEVEL=0 </dev/null` doit échouer, et `swaks --server mail.domaine.tld:587 --quit-after EHLO` ne doit plus montrer AUTH.",
      en: "Test: `openssl s_client -connect mail.domaine.tld:465 -tls1 -cipher DEFAULT@SECLEVEL=0 </dev/null` must fail, and `swaks --server mail.domaine.tld:587 --quit-after EHLO` must no longer show AUTH.",
    },
  ],
})
