// file.key.permissions: the private key file has the expected mode and owner (e.g. 640 root:Debian-exim, 600 root:root).
import { defineCheck, verdict } from '../../define.ts'
import type { Verdict } from '../../types.ts'
import { isVerdict } from '../dns/shared.ts'
import { locate, missing, needSandbox, noPath, octal, pathFor, serviceOf, statLine } from './shared.ts'

/** Accepts 0o640, 416, "640", "0640" or "0o640". */
export function parseMode(v: unknown): number | null {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0o7777) return v
  if (typeof v === 'string' && /^(0o?)?[0-7]{3,4}$/.test(v.trim())) return parseInt(v.trim().replace(/^0o/, ''), 8)
  return null
}

export interface Expected {
  readonly mode: number
  readonly user: string
  readonly group: string
}

/** Exercise params win; else what the course asks for this lab: Exim reads as group Debian-exim, Postfix's master reads as root. */
export function expectedFor(lab: 'postfix' | 'exim', params: Readonly<Record<string, unknown>>): Expected | null {
  const mode = params['mode'] === undefined ? (lab === 'exim' ? 0o640 : 0o600) : parseMode(params['mode'])
  if (mode === null) return null
  const owner = typeof params['owner'] === 'string' ? params['owner'] : lab === 'exim' ? 'root:Debian-exim' : 'root:root'
  const [user, group] = owner.split(':')
  if (!user) return null
  return { mode, user, group: group ?? '' }
}

function sameId(expected: string, name: string, id: number): boolean {
  return expected === name || expected === String(id)
}

export default defineCheck({
  id: 'file.key.permissions',
  title: { fr: 'Droits de la clé privée', en: 'Private key permissions' },
  explain: {
    fr: 'La clé privée doit être lisible par le serveur de courrier et par personne d’autre. Exim lit ses certificats sous l’utilisateur Debian-exim : la clé est en 640 root:Debian-exim (trop fermée, Exim ne peut plus la charger : « Cannot load private key » ; trop ouverte, n’importe quel compte local peut usurper le serveur). Postfix la lit en root avant d’abandonner ses droits : 600 root:root suffit.',
    en: 'The private key must be readable by the mail server and nobody else. Exim reads its certificates as user Debian-exim: the key is 640 root:Debian-exim (too closed and Exim cannot load it: "Cannot load private key"; too open and any local account can impersonate the server). Postfix reads it as root before dropping privileges: 600 root:root is enough.',
  },
  remedy: {
    postfix: 'chown root:root /etc/postfix/ssl/key.pem && chmod 600 /etc/postfix/ssl/key.pem (ou le fichier nommé par smtpd_tls_key_file), puis systemctl reload postfix.',
    exim: 'chown root:Debian-exim /usr/local/hestia/ssl/mail/mail.domaine.tld.key && chmod 640 /usr/local/hestia/ssl/mail/mail.domaine.tld.key (idem pour /usr/local/hestia/ssl/certificate.key), dans le hook de déploiement pour que chaque renouvellement les remette.',
  },
  appliesTo: ['sandbox'],
  timeoutMs: 20_000,
  async run(ctx): Promise<Verdict> {
    const sb = needSandbox(ctx)
    if (isVerdict(sb)) return sb
    const service = serviceOf(ctx)
    const where = await pathFor(ctx, sb, 'path', 'key')
    if (!where) return noPath('la clé privée / the private key')
    const want = expectedFor(sb.lab, ctx.params)
    if (!want)
      return verdict.inconclusive('bug', {
        fr: `Paramètres mode/owner illisibles : ${JSON.stringify(ctx.params)}.`,
        en: `Unreadable mode/owner params: ${JSON.stringify(ctx.params)}.`,
      })
    const found = await locate(sb, service, where.path)
    if (!found) return missing(where.path, service)
    const st = found.stat
    const lines = [`# ${where.path} (${where.source}) on ${service}`, ...found.lines, statLine(found.realPath, st), `expected: ${octal(want.mode)} ${want.user}:${want.group}`]
    const facts = {
      path: where.path,
      realPath: found.realPath,
      mode: octal(st.mode),
      owner: `${st.user}:${st.group}`,
      expectedMode: octal(want.mode),
      expectedOwner: `${want.user}:${want.group}`,
    }
    const problems: { fr: string; en: string }[] = []
    if (st.mode !== want.mode) {
      const tooOpen = (st.mode & ~want.mode) !== 0
      problems.push(
        tooOpen
          ? { fr: `mode ${octal(st.mode)} au lieu de ${octal(want.mode)} (trop ouvert${st.mode & 0o004 ? ' : lisible par tous' : ''})`, en: `mode ${octal(st.mode)} instead of ${octal(want.mode)} (too open${st.mode & 0o004 ? ': world-readable' : ''})` }
          : { fr: `mode ${octal(st.mode)} au lieu de ${octal(want.mode)} (trop fermé : le serveur ne pourra pas la lire)`, en: `mode ${octal(st.mode)} instead of ${octal(want.mode)} (too closed: the server cannot read it)` },
      )
    }
    if (!sameId(want.user, st.user, st.uid)) problems.push({ fr: `propriétaire ${st.user} au lieu de ${want.user}`, en: `owner ${st.user} instead of ${want.user}` })
    if (want.group && !sameId(want.group, st.group, st.gid)) problems.push({ fr: `groupe ${st.group} au lieu de ${want.group}`, en: `group ${st.group} instead of ${want.group}` })
    if (!st.isFile) problems.push({ fr: 'ce n’est pas un fichier ordinaire', en: 'it is not a regular file' })
    if (problems.length)
      return verdict.fail(
        {
          fr: `Clé ${found.realPath} : ${problems.map((p) => p.fr).join(', ')}.`,
          en: `Key ${found.realPath}: ${problems.map((p) => p.en).join(', ')}.`,
        },
        { lines, facts },
      )
    return verdict.pass(
      { fr: `Clé ${found.realPath} en ${octal(st.mode)} ${st.user}:${st.group}, comme attendu.`, en: `Key ${found.realPath} is ${octal(st.mode)} ${st.user}:${st.group}, as expected.` },
      { lines, facts },
    )
  },
})
