// dns.dane.tlsa-matches: DNSSEC-validated TLSA records at _25._tcp.<mx> match the certificate chain the server presents.
import type { X509Certificate } from 'node:crypto'
import net from 'node:net'
import { defineCheck, verdict } from '../../define.ts'
import { describeAnswer, recordsOf } from '../../probes/dns.ts'
import { ProbeError } from '../../probes/probe-error.ts'
import { presentedCertificates, type PeerCertificates } from '../../probes/tls.ts'
import { commonName, tlsaAssociation } from '../../probes/x509.ts'
import type { CheckContext, Verdict } from '../../types.ts'
import type { TlsaData } from 'dns-packet'
import { cachedAddresses, cachedQuery, dnsFailure, dnsSetup, isVerdict, lookupMx, rcodeInconclusive, responseLines } from './shared.ts'

export interface TlsaMatch {
  readonly record: string
  /** Usable for SMTP per RFC 7672: DANE-TA(2) or DANE-EE(3), known selector and matching type. */
  readonly usable: boolean
  /** Certificate of the presented chain it matched (0 = leaf), or null. */
  readonly matchedIndex: number | null
}

export function tlsaText(d: TlsaData): string {
  return `${d.usage} ${d.selector} ${d.matchingType} ${d.certificate.toString('hex')}`
}

/**
 * RFC 7672 §3.1: usage 3 (DANE-EE) matches the leaf only; usage 2 (DANE-TA) matches a certificate the
 * server sent above the leaf. PKIX usages 0 and 1 are not for SMTP and count as unusable.
 */
export function matchTlsa(records: readonly TlsaData[], chain: readonly X509Certificate[]): TlsaMatch[] {
  return records.map((r) => {
    const usable = (r.usage === 2 || r.usage === 3) && (r.selector === 0 || r.selector === 1) && [0, 1, 2].includes(r.matchingType)
    let matchedIndex: number | null = null
    if (usable) {
      const candidates = r.usage === 3 ? [0] : chain.map((_, i) => i).slice(1)
      for (const i of candidates) {
        const assoc = tlsaAssociation(chain[i]!, r.selector, r.matchingType)
        if (assoc && assoc.equals(r.certificate)) {
          matchedIndex = i
          break
        }
      }
    }
    return { record: tlsaText(r), usable, matchedIndex }
  })
}

interface HostOutcome {
  readonly host: string
  readonly status: 'pass' | 'fail' | 'inconclusive'
  readonly why: { fr: string; en: string }
  readonly reason?: 'timeout' | 'unreachable' | 'refused' | 'temporary' | 'protocol'
}

/** The hosts whose TLSA records are checked: params.mxHost, else the domain's MX, else the servername. */
async function mxHosts(ctx: CheckContext, server: string, domain: string | null, lines: string[]): Promise<string[] | Verdict> {
  if (typeof ctx.params['mxHost'] === 'string') return [ctx.params['mxHost'].toLowerCase()]
  if (domain) {
    const mx = await lookupMx(ctx, server, domain)
    lines.push(...responseLines(mx.response))
    const bad = rcodeInconclusive(mx.response, lines)
    if (bad) return bad
    if (mx.hosts.length === 0)
      return verdict.fail({ fr: `${domain} n’a pas de MX : rien à protéger par DANE.`, en: `${domain} has no MX: nothing for DANE to protect.` }, { lines })
    return mx.hosts.map((h) => h.exchange)
  }
  if (ctx.target.servername) return [ctx.target.servername.toLowerCase()]
  return verdict.skip({ fr: 'Ni domaine ni nom de serveur : aucun hôte MX à vérifier.', en: 'Neither a domain nor a server name: no MX host to check.' })
}

