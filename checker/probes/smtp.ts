// SMTP client state machine for probing: one command at a time, bounded at every step, with a masked transcript.
import net from 'node:net'
import { Duplex } from 'node:stream'
import tls from 'node:tls'
import type { ConnectionGate, StepTimeouts, Target, TransportMode } from '../types.ts'
import { ProbeError, fromSocketError } from './probe-error.ts'
import { parseEhlo, printable, ReplyParser, type Reply } from './smtp-reply.ts'
import { withSharedContext } from './tls-contexts.ts'

export const DEFAULT_TIMEOUTS: StepTimeouts = Object.freeze({ connectMs: 5000, greetingMs: 10_000, replyMs: 10_000, tlsMs: 8000 })
export const DEFAULT_EHLO = 'checker.smtp-tls-lab.test'
const MAX_TRANSCRIPT = 400

/** Everything a probe needs to reach one SMTP endpoint. */
export interface Endpoint {
  readonly host: string
  readonly port: number
  readonly mode: TransportMode
  readonly servername?: string
  readonly ehloName?: string
  readonly ca?: string
  readonly timeouts?: Partial<StepTimeouts>
  readonly signal?: AbortSignal
  readonly gate?: ConnectionGate
  /**
   * How often to come back after a "421 too many connections" greeting (default 3, with growing pauses):
   * servers such as Exim count a connection until its process has exited, a little after the client left.
   */
  readonly busyRetries?: number
}

export function endpointOf(target: Target, extra: { signal?: AbortSignal; gate?: ConnectionGate } = {}): Endpoint {
  return { ...target, ...extra }
}

export function timeoutsOf(ep: Endpoint): StepTimeouts {
  return { ...DEFAULT_TIMEOUTS, ...ep.timeouts }
}

/** SNI must be a host name: RFC 6066 forbids IP literals, and Node warns about them. */
export function sniOf(ep: Pick<Endpoint, 'host' | 'servername'>): string | undefined {
  if (ep.servername === '') return undefined // explicitly no SNI: what does the server present by default?
  const name = ep.servername ?? ep.host
  return net.isIP(name) ? undefined : name
}

/** Settings for Node's TLS client that still let it talk to old servers: the grader must see them to judge them. */
export function lenientTlsOptions(ep: Endpoint): tls.ConnectionOptions {
  const servername = sniOf(ep)
  return {
    rejectUnauthorized: false,
    minVersion: 'TLSv1',
    ciphers: 'DEFAULT:@SECLEVEL=0',
    ...(servername ? { servername } : {}),
    ...(ep.ca ? { ca: ep.ca } : {}),
  }
}

export interface TlsInfo {
  readonly protocol: string | null
  readonly cipher: string
}

export interface EhloInfo {
  readonly reply: Reply
  /** Upper-cased EHLO keywords with their parameters; empty after a HELO fallback. */
  readonly extensions: ReadonlyMap<string, readonly string[]>
}

/** AUTH mechanisms advertised (both "AUTH PLAIN LOGIN" and the old "AUTH=PLAIN LOGIN" spelling). */
export function authMechanisms(ehlo: EhloInfo | undefined): string[] {
  if (!ehlo) return []
  const out = new Set<string>()
  for (const [kw, params] of ehlo.extensions) {
    if (kw === 'AUTH') params.forEach((p) => out.add(p.toUpperCase()))
    else if (kw.startsWith('AUTH=')) [kw.slice(5), ...params].forEach((p) => p && out.add(p.toUpperCase()))
  }
  return [...out]
}

function raceAbort<T>(p: Promise<T>, ms: number, onTimeout: () => ProbeError, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => finish(() => reject(onTimeout())), ms)
    const onAbort = (): void => finish(() => reject(new ProbeError('timeout', 'the check’s time bound was reached')))
    const finish = (f: () => void): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      f()
    }
    if (signal?.aborted) return onAbort()
    signal?.addEventListener('abort', onAbort, { once: true })
    p.then(
      (v) => finish(() => resolve(v)),
      (e: unknown) => finish(() => reject(e)),
    )
  })
}

/** OpenSSL's words for "the server answered in clear text". */
export const PLAINTEXT_ANSWER = /wrong version number|packet length too long|unknown protocol|record layer failure|http request/i

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true })
  })

