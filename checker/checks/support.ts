// What SMTP/TLS/cert checks share: cached probes per endpoint, and turning probe failures into `inconclusive`.
import { verdict } from '../define.ts'
import { ProbeError, inconclusiveSummary } from '../probes/probe-error.ts'
import { smtpDialogue, type Endpoint, type SmtpFacts } from '../probes/smtp.ts'
import { certificateFacts, endpointKey, probeVersion, type CertificateFacts, type HelloOutcome } from '../probes/tls.ts'
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

// Certificates are not collected here: offered every suite, a server may pick an anonymous one and send none, so
// the chain checks read them from probes/presented-chain.ts, which offers only authenticated suites.
export function versionOutcome(ctx: CheckContext, v: ProtocolVersion): Promise<HelloOutcome> {
  return cached(ctx, `tls.version.${v}`, (ep) => probeVersion(ep, v))
}

export function certFacts(ctx: CheckContext, servername?: string): Promise<CertificateFacts> {
  return cached(ctx, `tls.cert.${servername ?? '-'}`, (ep) => certificateFacts(ep, servername))
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
