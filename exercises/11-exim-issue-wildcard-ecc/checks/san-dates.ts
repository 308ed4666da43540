// file.cert.san-dates: a certificate file names every expected host in its SAN, is valid now with days to spare, and has the asked key type.
import { X509Certificate } from 'node:crypto'
import { defineCheck, verdict } from '../../../checker/define.ts'
import { isVerdict } from '../../../checker/checks/dns/shared.ts'
import { locate, missing, needSandbox, readText, serviceOf } from '../../../checker/checks/file/shared.ts'
import { describeCert, parseCertificates } from '../../../checker/probes/x509.ts'
import { daysLeft, keyFacts, trustAnchors } from '../../../checker/probes/tls.ts'
import type { Localized, Verdict } from '../../../checker/types.ts'

/** `ec-256` (acme.sh's --keylength spelling) = ECDSA P-256; `rsa-2048` = RSA of at least 2048 bits. */
export type KeySpec = 'ec-256' | 'ec-384' | 'rsa-2048'

const CURVES: Record<string, string[]> = { 'ec-256': ['prime256v1', 'P-256', 'secp256r1'], 'ec-384': ['secp384r1', 'P-384'] }

function keyProblem(spec: KeySpec, cert: X509Certificate): Localized | null {
  const k = keyFacts(cert)
  if (spec === 'rsa-2048')
    return k.type === 'rsa' && (k.bits ?? 0) >= 2048 ? null : { fr: `clé ${k.type} au lieu de RSA ≥ 2048 bits`, en: `${k.type} key instead of RSA ≥ 2048 bits` }
  if (k.type === 'ec' && k.curve && CURVES[spec]!.includes(k.curve)) return null
  const found = k.type === 'ec' ? `ECDSA ${k.curve}` : `${k.type.toUpperCase()} ${k.bits ?? ''}`.trim()
  return { fr: `clé ${found} au lieu d’ECDSA ${spec === 'ec-256' ? 'P-256' : 'P-384'}`, en: `${found} key instead of ECDSA ${spec === 'ec-256' ? 'P-256' : 'P-384'}` }
}

function sanNames(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(/,\s*/)
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase())
}

/** Whether the chain in the file leads to one of the anchors (Pebble's root in the lab). */
function chainsTo(certs: readonly X509Certificate[], anchors: readonly X509Certificate[]): boolean {
  let cur = certs[0]
  const seen = new Set<X509Certificate>()
  while (cur && !seen.has(cur)) {
    seen.add(cur)
    const c = cur
    if (anchors.some((a) => c.checkIssued(a) && c.verify(a.publicKey))) return true
    cur = certs.find((x) => x !== c && c.checkIssued(x) && c.verify(x.publicKey))
  }
  return false
}

