// Break-fix of the Exim module, troubleshooting row "Nouveau domaine non chiffré": the new domain's certificate is under
// the exact SNI name, as the table says, but paired with another certificate's key, so its handshakes fail.
import { defineExercise } from '../define.ts'
import { HESTIA_MAIL, issueWithAcmeSh, onPorts, wildcardDeployed } from '../12-exim-deploy-hestia/steps.ts'

const HOST = 'mail.example.com'
const CRT = `${HESTIA_MAIL}/${HOST}.crt`
const KEY = `${HESTIA_MAIL}/${HOST}.key`

export default defineExercise({
  id: 'exim-break-fix-new-domain',
  lab: 'exim',
  title: { fr: 'Dépannage : le nouveau domaine n’est pas chiffré correctement', en: 'Troubleshooting: the new domain is not properly encrypted' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [...wildcardDeployed(), issueWithAcmeSh(HOST), { service: 'mail', script: './setup.sh' }],
  solution: './solve.sh',
  submission: [CRT, { path: KEY, owner: 'root:Debian-exim' }],
  checks: [
    { id: 'cert.sni.selects', target: { service: 'mail', port: 465 }, params: { names: { [HOST]: HOST, 'mail.domaine.tld': 'mail.domaine.tld' } } },
    ...onPorts('cert.name.matches', { target: { service: 'mail', servername: HOST } }, [25, 587]),
    { id: 'file.key.matches-cert', target: { service: 'mail' }, params: { certPath: CRT, keyPath: KEY } },
    // Right at the start: the fix must keep it (acme.sh copies its own key as 600 root unless told otherwise).
    { id: 'file.key.permissions', target: { service: 'mail' }, params: { path: KEY, mode: 0o640, owner: 'root:Debian-exim' } },
  ],
  startFails: ['cert.sni.selects', 'cert.name.matches.25', 'cert.name.matches.587', 'file.key.matches-cert'],
  hints: [
    {
      fr: "Le nom est le bon (`ls -l /usr/local/hestia/ssl/mail/`), les droits aussi. Que dit le journal pour ces connexions ? `grep 'TLS error' /var/log/exim4/mainlog | tail -3`. Avec GnuTLS, une clé qu’Exim ne peut pas utiliser donne `(gnutls_handshake): (unknown error code)`.",
      en: "The name is right (`ls -l /usr/local/hestia/ssl/mail/`), so are the modes. What does the log say about those connections? `grep 'TLS error' /var/log/exim4/mainlog | tail -3`. With GnuTLS, a key Exim cannot use gives `(gnutls_handshake): (unknown error code)`.",
    },
    {
      fr: "Une clé va avec **un** certificat : comparez leurs clés publiques, `openssl x509 -in …/mail.example.com.crt -noout -pubkey | sha256sum` et `openssl pkey -in …/mail.example.com.key -pubout | sha256sum`. Puis cherchez laquelle des clés d’acme.sh correspond.",
      en: "A key goes with **one** certificate: compare their public keys, `openssl x509 -in …/mail.example.com.crt -noout -pubkey | sha256sum` and `openssl pkey -in …/mail.example.com.key -pubout | sha256sum`. Then find which of acme.sh's keys matches.",
    },
    {
      fr: "Pour que le certificat et sa clé voyagent toujours ensemble, renouvellements compris, laissez acme.sh les déployer (§8.1) : `acme.sh --install-cert -d mail.example.com --ecc --fullchain-file … --key-file … --reloadcmd \"…\"`, la commande remettant `root:Debian-exim` et `640` sur la clé.",
      en: "So that the certificate and its key always travel together, renewals included, let acme.sh deploy them (§8.1): `acme.sh --install-cert -d mail.example.com --ecc --fullchain-file … --key-file … --reloadcmd \"…\"`, the command setting `root:Debian-exim` and `640` on the key.",
      run: {
        service: 'mail',
        script: [
          'acme.sh --install-cert -d mail.example.com --ecc \\',
          '  --fullchain-file /usr/local/hestia/ssl/mail/mail.example.com.crt \\',
          '  --key-file /usr/local/hestia/ssl/mail/mail.example.com.key \\',
          '  --reloadcmd "chown root:Debian-exim /usr/local/hestia/ssl/mail/mail.example.com.key; chmod 640 /usr/local/hestia/ssl/mail/mail.example.com.key; systemctl reload exim4"',
          'sleep 1; lab-listening 25 465 587',
          '',
        ].join('\n'),
      },
    },
  ],
})
