// DNS probe: asks one given server (the lab resolver) directly with dns-packet, never the host resolver.
import dgram from 'node:dgram'
import net from 'node:net'
import { randomInt } from 'node:crypto'
import type { LookupFunction } from 'node:net'
import * as packet from 'dns-packet'
import type { Answer, DecodedPacket, RecordType } from 'dns-packet'

export interface DnsServer {
  readonly host: string
  readonly port: number
}

export type DnsFailureKind = 'timeout' | 'unreachable' | 'protocol' | 'aborted'

/** The server could not be asked or did not answer sensibly; an NXDOMAIN is an answer, not this. */
export class DnsProbeError extends Error {
  constructor(
    readonly kind: DnsFailureKind,
    message: string,
  ) {
    super(message)
    this.name = 'DnsProbeError'
  }
}

export interface DnsQueryOptions {
  readonly timeoutMs?: number
  readonly signal?: AbortSignal
  /** Ask for DNSSEC (EDNS DO bit) so a validating resolver reports AD. Default true. */
  readonly dnssec?: boolean
  /** Skip UDP (used for the retry after a truncated answer). */
  readonly tcp?: boolean
}

export interface DnsResponse {
  readonly server: string
  readonly name: string
  readonly type: RecordType
  readonly rcode: string
  /** Authenticated Data: the resolver validated the answer with DNSSEC. */
  readonly ad: boolean
  readonly transport: 'udp' | 'tcp'
  readonly answers: readonly Answer[]
  readonly elapsedMs: number
}

const DEFAULT_TIMEOUT_MS = 3000

/** Accepts `ip`, `ip:port`, `[v6]:port` or a bare IPv6 address; port 53 by default. */
export function parseDnsServer(spec: string): DnsServer {
  const s = spec.trim()
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(s)
  if (bracket) return { host: bracket[1]!, port: bracket[2] ? Number(bracket[2]) : 53 }
  if (net.isIPv6(s)) return { host: s, port: 53 }
  const m = /^([^:]+)(?::(\d+))?$/.exec(s)
  if (!m || !net.isIP(m[1]!)) throw new Error(`DNS server must be an IP address with an optional port, got "${spec}"`)
  const port = m[2] ? Number(m[2]) : 53
  if (!(port > 0 && port < 65536)) throw new Error(`bad DNS port in "${spec}"`)
  return { host: m[1]!, port }
}

