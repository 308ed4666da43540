// What SMTP/TLS/cert checks share: cached probes per endpoint, and turning probe failures into `inconclusive`.
import { X509Certificate } from 'node:crypto'
import { verdict } from '../define.ts'
import { ProbeError, inconclusiveSummary } from '../probes/probe-error.ts'
import { smtpDialogue, type Endpoint, type SmtpFacts } from '../probes/smtp.ts'
import { certificateFacts, endpointKey, probeVersion, type CertificateFacts, type HelloOutcome, type PeerCertificates } from '../probes/tls.ts'
import type { ProtocolVersion } from '../probes/cipher-suites.ts'
import type { CheckContext, Localized, Verdict } from '../types.ts'

export const L = (fr: string, en: string): Localized => ({ fr, en })

/**
 * The endpoint for probes shared through the cache. Shared probes do not take the check's abort signal:
 * another check may be waiting on the same probe, and every probe step is bounded in time anyway.
 */
export function sharedEndpoint(ctx: CheckContext): Endpoint {
  return { ...ctx.target, ...(ctx.gate ? { gate: ctx.gate } : {}) }
}

/** The endpoint for a probe only this check uses: aborted with the check. */
export function ownEndpoint(ctx: CheckContext): Endpoint {
  return { ...sharedEndpoint(ctx), signal: ctx.signal }
}

function cached<T>(ctx: CheckContext, name: string, make: (ep: Endpoint) => Promise<T>): Promise<T> {
  const ep = sharedEndpoint(ctx)
  return ctx.cache.get(`${name}|${endpointKey(ep)}|${ep.ehloName ?? ''}|${ep.ca ? 'ca' : ''}`, () => make(ep))
}

export function dialogue(ctx: CheckContext): Promise<SmtpFacts> {
  return cached(ctx, 'smtp.dialogue', smtpDialogue)
}

/** TLS 1.2 also collects the certificates as sent, so the chain check needs no handshake of its own. */
export function versionOutcome(ctx: CheckContext, v: ProtocolVersion): Promise<HelloOutcome> {
  return cached(ctx, `tls.version.${v}`, (ep) => probeVersion(ep, v, v === 'tls1.2'))
}

export function certFacts(ctx: CheckContext, servername?: string): Promise<CertificateFacts> {
  return cached(ctx, `tls.cert.${servername ?? '-'}`, (ep) => certificateFacts(ep, servername))
}

export function presented(ctx: CheckContext): Promise<PeerCertificates> {
  return cached(ctx, 'tls.presented', async () => {
    const v12 = await versionOutcome(ctx, 'tls1.2')
    if (v12.accepted && v12.certificates?.length) {
      return { presented: v12.certificates.map((d) => new X509Certificate(d)), source: 'wire' as const, transcript: v12.transcript }
    }
    // TLS 1.3 only: the Certificate message is encrypted, so Node's view is the best available.
    const facts = await certFacts(ctx)
    return { presented: facts.nodeChain, source: 'node' as const, transcript: facts.transcript }
  })
}

/** Runs a check body; a ProbeError (timeout, 421, refused…) becomes `inconclusive`, never `fail`. */
export async function guard(what: Localized, body: () => Promise<Verdict>): Promise<Verdict> {
  try {
    return await body()
  } catch (e) {
    if (e instanceof ProbeError) return verdict.inconclusive(e.reason, inconclusiveSummary(e, what), { lines: [...e.transcript, `# ${e.message}`] })
    throw e
  }
}

/** The check only makes sense for one transport (e.g. STARTTLS checks on an implicit-TLS port). */
export function notApplicable(summary: Localized): Verdict {
  return { status: 'skip', reason: 'not-applicable', summary, evidence: { lines: [] } }
}

/** The mail domain under test: params.domain, target.domain, else the server name minus its first label. */
export function mailDomain(ctx: CheckContext): string {
  const p = ctx.params['domain']
  if (typeof p === 'string' && p) return p
  if (ctx.target.domain) return ctx.target.domain
  const name = ctx.target.servername || ctx.target.host
  const labels = name.split('.')
  return /^[\d.]+$/.test(name) || labels.length < 3 ? name : labels.slice(1).join('.')
}

export function lastLine(r: { raw: readonly string[] }): string {
  return r.raw.at(-1) ?? ''
}
