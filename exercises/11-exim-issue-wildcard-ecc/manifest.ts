// Exercise 1 of the Exim module: a wildcard ECC P-256 certificate for domaine.tld by DNS-01, with acme.sh on the mail host
// (the guide's dns_cf and --server letsencrypt, answered in the lab by the lab's Cloudflare API and Pebble).
import { defineExercise } from '../define.ts'
import sanDates from './checks/san-dates.ts'

/** acme.sh's folder for an ECC certificate whose first name is domaine.tld (guide §5.4). */
export const LINEAGE = '/root/.acme.sh/domaine.tld_ecc'

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
      target: { service: 'mail' },
      params: { path: `${LINEAGE}/fullchain.cer`, names: ['domaine.tld', '*.domaine.tld'], key: 'ec-256', minDays: 20 },
      weight: 3,
    },
    { id: 'file.cert.fullchain', target: { service: 'mail' }, params: { path: `${LINEAGE}/fullchain.cer` } },
    { id: 'file.key.matches-cert', target: { service: 'mail' }, params: { certPath: `${LINEAGE}/fullchain.cer`, keyPath: `${LINEAGE}/domaine.tld.key` } },
  ],
  startFails: ['file.cert.san-dates'],
  hints: [
    {
      fr: 'Regardez d’abord ce qui existe : `acme.sh --list`, puis `openssl x509 -in ~/.acme.sh/domaine.tld/domaine.tld.cer -noout -ext subjectAltName -dates -subject`.',
      en: 'Look at what exists first: `acme.sh --list`, then `openssl x509 -in ~/.acme.sh/domaine.tld/domaine.tld.cer -noout -ext subjectAltName -dates -subject`.',
    },
    {
      fr: 'Un wildcard ne couvre pas le domaine nu : il faut deux `-d`, `-d domaine.tld -d \'*.domaine.tld\'` (les guillemets empêchent le shell de développer l’étoile).',
      en: 'A wildcard does not cover the bare domain: give two `-d`, `-d domaine.tld -d \'*.domaine.tld\'` (the quotes stop the shell from expanding the star).',
    },
    {
      fr: '`--keylength ec-256` : acme.sh range alors le certificat dans `~/.acme.sh/domaine.tld_ecc/`, à côté de l’ancien certificat RSA (`~/.acme.sh/domaine.tld/`).',
      en: '`--keylength ec-256`: acme.sh then keeps the certificate in `~/.acme.sh/domaine.tld_ecc/`, beside the old RSA one (`~/.acme.sh/domaine.tld/`).',
    },
    {
      fr: 'Le jeton Cloudflare du lab est dans `/etc/lab/cloudflare.env` : `. /etc/lab/cloudflare.env` avant `acme.sh --issue --dns dns_cf …` (dans le lab, api.cloudflare.com et acme-v02.api.letsencrypt.org pointent vers les services du lab).',
      en: 'The lab\'s Cloudflare token is in `/etc/lab/cloudflare.env`: `. /etc/lab/cloudflare.env` before `acme.sh --issue --dns dns_cf …` (in the lab, api.cloudflare.com and acme-v02.api.letsencrypt.org point to the lab\'s services).',
    },
  ],
})
