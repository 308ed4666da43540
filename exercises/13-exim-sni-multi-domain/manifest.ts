// Exercise 3 of the Exim module: a second mail host name (mail.client2.tld): issue its own certificate (another DNS zone)
// and deploy it under the exact SNI name with acme.sh --install-cert, leaving the fallback alone.
import { defineExercise } from '../define.ts'
import { HESTIA_MAIL, onPorts, wildcardDeployed } from '../12-exim-deploy-hestia/steps.ts'

const CLIENT2 = 'mail.client2.tld'
const CRT = `${HESTIA_MAIL}/${CLIENT2}.crt`
const KEY = `${HESTIA_MAIL}/${CLIENT2}.key`

export default defineExercise({
  id: 'exim-sni-multi-domain',
  lab: 'exim',
  title: { fr: 'SNI : un certificat par domaine hébergé', en: 'SNI: one certificate per hosted domain' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [...wildcardDeployed(), { service: 'mail', script: './setup.sh' }],
  solution: './solve.sh',
  submission: [CRT, { path: KEY, owner: 'root:Debian-exim' }],
  checks: [
    {
      id: 'cert.sni.selects',
      target: { service: 'mail', port: 25 },
      params: { names: { 'mail.domaine.tld': 'mail.domaine.tld', [CLIENT2]: CLIENT2 } },
      weight: 2,
    },
    // A name with no file of its own must still get the panel fallback (the domaine.tld wildcard), not client2's.
    {
      id: 'cert.sni.selects',
      key: 'cert.sni.selects.unknown-name',
      target: { service: 'mail', port: 465 },
      params: { names: { 'webmail.domaine.tld': 'webmail.domaine.tld', 'inconnu.example.com': 'mail.domaine.tld' } },
    },
    ...onPorts('cert.name.matches', { target: { service: 'mail', servername: CLIENT2 } }),
    ...onPorts('cert.trusted', { target: { service: 'mail', servername: CLIENT2 } }, [587, 465]),
    { id: 'file.cert.fullchain', target: { service: 'mail' }, params: { path: CRT } },
    { id: 'file.key.permissions', target: { service: 'mail' }, params: { path: KEY, mode: 0o640, owner: 'root:Debian-exim' } },
    { id: 'file.key.matches-cert', target: { service: 'mail' }, params: { certPath: CRT, keyPath: KEY } },
  ],
  // The fallback already serves unknown names with the domaine.tld wildcard.
  startFails: [
    'cert.sni.selects',
    'cert.name.matches.25',
    'cert.name.matches.587',
    'cert.name.matches.465',
    'cert.trusted.587',
    'cert.trusted.465',
    'file.cert.fullchain',
    'file.key.permissions',
    'file.key.matches-cert',
  ],
  hints: [
    {
      fr: "Demandez le nom vous-même : `openssl s_client -connect mail.domaine.tld:465 -servername mail.client2.tld </dev/null 2>/dev/null | openssl x509 -noout -subject -ext subjectAltName`.",
      en: "Ask for the name yourself: `openssl s_client -connect mail.domaine.tld:465 -servername mail.client2.tld </dev/null 2>/dev/null | openssl x509 -noout -subject -ext subjectAltName`.",
    },
    {
      fr: "acme.sh répond « invalid domain » ou le défi échoue ? `CF_Zone_ID` désigne la zone domaine.tld : `unset CF_Zone_ID` après `. /etc/lab/cloudflare.env`, et `--debug 2` pour voir la réponse de l’API.",
      en: "acme.sh answers \"invalid domain\" or the challenge fails? `CF_Zone_ID` names the domaine.tld zone: `unset CF_Zone_ID` after `. /etc/lab/cloudflare.env`, and `--debug 2` to see the API's answer.",
    },
    {
      fr: "Le nom du fichier doit être exactement le nom demandé en SNI : `/usr/local/hestia/ssl/mail/mail.client2.tld.crt` et `.key`.",
      en: "The file name must be exactly the name asked in SNI: `/usr/local/hestia/ssl/mail/mail.client2.tld.crt` and `.key`.",
    },
    {
      fr: "Le script `deploy-mail-cert.sh` du support remplace aussi le *fallback* : lancé pour client2, il donnerait le certificat de client2 à tous les noms inconnus.",
      en: "The course's `deploy-mail-cert.sh` also replaces the *fallback*: run for client2, it would hand client2's certificate to every unknown name.",
    },
  ],
})
