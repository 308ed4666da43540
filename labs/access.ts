// Who may ask what: the Host and Origin a request must carry, the session cookie a join link is exchanged for, and the
// role (learner or instructor) behind a credential. One server for a whole class relies on all three.
import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { isIP } from 'node:net'
import { hashToken } from './progress-store.ts'

/** HttpOnly, SameSite=Strict: scripts cannot read it and no other site's page makes the browser send it. */
export const SESSION_COOKIE = 'stl_session'

export interface HostPolicy {
  /** Host names and addresses the server answers for (lowercase, IPv6 without brackets). */
  readonly names: ReadonlySet<string>
  readonly port: number
  readonly scheme: 'http' | 'https'
}

/** The hostname of a Host header value (`name:port`, `[v6]:port`), lowercase, or null when malformed. */
export function hostnameOf(host: string | undefined): string | null {
  if (!host) return null
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s/@]+))(?::(\d{1,5}))?$/.exec(host.trim())
  if (!m) return null
  return (m[1] ?? m[2]!).toLowerCase().replace(/\.$/, '')
}

/**
 * Whether the request's Host names this server: a foreign name means DNS rebinding or a misrouted request, and a page
 * served under it must never read the class's data (answered 421 Misdirected Request).
 */
export function hostAllowed(req: IncomingMessage, policy: HostPolicy): boolean {
  const name = hostnameOf(req.headers.host)
  return name !== null && policy.names.has(name)
}

/**
 * Whether the Origin, when a browser sent one, is one of this server's own origins. Browsers send it on every
 * WebSocket handshake and every POST: a page of another site cannot open a learner's terminal with their cookie.
 * No Origin at all is a non-browser client (the bench, curl), which holds no cookie it did not get itself.
 */
export function originAllowed(req: IncomingMessage, policy: HostPolicy): boolean {
  const origin = req.headers.origin
  if (origin === undefined) return true
  let u: URL
  try {
    u = new URL(origin)
  } catch {
    return false
  }
  const port = u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : Number(u.port)
  return u.protocol === `${policy.scheme}:` && port === policy.port && policy.names.has(u.hostname.replace(/^\[|\]$/g, '').toLowerCase())
}

/** The value of one cookie, or null. */
export function cookieValue(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie
  if (!header) return null
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim())
  }
  return null
}

export function sessionCookie(token: string, opts: { secure: boolean; maxAgeS?: number }): string {
  return [
    `${SESSION_COOKIE}=${encodeURIComponent(token)}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    ...(opts.secure ? ['Secure'] : []),
    `Max-Age=${opts.maxAgeS ?? 14 * 86400}`,
  ].join('; ')
}

/** Constant-time check of a presented token against a stored SHA-256 hash. */
export function tokenMatches(token: string, storedHash: string): boolean {
  const a = Buffer.from(hashToken(token), 'hex')
  const b = Buffer.from(storedHash, 'hex')
  return a.length === b.length && timingSafeEqual(a, b)
}

/** Lowercase names to answer for, addresses in the form Host headers carry them (IPv6 without brackets). */
export function hostNames(list: Iterable<string>): Set<string> {
  const out = new Set<string>()
  for (const raw of list) {
    const n = raw.trim().toLowerCase().replace(/^\[|\]$/g, '')
    if (n !== '' && (isIP(n) !== 0 || /^[a-z0-9.-]+$/.test(n))) out.add(n)
  }
  return out
}
