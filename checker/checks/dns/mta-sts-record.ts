// dns.mta-sts.record: exactly one `v=STSv1; id=…` TXT record at _mta-sts.<domain> (RFC 8461 §3.1).
import { defineCheck, verdict } from '../../define.ts'
import { describeAnswer, recordsOf, txtValues } from '../../probes/dns.ts'
import { cachedQuery, dnsFailure, dnsSetup, isVerdict, parseTagList, rcodeInconclusive, responseLines } from './shared.ts'

export interface StsRecordCheck {
  readonly ok: boolean
  readonly id?: string
  readonly problem?: { fr: string; en: string }
}

/** Validates one TXT value that starts with v=STSv1. */
export function checkStsRecord(value: string): StsRecordCheck {
  if (!/^v=STSv1\s*(;|$)/.test(value))
    return { ok: false, problem: { fr: 'l’enregistrement doit commencer par « v=STSv1; »', en: 'the record must start with "v=STSv1;"' } }
  const tags = parseTagList(value)
  const id = tags.get('id')
  if (id === undefined) return { ok: false, problem: { fr: 'le champ id= manque', en: 'the id= field is missing' } }
  if (!/^[A-Za-z0-9]{1,32}$/.test(id))
    return {
      ok: false,
      id,
      problem: {
        fr: `id=${id} n’est pas valide : 1 à 32 lettres ou chiffres, sans ponctuation (par exemple 20240101000000)`,
        en: `id=${id} is not valid: 1 to 32 letters or digits, no punctuation (e.g. 20240101000000)`,
      },
    }
  return { ok: true, id }
}

export default defineCheck({
  id: 'dns.mta-sts.record',
  title: { fr: 'Enregistrement DNS MTA-STS publié', en: 'MTA-STS DNS record published' },
  explain: {
    fr: 'MTA-STS (RFC 8461) annonce par DNS qu’une politique TLS existe : un seul enregistrement TXT « v=STSv1; id=… » sous _mta-sts.<domaine>. Les expéditeurs ne retéléchargent la politique que lorsque id change : changez-le à chaque modification de la politique. Deux enregistrements STSv1 font ignorer MTA-STS.',
    en: 'MTA-STS (RFC 8461) announces through DNS that a TLS policy exists: a single TXT record "v=STSv1; id=…" at _mta-sts.<domain>. Senders fetch the policy again only when id changes: change it whenever the policy changes. Two STSv1 records make senders ignore MTA-STS.',
  },
  remedy: {
    postfix:
      'Zone DNS : « _mta-sts.domaine.tld. IN TXT "v=STSv1; id=20240101000000" » (côté réception, rien à changer dans Postfix ; pour l’envoi, un résolveur de politique comme postfix-mta-sts-resolver).',
    exim: 'Zone DNS : « _mta-sts.domaine.tld. IN TXT "v=STSv1; id=20240101000000" » (côté réception, rien à changer dans Exim).',
  },
  appliesTo: ['remote', 'sandbox'],
  timeoutMs: 10_000,
  async run(ctx) {
    const setup = dnsSetup(ctx)
    if (isVerdict(setup)) return setup
    const name = `_mta-sts.${setup.domain}`
    const lines: string[] = []
    try {
      const res = await cachedQuery(ctx, setup.server, name, 'TXT')
      lines.push(...responseLines(res), ...recordsOf(res, 'TXT').map(describeAnswer))
      const bad = rcodeInconclusive(res, lines)
      if (bad) return bad
      // Records that do not start with v=STSv1 are someone else's and must be ignored (RFC 8461 §3.1).
      const sts = txtValues(res).filter((v) => /^v=STSv1\b/i.test(v))
      const facts = { name, records: sts }
      if (sts.length === 0)
        return verdict.fail(
          { fr: `Aucun enregistrement TXT « v=STSv1 » sous ${name}.`, en: `No "v=STSv1" TXT record at ${name}.` },
          { lines, facts },
        )
      if (sts.length > 1)
        return verdict.fail(
          {
            fr: `${sts.length} enregistrements STSv1 sous ${name} : les expéditeurs ignorent alors MTA-STS. Gardez-en un seul.`,
            en: `${sts.length} STSv1 records at ${name}: senders then ignore MTA-STS. Keep only one.`,
          },
          { lines, facts },
        )
      const c = checkStsRecord(sts[0]!)
      if (!c.ok)
        return verdict.fail(
          { fr: `Enregistrement ${name} invalide : ${c.problem!.fr}.`, en: `Invalid ${name} record: ${c.problem!.en}.` },
          { lines, facts: { ...facts, id: c.id ?? null } },
        )
      return verdict.pass(
        { fr: `${name} annonce une politique MTA-STS (id=${c.id}).`, en: `${name} announces an MTA-STS policy (id=${c.id}).` },
        { lines, facts: { ...facts, id: c.id! } },
      )
    } catch (e) {
      return dnsFailure(e, lines)
    }
  },
})