export function formatServer(server: DnsServer): string {
  return net.isIPv6(server.host) ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`
}

function buildQuery(name: string, type: RecordType, dnssec: boolean): { id: number; buf: Buffer } {
  const id = randomInt(0, 65536)
  const buf = packet.encode({
    type: 'query',
    id,
    flags: packet.RECURSION_DESIRED | packet.AUTHENTIC_DATA,
    questions: [{ type, name, class: 'IN' }],
    additionals: [
      {
        type: 'OPT',
        name: '.',
        udpPayloadSize: 1232,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: dnssec ? packet.DNSSEC_OK : 0,
        flag_do: dnssec,
        options: [],
      },
    ],
  })
  return { id, buf }
}

function sameName(a: string, b: string): boolean {
  return a.replace(/\.$/, '').toLowerCase() === b.replace(/\.$/, '').toLowerCase()
}

function checkReply(reply: DecodedPacket, id: number, name: string, type: RecordType): boolean {
  const q = reply.questions?.[0]
  return reply.id === id && reply.type === 'response' && (!q || (sameName(q.name, name) && q.type === type))
}

/** Runs fn with a timer and abort hookup; settle() is called exactly once. */
function bounded<T>(
  timeoutMs: number,
  signal: AbortSignal | undefined,
  start: (resolve: (v: T) => void, reject: (e: Error) => void) => () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) return reject(new DnsProbeError('aborted', 'aborted before the DNS query'))
    let done = false
    let cleanup: () => void = () => {}
    const finish = (fn: () => void): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      cleanup()
      fn()
    }
    const onAbort = (): void => finish(() => reject(new DnsProbeError('aborted', 'DNS query aborted')))
    const timer = setTimeout(
      () => finish(() => reject(new DnsProbeError('timeout', `no DNS answer within ${timeoutMs} ms`))),
      timeoutMs,
    )
    signal?.addEventListener('abort', onAbort, { once: true })
    cleanup = start(
      (v) => finish(() => resolve(v)),
      (e) => finish(() => reject(e)),
    )
  })
}

function queryUdp(server: DnsServer, name: string, type: RecordType, dnssec: boolean, timeoutMs: number, signal?: AbortSignal): Promise<DecodedPacket> {
  const { id, buf } = buildQuery(name, type, dnssec)
  return bounded<DecodedPacket>(timeoutMs, signal, (resolve, reject) => {
    const sock = dgram.createSocket(net.isIPv6(server.host) ? 'udp6' : 'udp4')
    sock.on('error', (e: NodeJS.ErrnoException) => reject(new DnsProbeError('unreachable', `UDP to ${formatServer(server)}: ${e.code ?? e.message}`)))
    sock.on('message', (msg, rinfo) => {
      if (rinfo.address !== server.host || rinfo.port !== server.port) return
      let reply: DecodedPacket
      try {
        reply = packet.decode(msg)
      } catch {
        return // a garbled datagram is ignored like a spoofed one; the timeout decides
      }
      if (checkReply(reply, id, name, type)) resolve(reply)
    })
    sock.send(buf, server.port, server.host)
    return () => sock.close()
  })
}

function queryTcp(server: DnsServer, name: string, type: RecordType, dnssec: boolean, timeoutMs: number, signal?: AbortSignal): Promise<DecodedPacket> {
  const { id, buf } = buildQuery(name, type, dnssec)
  return bounded<DecodedPacket>(timeoutMs, signal, (resolve, reject) => {
    const sock = net.connect({ host: server.host, port: server.port })
    let acc = Buffer.alloc(0)
    sock.on('connect', () => {
      const len = Buffer.alloc(2)
      len.writeUInt16BE(buf.length)
      sock.write(Buffer.concat([len, buf]))
    })
    sock.on('data', (chunk) => {
      acc = Buffer.concat([acc, chunk])
      if (acc.length > 70_000) return reject(new DnsProbeError('protocol', 'oversized DNS answer over TCP'))
      if (acc.length < 2) return
      const len = acc.readUInt16BE(0)
      if (acc.length < 2 + len) return
      try {
        const reply = packet.decode(acc.subarray(2, 2 + len))
        if (checkReply(reply, id, name, type)) resolve(reply)
        else reject(new DnsProbeError('protocol', 'DNS answer over TCP does not match the question'))
      } catch (e) {
        reject(new DnsProbeError('protocol', `undecodable DNS answer over TCP: ${(e as Error).message}`))
      }
    })
    sock.on('error', (e: NodeJS.ErrnoException) => reject(new DnsProbeError('unreachable', `TCP to ${formatServer(server)}: ${e.code ?? e.message}`)))
    sock.on('close', () => reject(new DnsProbeError('protocol', 'DNS server closed the TCP connection without a full answer')))
    return () => sock.destroy()
  })
}

/** One question to one server: UDP first, TCP when the answer is truncated. */
export async function dnsQuery(serverSpec: string | DnsServer, name: string, type: RecordType, opts: DnsQueryOptions = {}): Promise<DnsResponse> {
  const server = typeof serverSpec === 'string' ? parseDnsServer(serverSpec) : serverSpec
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const dnssec = opts.dnssec ?? true
  const started = performance.now()
  let transport: 'udp' | 'tcp' = opts.tcp ? 'tcp' : 'udp'
  let reply = opts.tcp
    ? await queryTcp(server, name, type, dnssec, timeoutMs, opts.signal)
    : await queryUdp(server, name, type, dnssec, timeoutMs, opts.signal)
  if (reply.flag_tc && !opts.tcp) {
    transport = 'tcp'
    reply = await queryTcp(server, name, type, dnssec, timeoutMs, opts.signal)
  }
  return {
    server: formatServer(server),
    name,
    type,
    rcode: (reply as DecodedPacket & { rcode?: string }).rcode ?? 'NOERROR',
    ad: reply.flag_ad,
    transport,
    answers: reply.answers ?? [],
    elapsedMs: Math.round(performance.now() - started),
  }
}

/** The answer shape for one record type (dns-packet groups A/AAAA/CNAME… under one union member). */
export type AnswerOf<T extends Answer['type'], A extends Answer = Answer> = A extends { type: infer U } ? (T extends U ? A & { type: T } : never) : never

/** Records of the asked type only (a resolver also returns the CNAME chain and RRSIGs). */
export function recordsOf<T extends Answer['type']>(res: DnsResponse, type: T): AnswerOf<T>[] {
  return res.answers.filter((a): a is AnswerOf<T> => a.type === type)
}

/** Each TXT record as one string: its character-strings are concatenated, as RFC 7208/8461 readers do. */
export function txtValues(res: DnsResponse): string[] {
  return recordsOf(res, 'TXT').map((a) => {
    const d = a.data
    const parts = Array.isArray(d) ? d : [d]
    return parts.map((p) => (Buffer.isBuffer(p) ? p.toString('utf8') : p)).join('')
  })
}

/** A dig-like line for evidence. */
export function describeAnswer(a: Answer): string {
  const head = `${a.name}. ${'ttl' in a && a.ttl !== undefined ? a.ttl : ''} IN ${a.type}`
  switch (a.type) {
    case 'A':
    case 'AAAA':
    case 'CNAME':
    case 'NS':
    case 'PTR':
    case 'DNAME':
      return `${head} ${a.data}`
    case 'MX':
      return `${head} ${a.data.preference ?? 0} ${a.data.exchange}.`
    case 'TXT': {
      const parts = Array.isArray(a.data) ? a.data : [a.data]
      return `${head} ${parts.map((p) => JSON.stringify(Buffer.isBuffer(p) ? p.toString('utf8') : p)).join(' ')}`
    }
    case 'TLSA':
      return `${head} ${a.data.usage} ${a.data.selector} ${a.data.matchingType} ${a.data.certificate.toString('hex')}`
    case 'RRSIG':
      return `${head} ${a.data.typeCovered} (signature by ${a.data.signersName})`
    default:
      return head
  }
}

/** Header line for evidence, like dig's flags line. */
export function describeResponse(res: DnsResponse): string {
  return `;; ${res.name} ${res.type} @${res.server} (${res.transport}): ${res.rcode}, flags:${res.ad ? ' ad' : ''}, ${recordsOf(res, res.type).length} record(s), ${res.elapsedMs} ms`
}

export interface ResolvedAddresses {
  readonly addresses: readonly { address: string; family: 4 | 6 }[]
  readonly responses: readonly DnsResponse[]
}

/** A and AAAA of a name through the given server; NXDOMAIN/NODATA give an empty list, not an error. */
export async function resolveAddresses(serverSpec: string | DnsServer, name: string, opts: DnsQueryOptions = {}): Promise<ResolvedAddresses> {
  const [a, aaaa] = await Promise.all([dnsQuery(serverSpec, name, 'A', opts), dnsQuery(serverSpec, name, 'AAAA', opts)])
  return {
    addresses: [
      ...recordsOf(a, 'A').map((r) => ({ address: r.data, family: 4 as const })),
      ...recordsOf(aaaa, 'AAAA').map((r) => ({ address: r.data, family: 6 as const })),
    ],
    responses: [a, aaaa],
  }
}

/**
 * A `lookup` for net/tls/https that resolves through the lab DNS server, so that lab names
 * never reach the host resolver. IP literals pass through untouched.
 */
export function labLookup(serverSpec: string | DnsServer, opts: DnsQueryOptions = {}): LookupFunction {
  return ((hostname: string, options: { all?: boolean; family?: number | string } | number, callback: (...args: unknown[]) => void) => {
    const all = typeof options === 'object' && options !== null && options.all === true
    const ipFamily = net.isIP(hostname)
    const reply = (list: { address: string; family: number }[]): void => {
      if (all) callback(null, list)
      else callback(null, list[0]!.address, list[0]!.family)
    }
    if (ipFamily) return reply([{ address: hostname, family: ipFamily }])
    resolveAddresses(serverSpec, hostname, opts).then(
      (r) => {
        // IPv4 first: lab networks are IPv4 and a v6 address would not be routable from the host.
        const list = [...r.addresses].sort((x, y) => x.family - y.family)
        if (list.length === 0) {
          const err = Object.assign(new Error(`${hostname} has no A/AAAA record on ${r.responses[0]?.server}`), { code: 'ENOTFOUND', hostname })
          return callback(err)
        }
        reply(list)
      },
      (e: unknown) => {
        const err = Object.assign(new Error(`DNS lookup of ${hostname} failed: ${(e as Error).message}`), {
          code: e instanceof DnsProbeError && e.kind === 'timeout' ? 'ETIMEOUT' : 'ESERVFAIL',
          hostname,
        })
        callback(err)
      },
    )
  }) as LookupFunction
}
