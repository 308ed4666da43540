// Break-fix for the instructor fault tlsa-record-removed (sandbox fault inject tlsa-record-removed).
import { defineExercise } from '../define.ts'

export default defineExercise({
  id: 'postfix-fault-tlsa-record',
  lab: 'postfix',
  title: { fr: 'Panne : le TLSA du serveur a disparu', en: 'Fault: the server’s TLSA record is gone' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [
    { service: 'toolbox', script: './setup-working-lab.sh' },
    { service: 'toolbox', script: 'shared:faults/tlsa-record-removed.sh', args: ['inject'] },
  ],
  solution: './solve.sh',
  // The answer lives in the lab DNS, which no handed-in file carries.
  submission: [],
  checks: [{ id: 'dns.dane.tlsa-matches', target: { service: 'mail', port: 25, domain: 'domaine.tld' } }],
  hints: [
    {
      fr: '`dig +dnssec TLSA _25._tcp.mail.domaine.tld` : sans réponse signée (drapeau `ad`), un expéditeur DANE retombe sur le TLS opportuniste.',
      en: '`dig +dnssec TLSA _25._tcp.mail.domaine.tld`: without a signed answer (`ad` flag), a DANE sender falls back to opportunistic TLS.',
    },
    {
      fr: '« 3 1 1 » : SHA-256 de la clé publique (SPKI, DER) que le serveur présente vraiment : `openssl s_client -starttls smtp -connect mail.domaine.tld:25 | openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256`.',
      en: '"3 1 1": SHA-256 of the public key (SPKI, DER) the server really presents: `openssl s_client -starttls smtp -connect mail.domaine.tld:25 | openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256`.',
    },
  ],
})
