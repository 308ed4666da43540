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
      fr: '« 3 1 1 » : SHA-256 de la clé publique (SPKI, DER) que le serveur présente vraiment, calculée depuis la connexion elle-même (`openssl s_client … | openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256`), puis publiée avec nsupdate (serveur `$LAB_DNS_IP` port 5353, clé `/etc/lab/tsig.key`). La zone est resignée en quelques secondes : attendez le drapeau `ad`.',
      en: '"3 1 1": SHA-256 of the public key (SPKI, DER) the server really presents, computed from the connection itself (`openssl s_client … | openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256`), then published with nsupdate (server `$LAB_DNS_IP` port 5353, key `/etc/lab/tsig.key`). The zone is re-signed within seconds: wait for the `ad` flag.',
      run: {
        service: 'toolbox',
        script: `. /etc/lab/env
spki=$(openssl s_client -connect mail.domaine.tld:25 -starttls smtp -servername mail.domaine.tld </dev/null 2>/dev/null \\
  | openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)
echo "TLSA 3 1 1 $spki"
nsupdate -k /etc/lab/tsig.key <<EOF
server $LAB_DNS_IP 5353
zone domaine.tld
update delete _25._tcp.mail.domaine.tld TLSA
update add _25._tcp.mail.domaine.tld 60 TLSA 3 1 1 $spki
send
EOF
# A signed "no such record" also carries ad: wait for the record itself, validated.
for i in $(seq 1 30); do
  dig +dnssec +noall +comments TLSA _25._tcp.mail.domaine.tld | grep -q 'flags:.* ad' \\
    && dig +short TLSA _25._tcp.mail.domaine.tld | grep -q . && break
  sleep 1
done
dig +dnssec +noall +comments +answer TLSA _25._tcp.mail.domaine.tld
`,
      },
    },
  ],
})