export default defineCheck({
  id: 'file.cert.san-dates',
  title: { fr: 'Noms (SAN), dates et type de clé du certificat émis', en: 'Names (SAN), dates and key type of the issued certificate' },
  explain: {
    fr: 'Comme le fait le support avec `openssl x509 -noout -ext subjectAltName -dates`, on lit le certificat émis : chaque nom demandé doit figurer dans le subjectAltName (le wildcard *.domaine.tld ne couvre pas domaine.tld lui-même, d’où les deux -d), il doit être valide maintenant et pour encore au moins 20 jours, signé par l’autorité ACME du lab, avec le type de clé demandé (ECDSA P-256 pour --keylength ec-256).',
    en: 'As the course does with `openssl x509 -noout -ext subjectAltName -dates`, the issued certificate is read: every requested name must be in the subjectAltName (the wildcard *.domaine.tld does not cover domaine.tld itself, hence the two -d), it must be valid now and for at least 20 more days, signed by the lab ACME CA, with the requested key type (ECDSA P-256 for --keylength ec-256).',
  },
  remedy: {
    postfix: 'certbot certonly --key-type ecdsa --elliptic-curve secp256r1 -d domaine.tld -d "*.domaine.tld" …',
    exim: 'acme.sh --issue -d domaine.tld -d "*.domaine.tld" --dns … --keylength ec-256 (dans le lab : certbot certonly --dns-rfc2136 --key-type ecdsa --elliptic-curve secp256r1 --cert-name domaine.tld -d domaine.tld -d "*.domaine.tld")',
  },
  appliesTo: ['sandbox'],
  timeoutMs: 20_000,
  async run(ctx): Promise<Verdict> {
    const sb = needSandbox(ctx)
    if (isVerdict(sb)) return sb
    const service = serviceOf(ctx)
    const path = ctx.params['path']
    const names = ctx.params['names']
    const spec = ctx.params['key'] as KeySpec | undefined
    const minDays = typeof ctx.params['minDays'] === 'number' ? ctx.params['minDays'] : 20
    if (typeof path !== 'string' || !Array.isArray(names) || !names.every((n) => typeof n === 'string'))
      return verdict.inconclusive('bug', { fr: 'L’exercice doit donner params.path et params.names.', en: 'The exercise must give params.path and params.names.' })
    const found = await locate(sb, service, path)
    if (!found) return missing(path, service)
    const text = await readText(sb, service, found.realPath)
    if (isVerdict(text)) return text
    let certs: X509Certificate[]
    try {
      certs = parseCertificates(text)
    } catch (e) {
      return verdict.fail({ fr: `${path} est illisible (${(e as Error).message}).`, en: `${path} is unreadable (${(e as Error).message}).` }, { lines: [] })
    }
    const leaf = certs[0]
    if (!leaf) return verdict.fail({ fr: `${path} ne contient aucun certificat.`, en: `${path} holds no certificate.` }, { lines: [] })
    const san = sanNames(leaf)
    const left = daysLeft(leaf)
    const k = keyFacts(leaf)
    const lines = [
      `# ${path} on ${service}`,
      ...found.lines,
      describeCert(leaf, 0),
      `X509v3 Subject Alternative Name: ${san.map((n) => `DNS:${n}`).join(', ') || '(none)'}`,
      `notBefore=${leaf.validFrom}`,
      `notAfter=${leaf.validTo} (${left} days left)`,
      `key: ${k.type}${k.curve ? ` ${k.curve}` : ''}${k.bits ? ` ${k.bits} bits` : ''}`,
    ]
    const problems: Localized[] = []
    const absent = (names as string[]).filter((n) => !san.includes(n.toLowerCase()))
    if (absent.length) problems.push({ fr: `nom(s) absent(s) du SAN : ${absent.join(', ')}`, en: `name(s) missing from the SAN: ${absent.join(', ')}` })
    if (Date.parse(leaf.validFrom) > Date.now()) problems.push({ fr: 'pas encore valide', en: 'not valid yet' })
    if (left < minDays) problems.push({ fr: `expire dans ${left} jour(s) (moins de ${minDays})`, en: `expires in ${left} day(s) (fewer than ${minDays})` })
    if (spec) {
      const p = keyProblem(spec, leaf)
      if (p) problems.push(p)
    }
    if (ctx.target.ca) {
      const ok = chainsTo(certs, trustAnchors(ctx.target.ca))
      lines.push(`chains to the lab ACME root: ${ok ? 'yes' : 'NO'}`)
      if (!ok) problems.push({ fr: 'pas émis par l’autorité ACME du lab (Pebble)', en: 'not issued by the lab ACME CA (Pebble)' })
    }
    const facts = { path, san, daysLeft: left, keyType: k.type, curve: k.curve, missing: absent }
    if (problems.length)
      return verdict.fail(
        { fr: `${path} : ${problems.map((p) => p.fr).join(' ; ')}.`, en: `${path}: ${problems.map((p) => p.en).join('; ')}.` },
        { lines, facts },
      )
    return verdict.pass(
      {
        fr: `${path} couvre ${(names as string[]).join(' et ')}, valide encore ${left} jours${spec ? `, clé ${spec}` : ''}.`,
        en: `${path} covers ${(names as string[]).join(' and ')}, valid for ${left} more days${spec ? `, ${spec} key` : ''}.`,
      },
      { lines, facts },
    )
  },
})
