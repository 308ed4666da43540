// dns.dane.tlsa-matches: DNSSEC-validated TLSA records at _25._tcp.<mx> match the certificate chain the server presents.
import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto'
import net from 'node:net'
import { defineCheck, verdict } from '../../define.ts'
import { describeAnswer, recordsOf } from '../../probes/dns.ts'
import { ProbeError } from '../../probes/probe-error.ts'
import { presentedChain } from '../../probes/presented-chain.ts'
import type { PeerCertificates } from '../../probes/tls.ts'
import { analyseChain, certNamesHost, commonName, issuedBy, tlsaAssociation } from '../../probes/x509.ts'
import type { CheckContext, Verdict } from '../../types.ts'
import type { TlsaData } from 'dns-packet'
import { cachedAddresses, cachedQuery, dnsFailure, dnsSetup, isVerdict, lookupMx, rcodeInconclusive, responseLines } from './shared.ts'

export interface TlsaMatch {
  readonly record: string
  /** Usable for SMTP per RFC 7672: DANE-TA(2) or DANE-EE(3), known selector and matching type. */
  readonly usable: boolean
  /** Certificate of the presented chain it matched (0 = leaf), or null. */
  readonly matchedIndex: number | null
  /** DANE-TA: the matched certificate is on the leaf's signature path (null for DANE-EE or no match). */
  readonly chains: boolean | null
  /** DANE-TA: the leaf names the MX host (null for DANE-EE or no match). */
  readonly namesHost: boolean | null
  /** A DANE sender would authenticate the server with this record. */
  readonly authenticates: boolean
  /** DANE-TA with the whole CA certificate or key in the record (matching type 0), which signed the chain sent. */
  readonly taInDns: boolean
}

export function tlsaText(d: TlsaData): string {
  return `${d.usage} ${d.selector} ${d.matchingType} ${d.certificate.toString('hex')}`
}

/**
 * RFC 7672 §3.1: usage 3 (DANE-EE) matches the leaf only, with no name or expiry check (§3.1.1); usage 2
 * (DANE-TA) matches a CA certificate the server sent, the leaf must chain to it by signatures and name the MX
 * host, the reference identifier of §3.2.2 (§3.1.2). PKIX usages 0 and 1 are not for SMTP and count as unusable.
 * A DANE-TA key published without its certificate in the chain cannot be checked here and does not match.
 */
export function matchTlsa(records: readonly TlsaData[], chain: readonly X509Certificate[], mxHost: string): TlsaMatch[] {
  const path = analyseChain(chain).path
  const leafNames = chain[0] ? certNamesHost(chain[0], mxHost) : false
  return records.map((r) => {
    const usable = (r.usage === 2 || r.usage === 3) && (r.selector === 0 || r.selector === 1) && [0, 1, 2].includes(r.matchingType)
    const none = { record: tlsaText(r), usable, matchedIndex: null, chains: null, namesHost: null, authenticates: false, taInDns: false }
    if (!usable) return none
    const matching = (r.usage === 3 ? [0] : chain.map((_, i) => i).slice(1)).filter((i) => tlsaAssociation(chain[i]!, r.selector, r.matchingType)?.equals(r.certificate))
    if (!matching.length) {
      // RFC 7671 §5.2.2: a record holding the whole CA certificate or key needs no copy in the chain; a digest does.
      const signer = r.usage === 2 && r.matchingType === 0 ? signerOf(r) : null
      if (!signer || !path.some((i) => signedBy(chain[i]!, signer))) return none
      return { ...none, chains: true, namesHost: leafNames, authenticates: leafNames, taInDns: true }
    }
    if (r.usage === 3) return { ...none, matchedIndex: 0, authenticates: true }
    // The same CA certificate may be sent twice: the copy on the path counts.
    const onPath = matching.find((i) => path.includes(i))
    const matchedIndex = onPath ?? matching[0]!
    const chains = onPath !== undefined
    return { ...none, matchedIndex, chains, namesHost: leafNames, authenticates: chains && leafNames }
  })
}

function signerOf(r: TlsaData): X509Certificate | KeyObject | null {
  try {
    return r.selector === 0 ? new X509Certificate(r.certificate) : createPublicKey({ key: r.certificate, format: 'der', type: 'spki' })
  } catch {
    return null // not a certificate or key: the record matches nothing
  }
}

function signedBy(cert: X509Certificate, signer: X509Certificate | KeyObject): boolean {
  if (signer instanceof X509Certificate) return issuedBy(cert, signer)
  try {
    return cert.verify(signer)
  } catch {
    return false
  }
}

