// file.key.matches-cert: the private key file is the key of the certificate file's leaf.
import { defineCheck, verdict } from '../../define.ts'
import type { Verdict } from '../../types.ts'
import { describeCert, keyMatchesCert, loadPrivateKey, parseCertificates, pemBlocks } from '../../probes/x509.ts'
import { isVerdict } from '../dns/shared.ts'
import { locate, missing, needSandbox, noPath, pathFor, readText, serviceOf } from './shared.ts'

const KEY_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'ENCRYPTED PRIVATE KEY'])

export default defineCheck({
  id: 'file.key.matches-cert',
  title: { fr: 'La clé privée correspond au certificat', en: 'The private key matches the certificate' },
  explain: {
    fr: 'Le serveur refuse de démarrer TLS (ou Exim journalise « key values mismatch ») si la clé privée n’est pas celle du certificat : cela arrive quand on copie le nouveau certificat d’un renouvellement mais pas la nouvelle clé, ou l’inverse. La comparaison porte sur la clé publique (SPKI) des deux fichiers.',
    en: 'The server will not start TLS (or Exim logs "key values mismatch") when the private key is not the certificate’s: it happens when a renewal’s new certificate is copied but not the new key, or the reverse. The public key (SPKI) of both files is compared.',
  },
  remedy: {
    postfix: 'smtpd_tls_cert_file et smtpd_tls_key_file doivent venir du même renouvellement (fullchain.pem et privkey.pem du même dossier live/), puis systemctl reload postfix.',
    exim: 'Copiez ensemble le .crt et le .key du même renouvellement dans /usr/local/hestia/ssl/mail/ (--fullchain-file et --key-file dans la même commande acme.sh --install-cert), puis systemctl reload exim4.',
  },
  appliesTo: ['sandbox'],
  timeoutMs: 20_000,
  async run(ctx): Promise<Verdict> {
    const sb = needSandbox(ctx)
    if (isVerdict(sb)) return sb
    const service = serviceOf(ctx)
    const certWhere = await pathFor(ctx, sb, 'certPath', 'cert')
    const keyWhere = await pathFor(ctx, sb, 'keyPath', 'key')
    if (!certWhere || !keyWhere) return noPath('la paire clé/certificat / the key/certificate pair')
    const certFile = await locate(sb, service, certWhere.path)
    if (!certFile) return missing(certWhere.path, service)
    const keyFile = await locate(sb, service, keyWhere.path)
    if (!keyFile) return missing(keyWhere.path, service)
    const certText = await readText(sb, service, certFile.realPath)
    if (isVerdict(certText)) return certText
    const keyText = await readText(sb, service, keyFile.realPath)
    if (isVerdict(keyText)) return keyText
    const lines = [`# certificate ${certWhere.path} (${certWhere.source})`, ...certFile.lines, `# key ${keyWhere.path} (${keyWhere.source})`, ...keyFile.lines]
    let leaf
    try {
      leaf = parseCertificates(certText)[0]
    } catch (e) {
      return verdict.fail(
        { fr: `${certWhere.path} contient un certificat illisible (${(e as Error).message}).`, en: `${certWhere.path} holds an unreadable certificate (${(e as Error).message}).` },
        { lines },
      )
    }
    if (!leaf) return verdict.fail({ fr: `${certWhere.path} ne contient aucun certificat.`, en: `${certWhere.path} holds no certificate.` }, { lines })
    lines.push(`leaf: ${describeCert(leaf)}`)
    const keyBlock = pemBlocks(keyText).find((b) => KEY_LABELS.has(b.label))
    if (!keyBlock) return verdict.fail({ fr: `${keyWhere.path} ne contient aucune clé privée PEM.`, en: `${keyWhere.path} holds no PEM private key.` }, { lines })
    if (keyBlock.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type: 4,ENCRYPTED/.test(keyBlock.pem))
      return verdict.fail(
        {
          fr: `${keyWhere.path} est chiffrée par une phrase de passe : le serveur ne peut pas la charger au démarrage.`,
          en: `${keyWhere.path} is passphrase-encrypted: the server cannot load it unattended.`,
        },
        { lines },
      )
    let key
    try {
      key = loadPrivateKey(keyBlock.pem)
    } catch (e) {
      return verdict.fail({ fr: `Clé ${keyWhere.path} illisible (${(e as Error).message}).`, en: `Unreadable key ${keyWhere.path} (${(e as Error).message}).` }, { lines })
    }
    const m = keyMatchesCert(key, leaf)
    lines.push(`key (${m.keyType}) SPKI sha256 ${m.keySpkiSha256}`, `cert     SPKI sha256 ${m.certSpkiSha256}`)
    const facts = { certPath: certWhere.path, keyPath: keyWhere.path, keySpkiSha256: m.keySpkiSha256, certSpkiSha256: m.certSpkiSha256, matches: m.matches }
    if (!m.matches)
      return verdict.fail(
        {
          fr: `La clé ${keyWhere.path} n’est pas celle du certificat ${certWhere.path} (empreintes différentes) : copiez la paire d’un même renouvellement.`,
          en: `The key ${keyWhere.path} is not the key of ${certWhere.path} (fingerprints differ): copy the pair from one renewal.`,
        },
        { lines, facts },
      )
    return verdict.pass(
      { fr: `La clé ${keyWhere.path} est bien celle du certificat ${certWhere.path}.`, en: `The key ${keyWhere.path} is the key of ${certWhere.path}.` },
      { lines, facts },
    )
  },
})
