// dns.tlsrpt.record: exactly one `v=TLSRPTv1; rua=…` TXT record at _smtp._tls.<domain> (RFC 8460 §3).
import { defineCheck, verdict } from '../../define.ts'
import { describeAnswer, recordsOf, txtValues } from '../../probes/dns.ts'
import { cachedQuery, dnsFailure, dnsSetup, isVerdict, parseTagList, rcodeInconclusive, responseLines } from './shared.ts'

export interface TlsRptCheck {
  readonly ok: boolean
  readonly rua: readonly string[]
  readonly problem?: { fr: string; en: string }
}

/** Validates one TXT value that starts with v=TLSRPTv1. */
export function checkTlsRptRecord(value: string): TlsRptCheck {
  if (!/^v=TLSRPTv1\s*(;|$)/.test(value))
    return { ok: false, rua: [], problem: { fr: 'l’enregistrement doit commencer par « v=TLSRPTv1; »', en: 'the record must start with "v=TLSRPTv1;"' } }
  const rua = parseTagList(value).get('rua')
  if (rua === undefined || rua === '') return { ok: false, rua: [], problem: { fr: 'le champ rua= manque', en: 'the rua= field is missing' } }
  const uris = rua.split(',').map((u) => u.trim())
  const badUri = uris.find((u) => !/^mailto:[^@\s]+@[^@\s]+$/i.test(u) && !/^https:\/\/[^\s]+$/i.test(u))
  if (badUri !== undefined)
    return {
      ok: false,
      rua: uris,
      problem: {
        fr: `« ${badUri} » n’est ni une adresse mailto:utilisateur@domaine ni une URL https://`,
        en: `"${badUri}" is neither a mailto:user@domain address nor an https:// URL`,
      },
    }
  return { ok: true, rua: uris }
}

export default defineCheck({
  id: 'dns.tlsrpt.record',
  title: { fr: 'Rapports TLS (TLS-RPT) demandés', en: 'TLS reporting (TLS-RPT) requested' },
  explain: {
    fr: 'TLS-RPT (RFC 8460) demande aux expéditeurs de vous envoyer chaque jour un rapport des échecs TLS vers votre domaine : c’est ainsi qu’on découvre un certificat expiré ou une politique MTA-STS cassée avant les utilisateurs. Un seul enregistrement TXT « v=TLSRPTv1; rua=… » sous _smtp._tls.<domaine>, rua en mailto: ou https:.',
    en: 'TLS-RPT (RFC 8460) asks senders to send you a daily report of TLS failures toward your domain: that is how an expired certificate or a broken MTA-STS policy is found before users notice. A single TXT record "v=TLSRPTv1; rua=…" at _smtp._tls.<domain>, rua as mailto: or https:.',
  },
  remedy: {
    postfix: 'Zone DNS : « _smtp._tls.domaine.tld. IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@domaine.tld" » et une boîte qui reçoit ces rapports.',
    exim: 'Zone DNS : « _smtp._tls.domaine.tld. IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@domaine.tld" » et une boîte qui reçoit ces rapports.',
  },
  appliesTo: ['remote', 'sandbox'],
  timeoutMs: 10_000,
  async run(ctx) {
    const setup = dnsSetup(ctx)
    if (isVerdict(setup)) return setup
    const name = `_smtp._tls.${setup.domain}`
    const lines: string[] = []
    try {
      const res = await cachedQuery(ctx, setup.server, name, 'TXT')
      lines.push(...responseLines(res), ...recordsOf(res, 'TXT').map(describeAnswer))
      const bad = rcodeInconclusive(res, lines)
      if (bad) return bad
      const rpt = txtValues(res).filter((v) => /^v=TLSRPTv1\b/i.test(v))
      const facts = { name, records: rpt }
      if (rpt.length === 0)
        return verdict.fail(
          { fr: `Aucun enregistrement TXT « v=TLSRPTv1 » sous ${name}.`, en: `No "v=TLSRPTv1" TXT record at ${name}.` },
          { lines, facts },
        )
      if (rpt.length > 1)
        return verdict.fail(
          {
            fr: `${rpt.length} enregistrements TLSRPTv1 sous ${name} : les expéditeurs n’envoient alors aucun rapport. Gardez-en un seul.`,
            en: `${rpt.length} TLSRPTv1 records at ${name}: senders then send no report at all. Keep only one.`,
          },
          { lines, facts },
        )
      const c = checkTlsRptRecord(rpt[0]!)
      if (!c.ok)
        return verdict.fail({ fr: `Enregistrement ${name} invalide : ${c.problem!.fr}.`, en: `Invalid ${name} record: ${c.problem!.en}.` }, { lines, facts })
      return verdict.pass(
        { fr: `Les rapports TLS partent vers ${c.rua.join(', ')}.`, en: `TLS reports go to ${c.rua.join(', ')}.` },
        { lines, facts: { ...facts, rua: c.rua } },
      )
    } catch (e) {
      return dnsFailure(e, lines)
    }
  },
})