function describeMatch(m: TlsaMatch, host: string): string {
  if (!m.usable) return 'unusable for SMTP (PKIX usage 0/1 or unknown type)'
  if (m.taInDns) return `the CA in the record signs the chain sent, and the leaf ${m.namesHost ? 'names' : 'does NOT name'} ${host}`
  if (m.matchedIndex === null) return 'matches nothing presented'
  if (m.chains === null) return `matches #${m.matchedIndex}`
  if (!m.chains) return `matches #${m.matchedIndex}, but the leaf does not chain to it`
  return `matches #${m.matchedIndex}, the leaf chains to it and ${m.namesHost ? 'names' : 'does NOT name'} ${host}`
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
    // RFC 7672 §2.2.1: a sender looks up TLSA only for MX hosts it got from a validated answer.
    if (!mx.response.ad)
      return verdict.fail(
        {
          fr: `DANE : le MX de ${domain} n’est pas validé DNSSEC (pas de bit AD) : un expéditeur DANE ne cherche pas de TLSA pour un MX qu’il ne peut pas authentifier — la zone est-elle signée ?`,
          en: `DANE: the MX of ${domain} is not DNSSEC-validated (no AD bit): a DANE sender does not look up TLSA records for an MX it cannot authenticate — is the zone signed?`,
        },
        { lines, facts: { mxValidated: false } },
      )
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
    const pc = await ctx.cache.get(`dane.presented|${address}:${tport}|${mode}|${host}`, () => presentedChain(ep))
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

/** What a DANE sender concludes for one MX host from the records matched against the chain it was sent. */
function judge(host: string, name: string, matches: readonly TlsaMatch[]): HostOutcome {
  const fail = (fr: string, en: string): HostOutcome => ({ host, status: 'fail', why: { fr, en } })
  if (matches.some((m) => m.authenticates)) return { host, status: 'pass', why: { fr: `${host} correspond`, en: `${host} matches` } }
  const unnamed = matches.find((m) => m.chains === true && m.namesHost === false)
  if (unnamed)
    return fail(
      `le TLSA « ${unnamed.record.slice(0, 5)} » de ${name} désigne bien l’autorité de la chaîne, mais le certificat du serveur ne nomme pas ${host} : avec DANE-TA (usage 2), l’expéditeur vérifie le nom du MX (RFC 7672 §3.2.2)`,
      `the TLSA "${unnamed.record.slice(0, 5)}" at ${name} names the chain’s CA, but the server certificate does not name ${host}: with DANE-TA (usage 2) the sender checks the MX name (RFC 7672 §3.2.2)`,
    )
  const unchained = matches.find((m) => m.chains === false)
  if (unchained)
    return fail(
      `le TLSA « ${unchained.record.slice(0, 5)} » de ${name} correspond au certificat n°${unchained.matchedIndex} envoyé, mais le certificat du serveur n’est signé ni par lui ni par une autorité qu’il a signée : la feuille ne s’y rattache pas`,
      `the TLSA "${unchained.record.slice(0, 5)}" at ${name} matches certificate #${unchained.matchedIndex} sent, but the server certificate does not chain to it (no signature path from the leaf)`,
    )
  if (!matches.some((m) => m.usable))
    return fail(`aucun TLSA utilisable pour SMTP à ${name} (usages 2 ou 3 seulement)`, `no TLSA usable for SMTP at ${name} (usages 2 or 3 only)`)
  return fail(
    `aucun TLSA de ${name} ne correspond au certificat présenté (clé changée sans mise à jour du DNS ?)`,
    `no TLSA at ${name} matches the presented certificate (key changed without updating DNS?)`,
  )
}

export default defineCheck({
  id: 'dns.dane.tlsa-matches',
  title: { fr: 'DANE : les enregistrements TLSA correspondent au certificat', en: 'DANE: TLSA records match the certificate' },
  explain: {
    fr: 'Avec DANE (RFC 7672), un expéditeur lit les TLSA de _25._tcp.<hôte MX>, signés DNSSEC (bit AD du résolveur validant), et exige que le certificat présenté y corresponde : « 3 1 1 » = empreinte SHA-256 de la clé publique (SPKI) du certificat serveur, « 2 1 1 » = celle d’un certificat d’autorité envoyé dans la chaîne, dont le certificat du serveur doit descendre, et ce certificat doit alors nommer l’hôte MX. Le MX lui-même doit venir d’une réponse validée DNSSEC. Un TLSA qui ne correspond plus (clé changée au renouvellement sans mise à jour du DNS) bloque le courrier entrant : publiez le nouveau TLSA avant de changer de clé.',
    en: 'With DANE (RFC 7672), a sender reads the TLSA records at _25._tcp.<MX host>, DNSSEC-signed (AD bit from the validating resolver), and requires the presented certificate to match: "3 1 1" = SHA-256 of the server certificate’s public key (SPKI), "2 1 1" = that of a CA certificate sent in the chain, from which the server certificate must descend, and that certificate must then name the MX host. The MX itself must come from a DNSSEC-validated answer. A TLSA that no longer matches (key changed at renewal without a DNS update) blocks inbound mail: publish the new TLSA before changing keys.',
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
        const matches = matchTlsa(tlsa, got.presented, host)
        for (const m of matches) lines.push(`  TLSA ${m.record.slice(0, 24)}… ${describeMatch(m, host)}`)
        outcomes.push(judge(host, name, matches))
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
