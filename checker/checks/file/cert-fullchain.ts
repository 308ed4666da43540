// file.cert.fullchain: the certificate file holds the leaf then its intermediate(s), each issued by the next.
import { defineCheck, verdict } from '../../define.ts'
import type { Verdict } from '../../types.ts'
import { analyseChain, describeCert, isSelfIssued, issuedBy, parseCertificates, pemBlocks } from '../../probes/x509.ts'
import { isVerdict } from '../dns/shared.ts'
import { locate, missing, needSandbox, noPath, pathFor, readText, serviceOf } from './shared.ts'

export default defineCheck({
  id: 'file.cert.fullchain',
  title: { fr: 'Le fichier certificat contient la chaîne complète', en: 'The certificate file holds the full chain' },
  explain: {
    fr: 'Le serveur envoie le contenu du fichier certificat tel quel. Il doit contenir le certificat du serveur (feuille) puis le ou les intermédiaires, dans cet ordre, chacun signé par le suivant. Avec la feuille seule (cert.pem au lieu de fullchain.pem), les clients qui n’ont pas l’intermédiaire échouent : « Verify return code: 21 (unable to verify the first certificate) ».',
    en: 'The server sends the certificate file as it is. It must hold the server certificate (leaf) then the intermediate(s), in that order, each signed by the next. With the leaf alone (cert.pem instead of fullchain.pem), clients lacking the intermediate fail: "Verify return code: 21 (unable to verify the first certificate)".',
  },
  remedy: {
    postfix: 'smtpd_tls_cert_file = /etc/letsencrypt/live/mail.example.com/fullchain.pem (pas cert.pem), puis systemctl reload postfix.',
    exim: 'acme.sh --install-cert … --fullchain-file /usr/local/hestia/ssl/mail/mail.domaine.tld.crt (pas --cert-file), puis systemctl reload exim4.',
  },
  appliesTo: ['sandbox'],
  timeoutMs: 20_000,
  async run(ctx): Promise<Verdict> {
    const sb = needSandbox(ctx)
    if (isVerdict(sb)) return sb
    const service = serviceOf(ctx)
    const where = await pathFor(ctx, sb, 'path', 'cert')
    if (!where) return noPath('le certificat / the certificate')
    const found = await locate(sb, service, where.path)
    if (!found) return missing(where.path, service)
    const text = await readText(sb, service, found.realPath)
    if (isVerdict(text)) return text
    const lines = [`# ${where.path} (${where.source}) on ${service}`, ...found.lines]
    let certs
    try {
      certs = parseCertificates(text)
    } catch (e) {
      return verdict.fail(
        { fr: `${where.path} contient un bloc CERTIFICATE illisible (${(e as Error).message}).`, en: `${where.path} holds an unreadable CERTIFICATE block (${(e as Error).message}).` },
        { lines, facts: { path: where.path } },
      )
    }
    certs.forEach((c, i) => lines.push(describeCert(c, i)))
    const others = pemBlocks(text).filter((b) => b.label !== 'CERTIFICATE')
    if (others.length) lines.push(`other PEM blocks: ${others.map((b) => b.label).join(', ')}`)
    const a = analyseChain(certs)
    a.links.forEach((l) => lines.push(`#${l.index} issued by #${l.index + 1}: ${l.issuedByNext ? 'yes' : 'NO'}`))
    const facts = { path: where.path, certificates: certs.length, ordered: a.ordered, endsWithRoot: a.endsWithRoot }
    if (certs.length === 0)
      return verdict.fail({ fr: `${where.path} ne contient aucun certificat PEM.`, en: `${where.path} holds no PEM certificate.` }, { lines, facts })
    // `openssl req -x509` marks its self-signed certificates CA:TRUE, so this comes before the CA-first test.
    if (certs.length === 1 && isSelfIssued(certs[0]!))
      return verdict.fail(
        { fr: `${where.path} ne contient qu’un certificat auto-signé : aucune chaîne vers une autorité.`, en: `${where.path} holds only a self-signed certificate: no chain to any CA.` },
        { lines, facts },
      )
    // A CA first is only an ordering mistake when it signed something else in the file (a leaf may carry CA:TRUE by accident).
    if (a.leafIsCa && certs.some((c, j) => j > 0 && issuedBy(c, certs[0]!)))
      return verdict.fail(
        {
          fr: `Le premier certificat de ${where.path} est une autorité (${describeCert(certs[0]!)}) : la feuille du serveur doit venir en premier.`,
          en: `The first certificate in ${where.path} is a CA (${describeCert(certs[0]!)}): the server’s leaf must come first.`,
        },
        { lines, facts },
      )
    if (certs.length === 1) {
      return verdict.fail(
        {
          fr: `${where.path} ne contient que la feuille, sans intermédiaire : utilisez le fullchain.`,
          en: `${where.path} holds only the leaf, no intermediate: use the full chain.`,
        },
        { lines, facts },
      )
    }
    if (!a.ordered) {
      const first = a.links.find((l) => !l.issuedByNext)!
      const misplaced = a.misplaced.includes(first.index)
      return verdict.fail(
        misplaced
          ? {
              fr: `Les certificats de ${where.path} ne sont pas dans l’ordre : l’émetteur du n°${first.index} est présent mais pas juste après lui.`,
              en: `The certificates in ${where.path} are out of order: #${first.index}’s issuer is there but not right after it.`,
            }
          : {
              fr: `Chaîne rompue dans ${where.path} : le n°${first.index} n’est pas signé par le n°${first.index + 1} (intermédiaire manquant ou d’une autre autorité).`,
              en: `Broken chain in ${where.path}: #${first.index} is not signed by #${first.index + 1} (intermediate missing or from another CA).`,
            },
        { lines, facts },
      )
    }
    return verdict.pass(
      {
        fr: `${where.path} contient la feuille et ${certs.length - 1} certificat(s) d’autorité dans l’ordre${a.endsWithRoot ? ' (la racine incluse est inutile mais sans danger)' : ''}.`,
        en: `${where.path} holds the leaf and ${certs.length - 1} CA certificate(s) in order${a.endsWithRoot ? ' (the included root is useless but harmless)' : ''}.`,
      },
      { lines, facts },
    )
  },
})