/** Runs `attempt` again after a busy (4xx greeting) answer, up to ep.busyRetries times, pausing 250, 500, 1000 ms. */
export async function retryBusy<T>(ep: Endpoint, attempt: () => Promise<T>): Promise<T> {
  const retries = ep.busyRetries ?? 3
  for (let i = 0; ; i++) {
    try {
      return await attempt()
    } catch (e) {
      const busy = e instanceof ProbeError && e.reason === 'temporary' && e.message.startsWith('greeting')
      if (!busy || i >= retries || ep.signal?.aborted) throw e
      await sleep(250 * 2 ** i, ep.signal)
    }
  }
}

/**
 * How long a connection still counts against the server once closed. A server counts a connection until the
 * process serving it has exited and been reaped, which can be well after the client left: Exim's child waits
 * about 500 ms after a TLS handshake the client abandoned (measured on the lab's Exim 4.96: 5 raw ClientHello
 * probes in a row left 5 children alive ~500 ms), and its daemon answers the surplus with a clear-text 421.
 * So a slot is held until the server has closed its side (its FIN seen, plus REAP_MARGIN_MS), or, when the
 * probe had to cut the connection before that, for UNSEEN_CLOSE_MS more.
 */
export const REAP_MARGIN_MS = 10
export const UNSEEN_CLOSE_MS = 600
/** hangUp() waits this long for the server to close its side before cutting. */
export const HANGUP_GRACE_MS = 2000

/** A TCP connection that counts against the per-server gate until the server has closed it (see REAP_MARGIN_MS). */
export async function openTcp(ep: Endpoint, transcript?: string[]): Promise<net.Socket> {
  const t = timeoutsOf(ep)
  const release = ep.gate ? await raceAbort(ep.gate.acquire(ep.host, ep.signal), t.connectMs * 4, () => new ProbeError('timeout', 'waiting for a free connection slot'), ep.signal) : () => {}
  let released = false
  const releaseOnce = (): void => {
    if (!released) {
      released = true
      release()
    }
  }
  const sock = net.connect({ host: ep.host, port: ep.port })
  let connected = false
  let serverClosed = false
  sock.once('end', () => (serverClosed = true))
  sock.once('close', () => {
    // A connection that never got through costs the server nothing; one we cut may still hold a server process.
    const hold = !connected ? 0 : serverClosed ? REAP_MARGIN_MS : UNSEEN_CLOSE_MS
    if (hold === 0 || !ep.gate) releaseOnce()
    else setTimeout(releaseOnce, hold) // kept ref’d: the runner may be waiting on the gate with nothing else pending
  })
  sock.on('error', () => {}) // each step reports errors itself; this keeps a late one from crashing the process
  try {
    await raceAbort(
      new Promise<void>((resolve, reject) => {
        sock.once('connect', () => {
          connected = true
          resolve()
        })
        sock.once('error', (e: NodeJS.ErrnoException) => reject(fromSocketError(e, `connect ${ep.host}:${ep.port}`)))
      }),
      t.connectMs,
      () => new ProbeError('timeout', `connect ${ep.host}:${ep.port}: no answer within ${t.connectMs} ms`),
      ep.signal,
    )
  } catch (e) {
    sock.destroy()
    releaseOnce()
    throw e
  }
  sock.setNoDelay(true)
  transcript?.push(`# connected to ${ep.host}:${ep.port}`)
  return sock
}

/**
 * Closes politely: our FIN, then the server's, bounded by HANGUP_GRACE_MS. Until the server has closed its side
 * the connection still holds its gate slot (openTcp), so the next probe cannot push the server over its cap.
 */
export function hangUp(sock: net.Socket): void {
  if (sock.destroyed) return
  sock.on('error', () => {})
  sock.removeAllListeners('data')
  sock.on('data', () => {}) // drain: a server whose reply sits unread would never see our FIN as the end
  const cut = setTimeout(() => sock.destroy(), HANGUP_GRACE_MS)
  cut.unref()
  sock.once('close', () => clearTimeout(cut))
  sock.end()
}

/**
 * Hands a socket's bytes to Node's TLS while keeping the first ones the server sent: when the handshake fails
 * because the server answered in clear text ("421 too many connections", an SMTP banner), we can say what it was.
 */
