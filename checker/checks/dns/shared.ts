// What the dns.* checks share: which DNS server and domain to use, cached queries, and DNS failures as verdicts.
import { verdict } from '../../define.ts'
import type { CheckContext, Evidence, InconclusiveReason, Verdict } from '../../types.ts'
import { DnsProbeError, dnsQuery, describeResponse, recordsOf, resolveAddresses, type DnsResponse, type ResolvedAddresses } from '../../probes/dns.ts'
import type { RecordType } from 'dns-packet'

export const DNS_QUERY_TIMEOUT_MS = 3000

/** The lab resolver: the target's, else the sandbox's dns service on port 53 (the validating resolver). */
export function dnsServerOf(ctx: CheckContext): string | null {
  if (ctx.target.dnsServer) return ctx.target.dnsServer
  if (ctx.sandbox) return `${ctx.sandbox.address('dns')}:53`
  return null
}

export function domainOf(ctx: CheckContext): string | null {
  const d = (typeof ctx.params['domain'] === 'string' ? ctx.params['domain'] : ctx.target.domain)?.trim().replace(/\.$/, '')
  return d ? d.toLowerCase() : null
}

export interface DnsSetup {
  readonly server: string
  readonly domain: string
}

/** Either what a dns.* check needs, or the skip verdict explaining what is missing. */
export function dnsSetup(ctx: CheckContext): DnsSetup | Verdict {
  const server = dnsServerOf(ctx)
  const domain = domainOf(ctx)
  if (!server)
    return verdict.skip({
      fr: 'Aucun serveur DNS indiqué : le vérificateur n’interroge jamais le résolveur de la machine pour les noms du lab.',
      en: 'No DNS server given: the checker never asks the host resolver about lab names.',
    })
  if (!domain) return verdict.skip({ fr: 'Aucun domaine à vérifier n’a été indiqué.', en: 'No domain to check was given.' })
  return { server, domain }
}

export function isVerdict(x: unknown): x is Verdict {
  return typeof x === 'object' && x !== null && 'status' in x && 'summary' in x
}

/** A query shared by every check of the run (MX of the domain is read by several checks). */
export function cachedQuery(ctx: CheckContext, server: string, name: string, type: RecordType): Promise<DnsResponse> {
  return ctx.cache.get(`dns:${server}:${name.toLowerCase()}:${type}`, () =>
    dnsQuery(server, name, type, { timeoutMs: DNS_QUERY_TIMEOUT_MS, signal: ctx.signal }),
  )
}

export function cachedAddresses(ctx: CheckContext, server: string, name: string): Promise<ResolvedAddresses> {
  return ctx.cache.get(`dns-addr:${server}:${name.toLowerCase()}`, () =>
    resolveAddresses(server, name, { timeoutMs: DNS_QUERY_TIMEOUT_MS, signal: ctx.signal }),
  )
}

/** A DNS probe failure (no answer, garbage) is never the learner's fault. */
export function dnsFailure(e: unknown, lines: readonly string[] = []): Verdict {
  if (!(e instanceof DnsProbeError)) throw e
  const reason: InconclusiveReason = e.kind === 'timeout' || e.kind === 'aborted' ? 'timeout' : e.kind === 'unreachable' ? 'unreachable' : 'protocol'
  return verdict.inconclusive(
    reason,
    {
      fr: `Le serveur DNS du lab n’a pas pu être interrogé (${e.message}).`,
      en: `The lab DNS server could not be asked (${e.message}).`,
    },
    { lines: [...lines, `DNS: ${e.message}`] },
  )
}

/** SERVFAIL and friends: the resolver could not answer (often a DNSSEC validation failure). */
export function rcodeInconclusive(res: DnsResponse, lines: readonly string[]): Verdict | null {
  if (res.rcode === 'NOERROR' || res.rcode === 'NXDOMAIN') return null
  return verdict.inconclusive(
    'temporary',
    {
      fr: `Le résolveur répond ${res.rcode} pour ${res.name} ${res.type} : il n’a pas pu obtenir de réponse (une signature DNSSEC invalide donne aussi SERVFAIL).`,
      en: `The resolver answers ${res.rcode} for ${res.name} ${res.type}: it could not get an answer (an invalid DNSSEC signature also gives SERVFAIL).`,
    },
    { lines },
  )
}

export interface MxHost {
  readonly preference: number
  readonly exchange: string
}

export interface MxLookup {
  readonly response: DnsResponse
  readonly hosts: readonly MxHost[]
  /** RFC 7505 "MX 0 ." : the domain accepts no mail. */
  readonly nullMx: boolean
}

export async function lookupMx(ctx: CheckContext, server: string, domain: string): Promise<MxLookup> {
  const response = await cachedQuery(ctx, server, domain, 'MX')
  const records = recordsOf(response, 'MX')
  const hosts = records
    .map((r) => ({ preference: r.data.preference ?? 0, exchange: r.data.exchange.replace(/\.$/, '').toLowerCase() }))
    .sort((a, b) => a.preference - b.preference)
  const nullMx = hosts.length === 1 && hosts[0]!.exchange === ''
  return { response, hosts: nullMx ? [] : hosts.filter((h) => h.exchange !== ''), nullMx }
}

export function responseLines(...responses: DnsResponse[]): string[] {
  return responses.map(describeResponse)
}

export function evidence(lines: readonly string[], facts?: Evidence['facts']): Evidence {
  return facts ? { lines, facts } : { lines }
}

/** Parses `k=v; k=v` TXT policy records (MTA-STS, TLSRPT). Keys are case-sensitive per RFC 8461/8460. */
export function parseTagList(record: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const part of record.split(';')) {
    const p = part.trim()
    if (!p) continue
    const eq = p.indexOf('=')
    if (eq <= 0) continue
    const k = p.slice(0, eq).trim()
    if (!out.has(k)) out.set(k, p.slice(eq + 1).trim())
  }
  return out
}