async function chainOf(ctx: CheckContext, server: string, host: string, port: number, lines: string[]): Promise<PeerCertificates | HostOutcome> {
  // The target endpoint is used as given when it is this host on this port (it may be a forwarded port);
  // else the target's address on port 25, else the MX address from the lab DNS.
  const isTarget = ctx.target.servername?.toLowerCase() === host || ctx.target.host.toLowerCase() === host
  let address = isTarget ? ctx.target.host : host
  let tport = port
  let mode: 'starttls' | 'tls' = 'starttls'
  if (isTarget && ctx.target.port === port && ctx.target.mode !== 'plain') {
    tport = ctx.target.port
    mode = ctx.target.mode
  }
  if (!net.isIP(address)) {
    const r = await cachedAddresses(ctx, server, address)
    const v4 = r.addresses.find((a) => a.family === 4) ?? r.addresses[0]
    if (!v4) return { host, status: 'fail', why: { fr: `${host} n’a pas d’adresse`, en: `${host} has no address` } }
    address = v4.address
  }
  // No `ca`: the chain must be what the server sent, not completed from a trust store.
  const ep = { host: address, port: tport, mode, servername: host, ehloName: ctx.target.ehloName, timeouts: ctx.target.timeouts, ...(ctx.gate ? { gate: ctx.gate } : {}) }
  try {
    const pc = await ctx.cache.get(`dane.presented|${address}:${tport}|${mode}|${host}`, () => presentedCertificates(ep))
    lines.push(`${host} (${address}:${tport}, ${mode}): chain presented (${pc.source === 'wire' ? 'as sent, TLS 1.2' : 'as Node saw it, TLS 1.3'}):`)
    pc.presented.forEach((c, i) => lines.push(`  #${i} CN=${commonName(c.subject)} (issuer CN=${commonName(c.issuer)})`))
    return pc
  } catch (e) {
    if (!(e instanceof ProbeError)) throw e
    lines.push(...e.transcript, `${host}: ${e.message}`)
    return {
      host,
      status: 'inconclusive',
      reason: e.reason,
      why: { fr: `impossible d’obtenir le certificat de ${host} (${e.message})`, en: `could not get ${host}’s certificate (${e.message})` },
    }
  }
}