class WireTap extends Duplex {
  first = Buffer.alloc(0)
  constructor(private readonly inner: net.Socket) {
    super()
    inner.on('data', (d: Buffer) => {
      if (this.first.length < 512) this.first = Buffer.concat([this.first, d]).subarray(0, 512)
      if (!this.push(d)) inner.pause()
    })
    inner.on('end', () => this.push(null))
    inner.on('close', () => this.destroy())
    inner.on('error', () => {})
  }
  override _read(): void {
    this.inner.resume()
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.inner.destroyed) return cb()
    this.inner.write(chunk, () => cb())
  }
  override _final(cb: (e?: Error | null) => void): void {
    this.inner.end()
    cb()
  }
  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    // TLS ends on the server's close_notify, often before its FIN is read: let the TCP side finish politely.
    hangUp(this.inner)
    cb(err)
  }
}

/** Not a TLS record (content type 20–23, major version 3): the server spoke in clear. */
function clearText(first: Buffer): string | null {
  if (!first.length || (first[0]! >= 20 && first[0]! <= 23 && (first.length < 2 || first[1] === 3))) return null
  return first.toString('latin1').split('\n')[0]!.replace(/\r$/, '')
}

/** Node's TLS handshake over an already connected socket, bounded in time. */
export async function handshake(sock: net.Socket, ep: Endpoint, options: tls.ConnectionOptions = {}, transcript?: string[]): Promise<tls.TLSSocket> {
  const t = timeoutsOf(ep)
  const tap = new WireTap(sock)
  tap.on('error', () => {})
  // One OpenSSL context per trust bundle and option set, not one per handshake (tls-contexts.ts).
  const s = tls.connect(withSharedContext({ ...lenientTlsOptions(ep), ...options, socket: tap }))
  s.on('error', () => {})
  try {
    await raceAbort(
      new Promise<void>((resolve, reject) => {
        s.once('secureConnect', resolve)
        s.once('error', (e: NodeJS.ErrnoException) => reject(new ProbeError('protocol', `TLS handshake failed: ${e.code ?? ''} ${e.message}`.trim())))
        s.once('close', () => reject(new ProbeError('protocol', 'TLS handshake failed: connection closed by the server')))
      }),
      t.tlsMs,
      () => new ProbeError('timeout', `TLS handshake: no answer within ${t.tlsMs} ms`),
      ep.signal,
    )
  } catch (e) {
    // A server that failed the handshake closes by itself (seen by hangUp, via the tap); a silent one is cut now.
    if (!(e instanceof ProbeError) || e.reason === 'timeout') sock.destroy()
    s.destroy()
    const text = e instanceof ProbeError && e.reason === 'protocol' ? clearText(tap.first) : null
    if (text !== null) {
      transcript?.push(`S: ${printable(text, 200)}`)
      // A busy server refuses an implicit-TLS client with a 421 in clear text: that is not a TLS failure.
      if (ep.mode === 'tls' && /^4\d\d[ -]/.test(text)) throw new ProbeError('temporary', `greeting (in clear on an implicit-TLS port): ${printable(text, 120)}`, transcript ?? [])
    }
    throw e
  }
  return s
}

export function tlsInfoOf(s: tls.TLSSocket): TlsInfo {
  return { protocol: s.getProtocol(), cipher: s.getCipher()?.standardName ?? s.getCipher()?.name ?? '' }
}

/** One SMTP conversation. Never pipelines: each command waits for its reply. */
export class SmtpSession {
  readonly transcript: string[]
  greeting!: Reply
  tls?: TlsInfo
  /** The server's answer to the last STARTTLS sent, even when the handshake after it failed. */
  lastStartTlsReply?: Reply
  /** Bytes the server sent after "220 go ahead" and before the TLS handshake (STARTTLS injection risk). */
  plaintextAfterStartTls = false
  private parser = new ReplyParser()
  private queue: Reply[] = []
  private waiter: ((r: Reply | ProbeError) => void) | null = null
  private failure: ProbeError | null = null
  private lastCode = 0
  private readonly t: StepTimeouts

  private constructor(
    private sock: net.Socket,
    readonly ep: Endpoint,
    transcript: string[],
  ) {
    this.t = timeoutsOf(ep)
    this.transcript = transcript
    this.attach()
  }

