// Exercise 7 of the Postfix module: MTA-STS policy over HTTPS, TLS-RPT, and DANE TLSA 3 1 1 in the signed zone.
import { defineExercise } from '../define.ts'
import { issueCert, postfixTlsBaseline } from '../shared/steps.ts'

const MAIL_LIVE = '/etc/letsencrypt/live/mail.domaine.tld'

export default defineExercise({
  id: 'postfix-mta-sts-dane',
  lab: 'postfix',
  title: { fr: 'MTA-STS, TLS-RPT et DANE', en: 'MTA-STS, TLS-RPT and DANE' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: postfixTlsBaseline(),
  solution: [issueCert('mta-sts.domaine.tld'), { service: 'toolbox', script: './solve-toolbox.sh' }],
  // The answer lives in the lab DNS and the toolbox's web server: the hand-in is the site, the policy, the records as
  // `dig` prints them, and the mail host's key and certificate that the TLSA record names. Grading installs them in a
  // fresh sandbox, then `publish` does what the learner did by hand: enable the site, send the records (nsupdate).
  submission: [
    `${MAIL_LIVE}/fullchain.pem`,
    `${MAIL_LIVE}/privkey.pem`,
    { path: '/etc/nginx/sites-available/mta-sts', service: 'toolbox' },
    { path: '/var/www/mta-sts/.well-known/mta-sts.txt', service: 'toolbox' },
    { path: '/root/domaine.tld.zone', service: 'toolbox' },
  ],
  // The site's own certificate is lab infrastructure, as in the learner's sandbox: the grading lab issues it.
  publish: [issueCert('mta-sts.domaine.tld'), { service: 'toolbox', script: './publish-toolbox.sh' }],
  checks: [
    { id: 'dns.mta-sts.record', target: { service: 'dns', domain: 'domaine.tld' } },
    { id: 'dns.mta-sts.policy', target: { service: 'dns', domain: 'domaine.tld' }, params: { mode: 'enforce' } },
    { id: 'dns.tlsrpt.record', target: { service: 'dns', domain: 'domaine.tld' } },
    { id: 'dns.dane.tlsa-matches', target: { service: 'mail', port: 25, domain: 'domaine.tld' } },
  ],
  startFails: ['dns.mta-sts.record', 'dns.mta-sts.policy', 'dns.tlsrpt.record', 'dns.dane.tlsa-matches'],
  hints: [
    {
      fr: '`certbot certonly --server https://acme.lab.test:14000/dir --dns-rfc2136 --dns-rfc2136-credentials /etc/lab/rfc2136.ini -d mta-sts.domaine.tld`',
      en: '`certbot certonly --server https://acme.lab.test:14000/dir --dns-rfc2136 --dns-rfc2136-credentials /etc/lab/rfc2136.ini -d mta-sts.domaine.tld`',
    },
    {
      fr: 'Dans nginx, `default_type text/plain;` dans un `location = /.well-known/mta-sts.txt` garantit le bon Content-Type ; testez avec `curl --cacert /etc/lab/pebble-root.pem -i https://mta-sts.domaine.tld/.well-known/mta-sts.txt` (la toolbox ne fait pas confiance à Pebble par défaut).',
      en: 'In nginx, `default_type text/plain;` inside `location = /.well-known/mta-sts.txt` ensures the right Content-Type; test with `curl --cacert /etc/lab/pebble-root.pem -i https://mta-sts.domaine.tld/.well-known/mta-sts.txt`.',
    },
    {
      fr: 'nsupdate doit parler au serveur faisant autorité : `server $LAB_DNS_IP 5353`, et signer avec `-k /etc/lab/tsig.key`.',
      en: 'nsupdate must talk to the authoritative server: `server $LAB_DNS_IP 5353`, and sign with `-k /etc/lab/tsig.key`.',
    },
    {
      fr: 'Pour « 3 1 1 », l’empreinte porte sur la clé publique (SPKI) en DER, pas sur le certificat entier ni sur le PEM.',
      en: 'For "3 1 1", the digest covers the public key (SPKI) in DER form, not the whole certificate nor the PEM text.',
    },
  ],
})