export default defineCheck({
  id: 'dns.dane.tlsa-matches',
  title: { fr: 'DANE : les enregistrements TLSA correspondent au certificat', en: 'DANE: TLSA records match the certificate' },
  explain: {
    fr: 'Avec DANE (RFC 7672), un expéditeur lit les TLSA de _25._tcp.<hôte MX>, signés DNSSEC (bit AD du résolveur validant), et exige que le certificat présenté y corresponde : « 3 1 1 » = empreinte SHA-256 de la clé publique (SPKI) du certificat serveur, « 2 1 1 » = celle d’un certificat d’autorité envoyé dans la chaîne. Un TLSA qui ne correspond plus (clé changée au renouvellement sans mise à jour du DNS) bloque le courrier entrant : publiez le nouveau TLSA avant de changer de clé.',
    en: 'With DANE (RFC 7672), a sender reads the TLSA records at _25._tcp.<MX host>, DNSSEC-signed (AD bit from the validating resolver), and requires the presented certificate to match: "3 1 1" = SHA-256 of the server certificate’s public key (SPKI), "2 1 1" = that of a CA certificate sent in the chain. A TLSA that no longer matches (key changed at renewal without a DNS update) blocks inbound mail: publish the new TLSA before changing keys.',
  },
  remedy: {
    postfix:
      'Empreinte : openssl x509 -in fullchain.pem -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum ; publiez « _25._tcp.mail.domaine.tld. IN TLSA 3 1 1 <empreinte> » dans une zone signée (nsupdate). Pour l’envoi : smtp_tls_security_level = dane et smtp_dns_support_level = dnssec.',
    exim: 'Empreinte : openssl x509 -in /usr/local/hestia/ssl/mail/mail.domaine.tld.crt -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum ; publiez « _25._tcp.mail.domaine.tld. IN TLSA 3 1 1 <empreinte> » dans une zone signée. Pour l’envoi : hosts_try_dane = * dans le transport remote_smtp (et dns_dnssec_ok = 1).',
  },
  appliesTo: ['remote', 'sandbox'],
  timeoutMs: 40_000,
  async run(ctx): Promise<Verdict> {
    const setup = dnsSetup(ctx)
    let server: string
    let domain: string | null = null
    if (isVerdict(setup)) {
      // Without a domain the servername still names one MX host.
      if (!ctx.target.dnsServer && !ctx.sandbox) return setup
      server = ctx.target.dnsServer ?? `${ctx.sandbox!.address('dns')}:53`
    } else {
      server = setup.server
      domain = setup.domain
    }
    const port = typeof ctx.params['port'] === 'number' ? ctx.params['port'] : 25
    const lines: string[] = []
    try {
      const hostsOrVerdict = await mxHosts(ctx, server, domain, lines)
      if (isVerdict(hostsOrVerdict)) return hostsOrVerdict
      const outcomes: HostOutcome[] = []
      const records: string[] = []
      for (const host of hostsOrVerdict) {
        const name = `_${port}._tcp.${host}`
        const res = await cachedQuery(ctx, server, name, 'TLSA')
        lines.push(...responseLines(res), ...recordsOf(res, 'TLSA').map(describeAnswer))
        const bad = rcodeInconclusive(res, lines)
        if (bad) {
          outcomes.push({ host, status: 'inconclusive', reason: 'temporary', why: { fr: `${name} : ${res.rcode}`, en: `${name}: ${res.rcode}` } })
          continue
        }
        const tlsa = recordsOf(res, 'TLSA').map((a) => a.data)
        records.push(...tlsa.map((t) => `${name} ${tlsaText(t)}`))
        if (tlsa.length === 0) {
          outcomes.push({ host, status: 'fail', why: { fr: `aucun TLSA à ${name}`, en: `no TLSA at ${name}` } })
          continue
        }
        if (!res.ad) {
          outcomes.push({
            host,
            status: 'fail',
            why: {
              fr: `les TLSA de ${name} ne sont pas validés DNSSEC (pas de bit AD) : les expéditeurs les ignorent — la zone est-elle signée ?`,
              en: `the TLSA records at ${name} are not DNSSEC-validated (no AD bit): senders ignore them — is the zone signed?`,
            },
          })
          continue
        }
        const got = await chainOf(ctx, server, host, port, lines)
        if (!('presented' in got)) {
          outcomes.push(got)
          continue
        }
        const matches = matchTlsa(tlsa, got.presented)
        for (const m of matches)
          lines.push(`  TLSA ${m.record.slice(0, 24)}… ${!m.usable ? 'unusable for SMTP (PKIX usage 0/1 or unknown type)' : m.matchedIndex === null ? 'matches nothing presented' : `matches #${m.matchedIndex}`}`)
        if (matches.some((m) => m.matchedIndex !== null)) {
          outcomes.push({ host, status: 'pass', why: { fr: `${host} correspond`, en: `${host} matches` } })
        } else if (!matches.some((m) => m.usable)) {
          outcomes.push({
            host,
            status: 'fail',
            why: { fr: `aucun TLSA utilisable pour SMTP à ${name} (usages 2 ou 3 seulement)`, en: `no TLSA usable for SMTP at ${name} (usages 2 or 3 only)` },
          })
        } else {
          outcomes.push({
            host,
            status: 'fail',
            why: {
              fr: `aucun TLSA de ${name} ne correspond au certificat présenté (clé changée sans mise à jour du DNS ?)`,
              en: `no TLSA at ${name} matches the presented certificate (key changed without updating DNS?)`,
            },
          })
        }
      }
      const facts = { hosts: outcomes.map((o) => `${o.host}: ${o.status}`), tlsa: records }
      const failed = outcomes.filter((o) => o.status === 'fail')
      if (failed.length)
        return verdict.fail(
          { fr: `DANE : ${failed.map((o) => o.why.fr).join(' ; ')}.`, en: `DANE: ${failed.map((o) => o.why.en).join('; ')}.` },
          { lines, facts },
        )
      const unsure = outcomes.find((o) => o.status === 'inconclusive')
      if (unsure)
        return verdict.inconclusive(unsure.reason ?? 'protocol', { fr: `DANE : ${unsure.why.fr}.`, en: `DANE: ${unsure.why.en}.` }, { lines, facts })
      return verdict.pass(
        {
          fr: `Les TLSA (validés DNSSEC) de ${outcomes.map((o) => o.host).join(', ')} correspondent au certificat présenté.`,
          en: `The DNSSEC-validated TLSA records of ${outcomes.map((o) => o.host).join(', ')} match the presented certificate.`,
        },
        { lines, facts },
      )
    } catch (e) {
      return dnsFailure(e, lines)
    }
  },
})