  /** Connects (TLS first for implicit-TLS endpoints) and reads the greeting; a 4xx/5xx greeting throws. */
  static open(ep: Endpoint): Promise<SmtpSession> {
    return retryBusy(ep, () => SmtpSession.openOnce(ep))
  }

  private static async openOnce(ep: Endpoint): Promise<SmtpSession> {
    const transcript: string[] = []
    let sock: net.Socket
    try {
      sock = await openTcp(ep, transcript)
      if (ep.mode === 'tls') {
        const s = await handshake(sock, ep, {}, transcript)
        transcript.push(`# TLS ${s.getProtocol() ?? '?'} ${s.getCipher()?.standardName ?? ''}`)
        sock = s
      }
    } catch (e) {
      throw e instanceof ProbeError ? e.withTranscript(transcript) : e
    }
    const session = new SmtpSession(sock, ep, transcript)
    if (sock instanceof tls.TLSSocket) session.tls = tlsInfoOf(sock)
    try {
      session.greeting = await session.read(session.t.greetingMs, 'greeting')
    } catch (e) {
      session.destroy()
      throw e instanceof ProbeError ? e.withTranscript(transcript) : e
    }
    const code = session.greeting.code
    if (code !== 220) {
      session.destroy()
      const line = session.greeting.raw.at(-1) ?? ''
      throw new ProbeError(code === 421 || code < 500 ? 'temporary' : 'refused', `greeting: ${printable(line, 120)}`, transcript)
    }
    return session
  }

  get secure(): boolean {
    return this.sock instanceof tls.TLSSocket
  }

  get socket(): net.Socket {
    return this.sock
  }

  private log(line: string): void {
    if (this.transcript.length < MAX_TRANSCRIPT) this.transcript.push(line)
    else if (this.transcript.length === MAX_TRANSCRIPT) this.transcript.push('# … transcript truncated')
  }

  private onData = (chunk: Buffer): void => {
    for (const r of this.parser.feed(chunk)) {
      for (const l of r.raw) this.log(`S: ${printable(l)}`)
      this.queue.push(r)
    }
    if (this.parser.error) {
      const e = this.parser.error
      this.fail(new ProbeError('protocol', `${e.message}: «${e.sample}»`))
      this.sock.destroy()
      return
    }
    this.deliver()
  }
  private onError = (e: NodeJS.ErrnoException): void => this.fail(fromSocketError(e, 'SMTP'))
  private onClose = (): void => this.fail(new ProbeError('protocol', 'connection closed by the server'))

  private attach(): void {
    this.sock.on('data', this.onData)
    this.sock.on('error', this.onError)
    this.sock.on('close', this.onClose)
  }

  private detach(): void {
    this.sock.off('data', this.onData)
    this.sock.off('error', this.onError)
    this.sock.off('close', this.onClose)
  }

  private fail(e: ProbeError): void {
    this.failure ??= e
    this.deliver()
  }

  private deliver(): void {
    if (!this.waiter) return
    const r = this.queue.shift() ?? this.failure
    if (!r) return
    const w = this.waiter
    this.waiter = null
    w(r)
  }

  /** Waits for one complete reply, at most `ms` in all (a server trickling bytes does not extend it). */
  read(ms: number = this.t.replyMs, what = 'reply'): Promise<Reply> {
    const p = new Promise<Reply>((resolve, reject) => {
      this.waiter = (r) => (r instanceof ProbeError ? reject(r) : resolve(r))
      this.deliver()
    })
    return raceAbort(p, ms, () => {
      this.waiter = null
      this.sock.destroy()
      return new ProbeError('timeout', `${what}: no complete reply within ${ms} ms`)
    }, this.ep.signal).then(
      (r) => {
        this.lastCode = r.code
        return r
      },
      (e: unknown) => {
        this.waiter = null
        this.sock.destroy()
        throw e instanceof ProbeError ? e.withTranscript(this.transcript) : e
      },
    )
  }

