// Break-fix of the Exim module, troubleshooting row "ECC rejeté par le client": a client that verifies only RSA
// signatures meets the ECDSA-only certificate the module leads to. Fix: an RSA certificate served beside the ECDSA one
// (Exim with GnuTLS takes tls_certificate / tls_privatekey as parallel lists; spec, "Configuring an Exim server to
// use TLS": "For dual-stack (eg. RSA and ECDSA) configurations, these options can be colon-separated lists").
import { defineExercise } from '../define.ts'
import { HESTIA_MAIL, HESTIA_SSL, onPorts, wildcardDeployed } from '../12-exim-deploy-hestia/steps.ts'

const TEMPLATE = '/etc/exim4/exim4.conf.template'
const RSA_CRT = `${HESTIA_MAIL}/mail.domaine.tld.rsa.crt`
const RSA_KEY = `${HESTIA_MAIL}/mail.domaine.tld.rsa.key`
const FALLBACK_RSA_CRT = `${HESTIA_SSL}/certificate.rsa.crt`
const FALLBACK_RSA_KEY = `${HESTIA_SSL}/certificate.rsa.key`

/** Issues the RSA twin of the wildcard, as the course's §5.5 does (acme.sh's RSA files go to ~/.acme.sh/domaine.tld/). */
export const ISSUE_RSA = `acme.sh --issue -d domaine.tld -d '*.domaine.tld' --dns dns_cf --keylength 2048 --dnssleep 1
ls ~/.acme.sh/domaine.tld/
openssl x509 -in ~/.acme.sh/domaine.tld/domaine.tld.cer -noout -subject -ext subjectAltName | grep -E 'subject|DNS'
openssl x509 -in ~/.acme.sh/domaine.tld/domaine.tld.cer -noout -text | grep 'Public Key Algorithm'
`

/**
 * Deploys it next to the ECDSA files (SNI name and fallback) with acme.sh --install-cert, so renewals deploy too, then
 * turns both Exim options into two-element lists, ECDSA first, keys in the same order as certificates. The reloadcmd
 * uses cp/chown/chmod, not `install`: acme.sh evals it in its own shell, where `install` is acme.sh's self-installer
 * (measured: "Installation failed, cannot copy acme.sh", and no fallback key).
 */
export const SERVE_BOTH = `m=/usr/local/hestia/ssl/mail
acme.sh --install-cert -d domaine.tld \\
  --fullchain-file $m/mail.domaine.tld.rsa.crt --key-file $m/mail.domaine.tld.rsa.key \\
  --reloadcmd "chown root:Debian-exim $m/mail.domaine.tld.rsa.key; chmod 640 $m/mail.domaine.tld.rsa.key; \\
cp $m/mail.domaine.tld.rsa.crt /usr/local/hestia/ssl/certificate.rsa.crt; \\
cp $m/mail.domaine.tld.rsa.key /usr/local/hestia/ssl/certificate.rsa.key; \\
chown root:Debian-exim /usr/local/hestia/ssl/certificate.rsa.key; chmod 640 /usr/local/hestia/ssl/certificate.rsa.key; \\
systemctl reload exim4"
cat > /root/tls-dual.conf <<'EOF'
tls_certificate = \\
  \${if exists{/usr/local/hestia/ssl/mail/\${tls_in_sni}.crt}{/usr/local/hestia/ssl/mail/\${tls_in_sni}.crt}{/usr/local/hestia/ssl/certificate.crt}} : \\
  \${if exists{/usr/local/hestia/ssl/mail/\${tls_in_sni}.rsa.crt}{/usr/local/hestia/ssl/mail/\${tls_in_sni}.rsa.crt}{/usr/local/hestia/ssl/certificate.rsa.crt}}
tls_privatekey = \\
  \${if exists{/usr/local/hestia/ssl/mail/\${tls_in_sni}.key}{/usr/local/hestia/ssl/mail/\${tls_in_sni}.key}{/usr/local/hestia/ssl/certificate.key}} : \\
  \${if exists{/usr/local/hestia/ssl/mail/\${tls_in_sni}.rsa.key}{/usr/local/hestia/ssl/mail/\${tls_in_sni}.rsa.key}{/usr/local/hestia/ssl/certificate.rsa.key}}
EOF
sed -i -e '/^tls_privatekey = /r /root/tls-dual.conf' -e '/^tls_certificate = /d' -e '/^tls_privatekey = /d' ${TEMPLATE}
systemctl reload exim4
sleep 1; lab-listening 25 465 587
exim -bP tls_certificate tls_privatekey
`

