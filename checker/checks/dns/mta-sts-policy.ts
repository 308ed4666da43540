// dns.mta-sts.policy: the MTA-STS policy served at https://mta-sts.<domain>/.well-known/mta-sts.txt is valid and covers every MX.
import { defineCheck, verdict } from '../../define.ts'
import { httpsGet } from '../../probes/https.ts'
import type { Localized, Verdict } from '../../types.ts'
import { dnsFailure, dnsSetup, isVerdict, lookupMx, rcodeInconclusive, responseLines } from './shared.ts'

export type StsMode = 'enforce' | 'testing' | 'none'

export interface StsPolicy {
  readonly version: string | null
  readonly mode: string | null
  readonly maxAge: string | null
  readonly mx: readonly string[]
}

export interface PolicyProblem {
  readonly fr: string
  readonly en: string
}

const MAX_AGE_LIMIT = 31_557_600 // one year, RFC 8461 §3.2

/** Reads the key: value lines of a policy (CRLF or LF); unknown keys are ignored like senders do. */
export function parsePolicy(text: string): StsPolicy {
  let version: string | null = null
  let mode: string | null = null
  let maxAge: string | null = null
  const mx: string[] = []
  for (const raw of text.split(/\r?\n/)) {
    const m = /^([A-Za-z0-9_]+)[ \t]*:[ \t]*(.*?)[ \t]*$/.exec(raw)
    if (!m) continue
    const [, key, value] = m as unknown as [string, string, string]
    if (key === 'version') version ??= value
    else if (key === 'mode') mode ??= value
    else if (key === 'max_age') maxAge ??= value
    else if (key === 'mx') mx.push(value)
  }
  return { version, mode, maxAge, mx }
}

/** Every reason the policy would be rejected by a sender, in French and English. */
export function policyProblems(p: StsPolicy): PolicyProblem[] {
  const out: PolicyProblem[] = []
  if (p.version !== 'STSv1')
    out.push(
      p.version === null
        ? { fr: 'la ligne « version: STSv1 » manque', en: 'the "version: STSv1" line is missing' }
        : { fr: `version « ${p.version} » au lieu de « STSv1 »`, en: `version "${p.version}" instead of "STSv1"` },
    )
  if (p.mode === null) out.push({ fr: 'la ligne « mode: » manque', en: 'the "mode:" line is missing' })
  else if (!['enforce', 'testing', 'none'].includes(p.mode))
    out.push({ fr: `mode « ${p.mode} » inconnu (enforce, testing ou none)`, en: `unknown mode "${p.mode}" (enforce, testing or none)` })
  if (p.maxAge === null) out.push({ fr: 'la ligne « max_age: » manque', en: 'the "max_age:" line is missing' })
  else if (!/^\d{1,10}$/.test(p.maxAge) || Number(p.maxAge) > MAX_AGE_LIMIT)
    out.push({
      fr: `max_age « ${p.maxAge} » invalide (secondes, au plus ${MAX_AGE_LIMIT})`,
      en: `invalid max_age "${p.maxAge}" (seconds, at most ${MAX_AGE_LIMIT})`,
    })
  if (p.mode !== 'none' && p.mx.length === 0) out.push({ fr: 'aucune ligne « mx: »', en: 'no "mx:" line' })
  for (const pat of p.mx)
    if (!/^(\*\.)?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9-]+\.?$/i.test(pat))
      out.push({ fr: `motif mx « ${pat} » invalide`, en: `invalid mx pattern "${pat}"` })
  return out
}

/** RFC 8461 §4.1: a leading `*.` stands for exactly one label. */
export function mxPatternMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, '')
  const h = host.toLowerCase().replace(/\.$/, '')
  if (p.startsWith('*.')) {
    const dot = h.indexOf('.')
    return dot > 0 && h.slice(dot + 1) === p.slice(2)
  }
  return p === h
}

function list(items: readonly PolicyProblem[], lang: keyof Localized): string {
  return items.map((i) => i[lang]).join(' ; ')
}