  /** Sends one command line and waits for its reply. SASL secrets never reach the transcript. */
  async send(line: string): Promise<Reply> {
    if (this.queue.length) throw new ProbeError('protocol', 'the server sent a reply nobody asked for', this.transcript)
    if (/[\r\n]/.test(line)) throw new Error('an SMTP command line cannot contain CR or LF')
    let shown = line
    const auth = /^(AUTH\s+\S+)(\s+\S.*)?$/i.exec(line)
    if (auth?.[2]) shown = `${auth[1]} ****`
    else if (this.lastCode === 334) shown = '****'
    this.log(`C: ${printable(shown)}`)
    this.sock.write(`${line}\r\n`)
    return this.read(this.t.replyMs, line.split(' ')[0])
  }

  /** EHLO, or HELO when the server does not know EHLO. A 4xx answer throws (temporary). */
  async ehlo(): Promise<EhloInfo> {
    const name = this.ep.ehloName ?? DEFAULT_EHLO
    let reply = await this.send(`EHLO ${name}`)
    if (reply.code >= 500) {
      reply = await this.send(`HELO ${name}`)
      if (reply.code === 250) return { reply, extensions: new Map() }
    }
    if (reply.code !== 250) throw this.unexpected('EHLO', reply)
    return { reply, extensions: parseEhlo(reply) }
  }

  /** An error for a reply that stops the dialogue: 4xx is temporary, anything else a protocol surprise. */
  unexpected(step: string, reply: Reply): ProbeError {
    const line = printable(reply.raw.at(-1) ?? '', 120)
    return new ProbeError(reply.code >= 400 && reply.code < 500 ? 'temporary' : 'protocol', `${step}: ${line}`, this.transcript)
  }

  /** Sends STARTTLS; on 220 the caller gets the plain socket to run its own handshake on. */
  async startTlsRaw(): Promise<{ reply: Reply; socket?: net.Socket }> {
    const reply = await this.send('STARTTLS')
    this.lastStartTlsReply = reply
    if (reply.code !== 220) return { reply }
    this.plaintextAfterStartTls = this.queue.length > 0 || this.parser.midReply
    this.detach()
    this.sock.on('error', () => {})
    return { reply, socket: this.sock }
  }

  /** STARTTLS and Node's handshake; afterwards commands go over TLS (EHLO must then be sent again). */
  async startTls(options: tls.ConnectionOptions = {}): Promise<Reply> {
    const { reply, socket } = await this.startTlsRaw()
    if (!socket) return reply
    this.queue = []
    this.parser = new ReplyParser()
    this.lastCode = 0
    const s = await handshake(socket, this.ep, options, this.transcript).catch((e: unknown) => {
      throw e instanceof ProbeError ? e.withTranscript(this.transcript) : e
    })
    this.sock = s
    this.failure = null
    this.tls = tlsInfoOf(s)
    this.log(`# TLS ${this.tls.protocol ?? '?'} ${this.tls.cipher}`)
    this.attach()
    return reply
  }

  /** QUIT politely but briefly, then close whatever happens. */
  async quit(): Promise<void> {
    if (!this.sock.destroyed && !this.failure) {
      try {
        this.log('C: QUIT')
        this.sock.write('QUIT\r\n')
        await this.read(Math.min(1000, this.t.replyMs), 'QUIT')
      } catch {
        // The server may close without answering QUIT; nothing to learn from it.
      }
    }
    this.destroy()
  }

  /** Closes without QUIT; the slot stays held until the server has closed its side too. */
  destroy(): void {
    this.detach()
    hangUp(this.sock)
  }
}

/** What one plain conversation shows: greeting, EHLO before TLS, STARTTLS and EHLO after it. */
export interface SmtpFacts {
  readonly greeting: Reply
  /** EHLO before TLS (or over TLS for implicit-TLS endpoints). */
  readonly ehlo: EhloInfo
  readonly implicitTls: boolean
  /** Present when STARTTLS was advertised and tried. */
  readonly starttls?: {
    readonly reply: Reply
    readonly tls?: TlsInfo
    readonly ehlo?: EhloInfo
    /** Why the handshake or the EHLO after it failed. */
    readonly error?: string
  }
  readonly transcript: readonly string[]
}

