// HTTPS probe: one GET, name resolved through the lab DNS server, certificate verified against a given CA, redirects reported not followed.
import https from 'node:https'
import type { IncomingHttpHeaders } from 'node:http'
import type { TLSSocket } from 'node:tls'
import type { ConnectionGate } from '../types.ts'
import { labLookup } from './dns.ts'
import { withSharedContext } from './tls-contexts.ts'

export interface HttpsGetOptions {
  /** Lab DNS server (ip or ip:port) used for the host name; never the host resolver. */
  readonly dnsServer: string
  /** PEM of trusted roots; undefined = the system store. */
  readonly ca?: string
  readonly timeoutMs?: number
  readonly signal?: AbortSignal
  /** The body is cut past this size (RFC 8461 senders accept 64 KiB policies). */
  readonly maxBytes?: number
  /** The run's per-server cap: the connection holds a slot (keyed by the URL's host name) until it is closed. */
  readonly gate?: ConnectionGate
}

/** Where it failed: `certificate` is the server's certificate being refused, the others are network-level. */
export type HttpsFailureStage = 'dns' | 'dns-error' | 'refused' | 'timeout' | 'certificate' | 'tls' | 'network' | 'aborted'

export type HttpsResult =
  | {
      readonly ok: true
      readonly status: number
      readonly headers: IncomingHttpHeaders
      readonly body: string
      readonly truncated: boolean
      readonly remoteAddress: string
      readonly tlsProtocol: string | null
      readonly peerSubject: string
      readonly lines: readonly string[]
    }
  | {
      readonly ok: false
      readonly stage: HttpsFailureStage
      readonly code: string
      readonly message: string
      readonly lines: readonly string[]
    }

// OpenSSL verification failures as Node names them: the server's certificate is the problem.
const CERT_ERRORS = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
])

function classify(err: NodeJS.ErrnoException): HttpsFailureStage {
  const code = err.code ?? ''
  if (CERT_ERRORS.has(code)) return 'certificate'
  if (code === 'ENOTFOUND') return 'dns'
  if (code === 'ETIMEOUT' || code === 'ESERVFAIL') return 'dns-error'
  if (code === 'ECONNREFUSED') return 'refused'
  if (code === 'ETIMEDOUT') return 'timeout'
  if (code === 'ABORT_ERR') return 'aborted'
  if (code.startsWith('ERR_SSL') || code === 'EPROTO') return 'tls'
  return 'network'
}

/** GET an https:// URL; never throws for network or TLS trouble, returns where it stopped instead. */
export async function httpsGet(url: string, opts: HttpsGetOptions): Promise<HttpsResult> {
  const u = new URL(url)
  if (u.protocol !== 'https:') throw new Error(`httpsGet wants an https:// URL, got ${url}`)
  if (!opts.gate) return getOnce(u, url, opts, () => {})
  let release: () => void
  try {
    release = await opts.gate.acquire(u.hostname, opts.signal)
  } catch (e) {
    return { ok: false, stage: 'aborted', code: 'ABORT_ERR', message: (e as Error).message, lines: [`GET ${url}`] }
  }
  return getOnce(u, url, opts, release)
}

function getOnce(u: URL, url: string, opts: HttpsGetOptions, release: () => void): Promise<HttpsResult> {
  const timeoutMs = opts.timeoutMs ?? 8000
  const maxBytes = opts.maxBytes ?? 64 * 1024
  const lines: string[] = [`GET ${url}`]
  return new Promise<HttpsResult>((resolve) => {
    let settled = false
    const done = (r: HttpsResult): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (!req.socket) release() // no socket was ever assigned (the request failed before connecting)
      resolve(r)
    }
    const req = https.request({
      protocol: 'https:',
      hostname: u.hostname,
      port: u.port ? Number(u.port) : 443,
      path: `${u.pathname}${u.search}`,
      method: 'GET',
      servername: u.hostname,
      lookup: labLookup(opts.dnsServer, { timeoutMs: Math.min(3000, timeoutMs), signal: opts.signal }),
      // The grading bundle holds hundreds of roots: its OpenSSL context is built once (tls-contexts.ts).
      ...(opts.ca ? withSharedContext({ ca: opts.ca }) : {}),
      rejectUnauthorized: true,
      agent: false,
      signal: opts.signal,
      headers: { 'user-agent': 'smtp-tls-lab-checker', accept: 'text/plain' },
    })
    const timer = setTimeout(() => {
      req.destroy(Object.assign(new Error(`no complete HTTPS answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }))
    }, timeoutMs)
    req.on('socket', (s) => {
      s.once('close', release)
      s.on('lookup', (_err: Error | null, address: string) => {
        if (address) lines.push(`${u.hostname} → ${address} (lab DNS ${opts.dnsServer})`)
      })
    })
    req.on('error', (e: NodeJS.ErrnoException) => {
      const stage = classify(e)
      lines.push(`error (${stage}): ${e.code ?? ''} ${e.message}`.trim())
      done({ ok: false, stage, code: e.code ?? 'UNKNOWN', message: e.message, lines })
    })
    req.on('response', (res) => {
      const sock = res.socket as TLSSocket
      const peer = sock.getPeerCertificate?.()
      const cn = (x: string | string[] | undefined): string => (Array.isArray(x) ? x.join(', ') : (x ?? '?'))
      const protocol = sock.getProtocol?.() ?? null
      const remoteAddress = sock.remoteAddress ?? ''
      lines.push(`TLS ${protocol ?? '?'}; certificate subject ${cn(peer?.subject?.CN)}, issuer ${cn(peer?.issuer?.CN)}`)
      lines.push(`HTTP/${res.httpVersion} ${res.statusCode ?? 0} ${res.statusMessage ?? ''}`.trim())
      for (const h of ['content-type', 'location', 'content-length']) {
        const v = res.headers[h]
        if (v !== undefined) lines.push(`${h}: ${Array.isArray(v) ? v.join(', ') : v}`)
      }
      const chunks: Buffer[] = []
      let size = 0
      let truncated = false
      res.on('data', (c: Buffer) => {
        if (truncated) return
        size += c.length
        if (size > maxBytes) {
          truncated = true
          chunks.push(c.subarray(0, c.length - (size - maxBytes)))
          res.destroy()
          finish()
        } else chunks.push(c)
      })
      const finish = (): void =>
        done({
          ok: true,
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          truncated,
          remoteAddress,
          tlsProtocol: protocol,
          peerSubject: cn(peer?.subject?.CN),
          lines,
        })
      res.on('end', finish)
      res.on('error', (e: NodeJS.ErrnoException) => {
        if (truncated) return
        done({ ok: false, stage: classify(e), code: e.code ?? 'UNKNOWN', message: e.message, lines })
      })
    })
    req.end()
  })
}
