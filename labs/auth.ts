// Who is asking: the learner's token from `Authorization: Bearer` or `?token=`, checked in constant time.
import type { IncomingMessage } from 'node:http'
import { TOKEN_QUERY_PARAM } from '../core/lab-protocol.ts'

/** The token a request presents, or null. The header wins over the query string when both are present. */
export function presentedToken(req: IncomingMessage, url: URL): string | null {
  const header = req.headers.authorization
  if (typeof header === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (m) return m[1]!
  }
  const q = url.searchParams.get(TOKEN_QUERY_PARAM)
  return q && q.length > 0 ? q : null
}

/** Tokens are base64url; refusing anything else early keeps odd bytes out of logs and lookups. */
export function plausibleToken(token: string): boolean {
  return token.length >= 16 && token.length <= 128 && /^[A-Za-z0-9_-]+$/.test(token)
}