/** Greeting, EHLO, STARTTLS when advertised, EHLO again: the dialogue most smtp.* checks read. */
export async function smtpDialogue(ep: Endpoint): Promise<SmtpFacts> {
  const s = await SmtpSession.open(ep)
  try {
    const ehlo = await s.ehlo()
    let starttls: SmtpFacts['starttls']
    if (ep.mode !== 'tls' && ehlo.extensions.has('STARTTLS')) {
      let reply: Reply | undefined
      try {
        reply = await s.startTls()
        if (reply.code === 220) {
          const after = await s.ehlo()
          starttls = { reply, ...(s.tls ? { tls: s.tls } : {}), ehlo: after }
        } else {
          starttls = { reply }
        }
      } catch (e) {
        reply ??= s.lastStartTlsReply
        // A handshake the server breaks is its answer; a handshake that merely times out tells nothing.
        if (!(e instanceof ProbeError) || !reply || e.reason === 'timeout') throw e
        starttls = { reply, ...(s.tls ? { tls: s.tls } : {}), error: e.message }
      }
    }
    await s.quit()
    return { greeting: s.greeting, ehlo, implicitTls: ep.mode === 'tls', ...(starttls ? { starttls } : {}), transcript: s.transcript }
  } finally {
    s.destroy()
  }
}

export interface CommandsResult {
  readonly ehlo: EhloInfo
  /** True when the commands went over TLS (after STARTTLS or on an implicit-TLS port). */
  readonly overTls: boolean
  readonly replies: readonly { readonly command: string; readonly reply: Reply }[]
  readonly transcript: readonly string[]
}

/**
 * Runs commands one by one after EHLO, over TLS when `tls` is asked and possible (a 454 falls back to plain,
 * like a real client). A 421 stops the conversation and throws: the server is busy, not misconfigured.
 */
export async function smtpCommands(ep: Endpoint, commands: readonly string[], opts: { tls: boolean }): Promise<CommandsResult> {
  const s = await SmtpSession.open(ep)
  try {
    let ehlo = await s.ehlo()
    if (opts.tls && ep.mode === 'starttls' && ehlo.extensions.has('STARTTLS')) {
      const r = await s.startTls()
      if (r.code === 220) ehlo = await s.ehlo()
      else if (r.code === 421) throw s.unexpected('STARTTLS', r)
    }
    const replies: { command: string; reply: Reply }[] = []
    for (const command of commands) {
      const reply = await s.send(command)
      if (reply.code === 421) throw s.unexpected(command.split(' ')[0] ?? command, reply)
      replies.push({ command, reply })
    }
    await s.quit()
    return { ehlo, overTls: s.secure, replies, transcript: s.transcript }
  } finally {
    s.destroy()
  }
}

/** A socket ready for a TLS ClientHello: after "220" to STARTTLS, or straight after connect for implicit TLS. */
export interface HandshakeSocket {
  readonly socket: net.Socket
  readonly transcript: readonly string[]
}

export async function socketForTls(ep: Endpoint): Promise<HandshakeSocket> {
  if (ep.mode === 'tls') {
    const transcript: string[] = []
    return { socket: await openTcp(ep, transcript), transcript }
  }
  if (ep.mode === 'plain') throw new ProbeError('protocol', 'this endpoint is configured without TLS')
  const s = await SmtpSession.open(ep)
  try {
    await s.ehlo()
    const { reply, socket } = await s.startTlsRaw()
    if (!socket) throw s.unexpected('STARTTLS', reply)
    return { socket, transcript: s.transcript }
  } catch (e) {
    s.destroy()
    throw e
  }
}

/** A finished Node TLS handshake (after STARTTLS or implicit), for certificate facts. */
export function nodeTls(ep: Endpoint, options: tls.ConnectionOptions = {}): Promise<{ socket: tls.TLSSocket; transcript: readonly string[] }> {
  // The inner attempt must not retry by itself: this loop already does, for both transports.
  return retryBusy(ep, () => nodeTlsOnce({ ...ep, busyRetries: 0 }, options))
}

async function nodeTlsOnce(ep: Endpoint, options: tls.ConnectionOptions): Promise<{ socket: tls.TLSSocket; transcript: readonly string[] }> {
  const { socket, transcript: pre } = await socketForTls(ep)
  const transcript = [...pre]
  const s = await handshake(socket, ep, options, transcript).catch((e: unknown) => {
    throw e instanceof ProbeError ? e.withTranscript(transcript) : e
  })
  return { socket: s, transcript: [...transcript, `# TLS ${s.getProtocol() ?? '?'} ${s.getCipher()?.standardName ?? ''}`] }
}
