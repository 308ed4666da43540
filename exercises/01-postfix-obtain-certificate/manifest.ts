// Exercise 1 of the Postfix module: obtain a certificate from Pebble with certbot (DNS-01), and a self-signed one.
import { defineExercise } from '../define.ts'
import sanDates from '../11-exim-issue-wildcard-ecc/checks/san-dates.ts'
import { installCertOnMail, issueCert } from '../shared/steps.ts'

const LIVE = '/etc/letsencrypt/live/mail.domaine.tld'

export default defineExercise({
  id: 'postfix-obtain-certificate',
  lab: 'postfix',
  title: { fr: 'Obtenir un certificat (certbot + Pebble, et auto-signé)', en: 'Obtain a certificate (certbot + Pebble, and self-signed)' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: './setup.sh',
  // The certificate obtained in the toolbox is copied to mail, where Postfix will use it (exercise 2) and the grader reads it.
  solution: [issueCert('mail.domaine.tld'), ...installCertOnMail('mail.domaine.tld', LIVE), { service: 'mail', script: './solve-selfsigned.sh' }],
  submission: [`${LIVE}/fullchain.pem`, `${LIVE}/privkey.pem`, '/etc/postfix/ssl/cert.pem', '/etc/postfix/ssl/key.pem'],
  localChecks: [sanDates],
  checks: [
    // What the certificate is: issued by the lab's ACME CA (Pebble), for mail.domaine.tld, valid now.
    { id: 'file.cert.san-dates', key: 'file.cert.lab-issued', target: { service: 'mail' }, params: { path: `${LIVE}/fullchain.pem`, names: ['mail.domaine.tld'], minDays: 1 } },
    { id: 'file.cert.fullchain', target: { service: 'mail' }, params: { path: `${LIVE}/fullchain.pem` } },
    { id: 'file.key.matches-cert', target: { service: 'mail' }, params: { certPath: `${LIVE}/fullchain.pem`, keyPath: `${LIVE}/privkey.pem` } },
    {
      id: 'file.key.matches-cert',
      key: 'selfsigned.key.matches-cert',
      target: { service: 'mail' },
      params: { certPath: '/etc/postfix/ssl/cert.pem', keyPath: '/etc/postfix/ssl/key.pem' },
    },
    {
      id: 'file.key.permissions',
      key: 'selfsigned.key.permissions',
      target: { service: 'mail' },
      params: { path: '/etc/postfix/ssl/key.pem', mode: 0o600, owner: 'root:root' },
    },
  ],
  hints: [
    {
      fr: 'Le nom et le secret TSIG sont dans `/etc/lab/tsig.key`, l’adresse du DNS dans `/etc/lab/env`.',
      en: 'The TSIG name and secret are in `/etc/lab/tsig.key`, the DNS address in `/etc/lab/env`.',
    },
    {
      fr: 'Certbot doit parler à Pebble, pas à Let’s Encrypt : `--server https://acme.lab.test:14000/dir`.',
      en: 'Certbot must talk to Pebble, not Let’s Encrypt: `--server https://acme.lab.test:14000/dir`.',
    },
    {
      fr: 'Le serveur de mise à jour DNS écoute sur le port 5353 (le 53 est le résolveur) : `dns_rfc2136_port = 5353`.',
      en: 'The DNS update server listens on port 5353 (53 is the resolver): `dns_rfc2136_port = 5353`.',
    },
    {
      fr: 'Pour l’auto-signé : `openssl req -new -x509 -days 365 -nodes -subj "/CN=mail.domaine.tld" -addext "subjectAltName=DNS:mail.domaine.tld" -out … -keyout …` (le nom dans le SAN : les clients ignorent le CN), puis `chmod 600` sur la clé.',
      en: 'For the self-signed one: `openssl req -new -x509 -days 365 -nodes -subj "/CN=mail.domaine.tld" -addext "subjectAltName=DNS:mail.domaine.tld" -out … -keyout …` (the name in the SAN: clients ignore the CN), then `chmod 600` on the key.',
    },
  ],
})
