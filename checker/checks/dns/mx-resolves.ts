// dns.mx.resolves: the domain publishes MX records and every MX host has an address.
import { defineCheck, verdict } from '../../define.ts'
import { describeAnswer, recordsOf } from '../../probes/dns.ts'
import { cachedAddresses, dnsFailure, dnsSetup, isVerdict, lookupMx, rcodeInconclusive, responseLines } from './shared.ts'

export default defineCheck({
  id: 'dns.mx.resolves',
  title: { fr: 'Les MX du domaine résolvent en adresses', en: 'The domain’s MX hosts resolve to addresses' },
  explain: {
    fr: 'Un serveur expéditeur cherche d’abord les enregistrements MX du domaine, puis l’adresse (A/AAAA) de chaque hôte MX. Sans MX, ou avec un MX qui pointe vers un nom sans adresse (ou vers un alias CNAME, interdit par la RFC 5321), le courrier n’arrive pas ou arrive mal.',
    en: 'A sending server first looks up the domain’s MX records, then the address (A/AAAA) of each MX host. With no MX, or an MX naming a host without an address (or an alias CNAME, which RFC 5321 forbids), mail does not arrive or arrives by luck.',
  },
  remedy: {
    postfix:
      'Dans la zone DNS : « domaine.tld. IN MX 10 mail.domaine.tld. » et « mail.domaine.tld. IN A <adresse> » ; Postfix doit annoncer ce nom (myhostname = mail.domaine.tld).',
    exim: 'Dans la zone DNS : « domaine.tld. IN MX 10 mail.domaine.tld. » et « mail.domaine.tld. IN A <adresse> » ; Exim doit annoncer ce nom (primary_hostname = mail.domaine.tld).',
  },
  appliesTo: ['remote', 'sandbox'],
  timeoutMs: 15_000,
  async run(ctx) {
    const setup = dnsSetup(ctx)
    if (isVerdict(setup)) return setup
    const { server, domain } = setup
    const lines: string[] = []
    try {
      const mx = await lookupMx(ctx, server, domain)
      lines.push(...responseLines(mx.response), ...recordsOf(mx.response, 'MX').map(describeAnswer))
      const bad = rcodeInconclusive(mx.response, lines)
      if (bad) return bad
      if (mx.nullMx)
        return verdict.fail(
          { fr: `${domain} publie un « MX nul » (0 .) : il déclare n’accepter aucun courrier.`, en: `${domain} publishes a null MX (0 .): it declares it accepts no mail.` },
          { lines, facts: { domain, mx: [] } },
        )
      if (mx.hosts.length === 0)
        return verdict.fail(
          {
            fr: `${domain} n’a aucun enregistrement MX (${mx.response.rcode}).`,
            en: `${domain} has no MX record (${mx.response.rcode}).`,
          },
          { lines, facts: { domain, mx: [] } },
        )
      const unresolved: string[] = []
      const aliases: string[] = []
      for (const h of mx.hosts) {
        const r = await cachedAddresses(ctx, server, h.exchange)
        for (const res of r.responses) {
          const bad = rcodeInconclusive(res, lines)
          if (bad) return bad
        }
        if (r.responses.some((res) => recordsOf(res, 'CNAME').length > 0)) aliases.push(h.exchange)
        if (r.addresses.length === 0) unresolved.push(h.exchange)
        lines.push(`${h.exchange} → ${r.addresses.length ? r.addresses.map((a) => a.address).join(', ') : '(aucune adresse / no address)'}`)
      }
      const facts = { domain, mx: mx.hosts.map((h) => `${h.preference} ${h.exchange}`), unresolved }
      if (unresolved.length)
        return verdict.fail(
          {
            fr: `Hôte(s) MX sans adresse A/AAAA : ${unresolved.join(', ')}.`,
            en: `MX host(s) without an A/AAAA address: ${unresolved.join(', ')}.`,
          },
          { lines, facts },
        )
      if (aliases.length)
        return verdict.warn(
          {
            fr: `Le MX ${aliases.join(', ')} est un alias CNAME : la RFC 5321 demande un nom qui porte directement l’adresse.`,
            en: `MX ${aliases.join(', ')} is a CNAME alias: RFC 5321 wants a name that holds the address itself.`,
          },
          { lines, facts },
        )
      return verdict.pass(
        {
          fr: `Tous les MX de ${domain} résolvent : ${mx.hosts.map((h) => h.exchange).join(', ')}.`,
          en: `Every MX of ${domain} resolves: ${mx.hosts.map((h) => h.exchange).join(', ')}.`,
        },
        { lines, facts },
      )
    } catch (e) {
      return dnsFailure(e, lines)
    }
  },
})