export default defineExercise({
  id: 'exim-break-fix-ecc-rejected',
  lab: 'exim',
  title: { fr: 'Dépannage : ECC rejeté par le client', en: 'Troubleshooting: ECC rejected by the client' },
  text: './text.fr.md',
  textEn: './text.en.md',
  setup: [...wildcardDeployed(), { service: 'mail', script: './setup.sh' }],
  solution: './solve.sh',
  // Each RSA certificate travels with its key; the ECDSA pair is the grading sandbox's own (same names, same setup).
  submission: [
    TEMPLATE,
    RSA_CRT,
    { path: RSA_KEY, owner: 'root:Debian-exim' },
    FALLBACK_RSA_CRT,
    { path: FALLBACK_RSA_KEY, owner: 'root:Debian-exim' },
  ],
  checks: [
    ...onPorts('cert.key-type.rsa', {}, [25, 465]),
    ...onPorts('cert.key-type.ecdsa', {}, [25, 465]),
    // A name without its own files (like a client sending no SNI) gets the fallback pair: old clients often send no SNI.
    { id: 'cert.key-type.rsa', key: 'cert.key-type.rsa.fallback', target: { service: 'mail', port: 465, servername: 'autoconfig.domaine.tld' } },
    { id: 'file.key.permissions', target: { service: 'mail' }, params: { path: RSA_KEY, mode: 0o640, owner: 'root:Debian-exim' } },
  ],
  // The ECDSA probes pass at the start: they are there so that replacing ECDSA by RSA does not pass.
  startFails: ['cert.key-type.rsa.25', 'cert.key-type.rsa.465', 'cert.key-type.rsa.fallback', 'file.key.permissions'],
  hints: [
    {
      fr: 'Comparez ce que reçoivent les deux clients (bloc de diagnostic du texte) : l’un reçoit un certificat `id-ecPublicKey`, l’autre l’alerte 40. Côté serveur : `grep "TLS error" /var/log/exim4/mainlog | tail -3`.',
      en: 'Compare what the two clients get (the text’s diagnosis block): one gets an `id-ecPublicKey` certificate, the other alert 40. On the server: `grep "TLS error" /var/log/exim4/mainlog | tail -3`.',
    },
    {
      fr: 'Le correctif du tableau : « fournir aussi un RSA ». Émettez-le comme au §5.5 (`--keylength 2048`) ; acme.sh le range dans `~/.acme.sh/domaine.tld/`, à côté du jeu ECC `domaine.tld_ecc/`. Dans le lab, `--dnssleep 1` évite l’attente de propagation (le DNS du lab sert l’enregistrement aussitôt).',
      en: 'The table’s fix: "also provide an RSA one". Issue it as in §5.5 (`--keylength 2048`); acme.sh puts it in `~/.acme.sh/domaine.tld/`, beside the ECC set `domaine.tld_ecc/`. In the lab, `--dnssleep 1` skips the propagation wait (the lab DNS serves the record at once).',
      run: { service: 'mail', script: ISSUE_RSA },
    },
    {
      fr: 'Ne remplacez pas l’ECDSA : servez les deux. Déployez la paire RSA à côté de l’ECDSA (`mail.domaine.tld.rsa.crt/.key`, et `certificate.rsa.crt/.key` pour le fallback : Exim charge le fallback avant de lire le SNI), puis faites de `tls_certificate` et `tls_privatekey` des listes à deux éléments séparés par ` : `, ECDSA d’abord, les clés dans le même ordre que les certificats (exigence de GnuTLS). Le `sed` remplace les deux lignes du modèle par le fichier écrit juste avant (`r` l’insère, `d` supprime l’ancienne ligne). Rechargez, puis `exim -bP tls_certificate`. Dans `--reloadcmd`, écrivez `cp` + `chown` + `chmod` et pas `install` : acme.sh exécute cette commande dans son propre shell, où `install` est sa commande d’auto-installation.',
      en: 'Do not replace ECDSA: serve both. Deploy the RSA pair next to the ECDSA one (`mail.domaine.tld.rsa.crt/.key`, and `certificate.rsa.crt/.key` for the fallback: Exim loads the fallback before it reads SNI), then make `tls_certificate` and `tls_privatekey` two-element lists separated by ` : `, ECDSA first, the keys in the same order as the certificates (GnuTLS requires it). The `sed` replaces the template’s two lines with the file written just before (`r` inserts it, `d` deletes the old line). Reload, then `exim -bP tls_certificate`. In `--reloadcmd`, write `cp` + `chown` + `chmod`, not `install`: acme.sh runs that command in its own shell, where `install` is its self-installer.',
      run: { service: 'mail', script: SERVE_BOTH },
    },
  ],
})