export default defineCheck({
  id: 'dns.mta-sts.policy',
  title: { fr: 'Politique MTA-STS servie en HTTPS et couvrant les MX', en: 'MTA-STS policy served over HTTPS and covering the MX hosts' },
  explain: {
    fr: 'Les expéditeurs téléchargent la politique MTA-STS à https://mta-sts.<domaine>/.well-known/mta-sts.txt, avec un certificat valide, sans suivre de redirection, en text/plain. Elle contient « version: STSv1 », « mode: » (enforce, testing ou none), une ligne « mx: » par motif d’hôte MX autorisé (un « *. » ne remplace qu’une étiquette) et « max_age: ». Un MX absent des motifs est refusé en mode enforce : le courrier vers lui ne part plus.',
    en: 'Senders fetch the MTA-STS policy at https://mta-sts.<domain>/.well-known/mta-sts.txt, with a valid certificate, following no redirect, as text/plain. It holds "version: STSv1", "mode:" (enforce, testing or none), one "mx:" line per allowed MX host pattern (a "*." stands for one label only) and "max_age:". An MX missing from the patterns is refused in enforce mode: mail to it stops.',
  },
  remedy: {
    postfix:
      'Servez /.well-known/mta-sts.txt sur mta-sts.domaine.tld (certificat valide pour ce nom, Content-Type: text/plain, pas de redirection) contenant « version: STSv1 », « mode: enforce », « mx: mail.domaine.tld », « max_age: 604800 » ; puis changez l’id de l’enregistrement _mta-sts.',
    exim: 'Servez /.well-known/mta-sts.txt sur mta-sts.domaine.tld (certificat valide pour ce nom, Content-Type: text/plain, pas de redirection) contenant « version: STSv1 », « mode: enforce », « mx: mail.domaine.tld », « max_age: 604800 » ; puis changez l’id de l’enregistrement _mta-sts.',
  },
  appliesTo: ['remote', 'sandbox'],
  timeoutMs: 20_000,
  async run(ctx): Promise<Verdict> {
    const setup = dnsSetup(ctx)
    if (isVerdict(setup)) return setup
    const { server, domain } = setup
    // Senders always use 443; another port only serves tests and forwarded setups.
    const port = typeof ctx.params['httpsPort'] === 'number' ? ctx.params['httpsPort'] : 443
    const url = `https://mta-sts.${domain}${port === 443 ? '' : `:${port}`}/.well-known/mta-sts.txt`
    const lines: string[] = []
    // The run's per-host cap covers the policy host too: a lab web server shared by a class has limits of its own.
    const res = await httpsGet(url, { dnsServer: server, ca: ctx.target.ca, timeoutMs: 8000, signal: ctx.signal, gate: ctx.gate })
    lines.push(...res.lines)
    if (!res.ok) {
      const facts = { url, stage: res.stage, code: res.code }
      switch (res.stage) {
        case 'dns':
          return verdict.fail(
            { fr: `mta-sts.${domain} n’a pas d’adresse dans le DNS : la politique ne peut pas être téléchargée.`, en: `mta-sts.${domain} has no address in DNS: the policy cannot be fetched.` },
            { lines, facts },
          )
        case 'certificate':
          return verdict.fail(
            {
              fr: `Le certificat HTTPS de mta-sts.${domain} est refusé (${res.code}) : les expéditeurs ignorent alors la politique.`,
              en: `The HTTPS certificate of mta-sts.${domain} is refused (${res.code}): senders then ignore the policy.`,
            },
            { lines, facts },
          )
        case 'refused':
          return verdict.fail(
            { fr: `Rien n’écoute en HTTPS sur mta-sts.${domain} (connexion refusée) : la politique n’est pas servie.`, en: `Nothing listens for HTTPS on mta-sts.${domain} (connection refused): the policy is not served.` },
            { lines, facts },
          )
        case 'tls':
          return verdict.fail(
            {
              fr: `La poignée de main TLS avec mta-sts.${domain} échoue (${res.code}) : le serveur web n’a pas de configuration HTTPS utilisable.`,
              en: `The TLS handshake with mta-sts.${domain} fails (${res.code}): the web server has no usable HTTPS setup.`,
            },
            { lines, facts },
          )
        default:
          return verdict.inconclusive(
            res.stage === 'timeout' || res.stage === 'aborted' ? 'timeout' : 'unreachable',
            { fr: `La politique n’a pas pu être téléchargée (${res.code} : ${res.message}).`, en: `The policy could not be fetched (${res.code}: ${res.message}).` },
            { lines, facts },
          )
      }
    }
    const facts: Record<string, string | number | boolean | null | readonly string[]> = { url, status: res.status }
    if (res.status >= 300 && res.status < 400)
      return verdict.fail(
        {
          fr: `${url} répond ${res.status} (redirection vers ${String(res.headers.location ?? '?')}) : les expéditeurs ne suivent pas les redirections.`,
          en: `${url} answers ${res.status} (redirect to ${String(res.headers.location ?? '?')}): senders do not follow redirects.`,
        },
        { lines, facts },
      )
    if (res.status !== 200)
      return verdict.fail({ fr: `${url} répond ${res.status} au lieu de 200.`, en: `${url} answers ${res.status} instead of 200.` }, { lines, facts })
    const ctype = String(res.headers['content-type'] ?? '')
    facts['contentType'] = ctype
    if (!/^text\/plain\s*(;|$)/i.test(ctype))
      return verdict.fail(
        {
          fr: `La politique est servie en « ${ctype || 'sans Content-Type'} » : elle doit l’être en text/plain.`,
          en: `The policy is served as "${ctype || 'no Content-Type'}": it must be text/plain.`,
        },
        { lines, facts },
      )
    if (res.truncated)
      return verdict.fail({ fr: 'La politique dépasse 64 Kio.', en: 'The policy is larger than 64 KiB.' }, { lines, facts })
    lines.push('--- policy ---', ...res.body.split(/\r?\n/).filter((l) => l.trim() !== ''), '---')
    const policy = parsePolicy(res.body)
    Object.assign(facts, { mode: policy.mode, maxAge: policy.maxAge, mx: policy.mx })
    const problems = policyProblems(policy)
    if (problems.length)
      return verdict.fail(
        { fr: `Politique MTA-STS invalide : ${list(problems, 'fr')}.`, en: `Invalid MTA-STS policy: ${list(problems, 'en')}.` },
        { lines, facts },
      )
    try {
      const mx = await lookupMx(ctx, server, domain)
      lines.push(...responseLines(mx.response))
      const bad = rcodeInconclusive(mx.response, lines)
      if (bad) return bad
      const uncovered = mx.hosts.map((h) => h.exchange).filter((h) => !policy.mx.some((p) => mxPatternMatches(p, h)))
      for (const h of mx.hosts) lines.push(`MX ${h.exchange}: ${uncovered.includes(h.exchange) ? 'not covered by any mx: line' : 'covered'}`)
      facts['uncovered'] = uncovered
      const expectedMode = typeof ctx.params['mode'] === 'string' ? ctx.params['mode'] : null
      if (policy.mode !== 'none' && uncovered.length)
        return verdict.fail(
          {
            fr: `MX non couvert(s) par la politique : ${uncovered.join(', ')} ; en mode enforce, le courrier vers eux est refusé.`,
            en: `MX not covered by the policy: ${uncovered.join(', ')}; in enforce mode, mail to them is refused.`,
          },
          { lines, facts },
        )
      if (expectedMode && policy.mode !== expectedMode)
        return verdict.fail(
          { fr: `La politique est en mode ${policy.mode}, l’exercice attend ${expectedMode}.`, en: `The policy is in ${policy.mode} mode, the exercise expects ${expectedMode}.` },
          { lines, facts },
        )
      if (mx.hosts.length === 0)
        return verdict.warn(
          { fr: `Politique valide, mais ${domain} n’a aucun MX à couvrir.`, en: `Valid policy, but ${domain} has no MX to cover.` },
          { lines, facts },
        )
      if (policy.mode === 'none')
        return verdict.warn(
          { fr: 'Politique valide mais en mode none : elle n’impose rien (c’est le mode pour retirer MTA-STS).', en: 'Valid policy but in none mode: it enforces nothing (that mode is for withdrawing MTA-STS).' },
          { lines, facts },
        )
      return verdict.pass(
        {
          fr: `Politique MTA-STS valide en mode ${policy.mode}, max_age ${policy.maxAge} s, couvrant ${mx.hosts.length} MX.`,
          en: `Valid MTA-STS policy in ${policy.mode} mode, max_age ${policy.maxAge} s, covering ${mx.hosts.length} MX.`,
        },
        { lines, facts },
      )
    } catch (e) {
      return dnsFailure(e, lines)
    }
  },
})
