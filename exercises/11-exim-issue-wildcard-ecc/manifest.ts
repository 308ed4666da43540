// Exercise 1 of the Exim module: a wildcard ECC P-256 certificate for domaine.tld by DNS-01 against Pebble (certbot in the toolbox).
import { defineExercise } from '../define.ts'
import sanDates from './checks/san-dates.ts'

export const LINEAGE = '/etc/letsencrypt/live/domaine.tld'

export default defineExercise({
  id: 'exim-issue-wildcard-ecc',
  lab: 'exim',
  title: { fr: 'Émettre un certificat wildcard ECC par DNS-01', en: 'Issue a wildcard ECC certificate with DNS-01' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: './setup.sh',
  solution: './solve.sh',
  submission: [],
  localChecks: [sanDates],
  checks: [
    {
      id: 'file.cert.san-dates',
      target: { service: 'toolbox' },
      params: { path: `${LINEAGE}/fullchain.pem`, names: ['domaine.tld', '*.domaine.tld'], key: 'ec-256', minDays: 20 },
      weight: 3,
    },
    { id: 'file.cert.fullchain', target: { service: 'toolbox' }, params: { path: `${LINEAGE}/fullchain.pem` } },
    { id: 'file.key.matches-cert', target: { service: 'toolbox' }, params: { certPath: `${LINEAGE}/fullchain.pem`, keyPath: `${LINEAGE}/privkey.pem` } },
  ],
  startFails: ['file.cert.san-dates'],
  hints: [
    {
      fr: 'Regardez d’abord ce qui existe : `certbot certificates` puis `openssl x509 -in /etc/letsencrypt/live/domaine.tld/cert.pem -noout -ext subjectAltName -dates -subject`.',
      en: 'Look at what exists first: `certbot certificates` then `openssl x509 -in /etc/letsencrypt/live/domaine.tld/cert.pem -noout -ext subjectAltName -dates -subject`.',
    },
    {
      fr: 'Un wildcard ne couvre pas le domaine nu : il faut deux `-d`, `-d domaine.tld -d "*.domaine.tld"` (les guillemets empêchent le shell de développer l’étoile).',
      en: 'A wildcard does not cover the bare domain: give two `-d`, `-d domaine.tld -d "*.domaine.tld"` (the quotes stop the shell from expanding the star).',
    },
    {
      fr: '`--keylength ec-256` d’acme.sh s’écrit `--key-type ecdsa --elliptic-curve secp256r1` pour certbot ; pour changer le type de clé d’un certificat existant, certbot veut `--cert-name domaine.tld` et `--key-type` sur la même ligne.',
      en: 'acme.sh’s `--keylength ec-256` is `--key-type ecdsa --elliptic-curve secp256r1` for certbot; to change the key type of an existing certificate, certbot wants `--cert-name domaine.tld` and `--key-type` on the same line.',
    },
    {
      fr: 'Le défi DNS-01 passe par le DNS du lab : `--dns-rfc2136 --dns-rfc2136-credentials /etc/lab/rfc2136.ini` et `--server https://acme.lab.test:14000/dir`.',
      en: 'The DNS-01 challenge goes through the lab DNS: `--dns-rfc2136 --dns-rfc2136-credentials /etc/lab/rfc2136.ini` and `--server https://acme.lab.test:14000/dir`.',
    },
  ],
})
