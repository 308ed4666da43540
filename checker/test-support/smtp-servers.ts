// Real SMTP servers on 127.0.0.1:0 for tests: a scriptable one (every reply and TLS setting chosen by the test)
// and misbehaving ones. No mocks: the checker talks to them over real sockets.
import net from 'node:net'
import tls from 'node:tls'

export interface RunningServer {
  readonly host: string
  readonly port: number
  close(): Promise<void>
}

async function listen(server: net.Server): Promise<RunningServer> {
  const sockets = new Set<net.Socket>()
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    host: '127.0.0.1',
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

export interface ScriptedSmtpOptions {
  readonly greeting?: string
  /** EHLO keywords before TLS; STARTTLS is added when `tls` is set and `offerStartTls` is not false. */
  readonly extensions?: readonly string[]
  readonly extensionsAfterTls?: readonly string[]
  readonly offerStartTls?: boolean
  /** TLS settings of the server (key, cert, minVersion, ciphers…); without it STARTTLS answers 454. */
  readonly tls?: tls.SecureContextOptions & { readonly sni?: Readonly<Record<string, tls.SecureContextOptions>> }
  /** Implicit TLS (port 465 style). */
  readonly implicit?: boolean
  /** Custom reply for a command; return undefined for the default. */
  readonly reply?: (verb: string, arg: string, state: { readonly secure: boolean }) => string | undefined
  /** Connections beyond this count get a 421 greeting. */
  readonly maxConnections?: number
}

const DEFAULTS: Record<string, string> = {
  HELO: '250 mail.test',
  MAIL: '250 2.1.0 Ok',
  RCPT: '250 2.1.5 Ok',
  RSET: '250 2.0.0 Ok',
  NOOP: '250 2.0.0 Ok',
  VRFY: '502 5.5.1 VRFY command is disabled',
  ETRN: '502 5.5.1 ETRN command is disabled',
  AUTH: '535 5.7.8 Authentication failed',
}

/** A small but real ESMTP server whose every answer the test chooses. */
export async function scriptedSmtp(o: ScriptedSmtpOptions = {}): Promise<RunningServer> {
  const context = o.tls ? tls.createSecureContext(o.tls) : undefined
  const sniContexts = new Map(Object.entries(o.tls?.sni ?? {}).map(([name, opts]) => [name, tls.createSecureContext({ ...o.tls, ...opts })]))
  const tlsServerOptions = (): tls.TLSSocketOptions => ({
    isServer: true,
    ...(context ? { secureContext: context } : {}),
    SNICallback: (name, cb) => cb(null, sniContexts.get(name) ?? context),
  })
  let active = 0
  const server = net.createServer((raw) => {
    active++
    raw.on('close', () => active--)
    let sock: net.Socket = raw
    let secure = false
    if (o.implicit) {
      sock = new tls.TLSSocket(raw, tlsServerOptions())
      sock.on('error', () => {})
      secure = true
    }
    const send = (text: string): void => {
      if (!sock.destroyed) sock.write(text.endsWith('\r\n') ? text : `${text}\r\n`)
    }
    if (o.maxConnections !== undefined && active > o.maxConnections) {
      send('421 4.7.0 mail.test Error: too many connections from 127.0.0.1')
      sock.end()
      return
    }
    // Implicit TLS: greet once the handshake is done. A write queued before it makes Node drop the server's alert
    // when the handshake fails (the client sees a reset), where real servers (OpenSSL, GnuTLS) send it.
    if (o.implicit) sock.once('secure', () => send(o.greeting ?? '220 mail.test ESMTP'))
    else send(o.greeting ?? '220 mail.test ESMTP')
    let buf = ''
    const onData = (chunk: Buffer): void => {
      buf += chunk.toString('latin1')
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, '')
        buf = buf.slice(nl + 1)
        if (handle(line)) return
      }
    }
    const ehloLines = (): string[] => {
      if (secure) return [...(o.extensionsAfterTls ?? ['PIPELINING', 'SIZE 10240000', 'AUTH PLAIN LOGIN', '8BITMIME'])]
      const ext = [...(o.extensions ?? ['PIPELINING', 'SIZE 10240000', '8BITMIME'])]
      if (o.tls && o.offerStartTls !== false && !o.implicit && !ext.includes('STARTTLS')) ext.splice(1, 0, 'STARTTLS')
      return ext
    }
    /** Returns true when the socket changed hands (STARTTLS) or closed. */
    const handle = (line: string): boolean => {
      const [verbRaw = '', ...rest] = line.split(' ')
      const verb = verbRaw.toUpperCase().replace(/:.*$/, '')
      const arg = rest.join(' ')
      const custom = o.reply?.(verb, line.slice(verbRaw.length + 1), { secure })
      if (custom !== undefined) {
        send(custom)
        if (custom.startsWith('421')) sock.end()
        return custom.startsWith('421')
      }
      if (verb === 'EHLO') {
        const ext = ehloLines()
        send([`250${ext.length ? '-' : ' '}mail.test`, ...ext.map((e, i) => `250${i === ext.length - 1 ? ' ' : '-'}${e}`)].join('\r\n'))
        return false
      }
      if (verb === 'QUIT') {
        send('221 2.0.0 Bye')
        sock.end()
        return true
      }
      if (verb === 'STARTTLS') {
        if (!o.tls || secure) {
          send('454 4.7.0 TLS not available due to local problem')
          return false
        }
        send('220 2.0.0 Ready to start TLS')
        sock.off('data', onData)
        buf = ''
        const t = new tls.TLSSocket(sock, tlsServerOptions())
        t.on('error', () => {})
        sock = t
        secure = true
        t.on('data', onData)
        return true
      }
      send(DEFAULTS[verb] ?? `502 5.5.2 Error: command not recognized${arg ? '' : ''}`)
      return false
    }
    sock.on('data', onData)
  })
  return listen(server)
}

/** A server that does whatever `onConnection` does with the raw socket. */
export async function rawServer(onConnection: (s: net.Socket) => void): Promise<RunningServer> {
  return listen(net.createServer(onConnection))
}

export interface BusyFrontOptions {
  /** The first N connections get a clear-text 421 and are closed, before any TLS. */
  readonly refuseFirst?: number
  /** A connection is refused (clear-text 421) while this many earlier ones are still counted, like Exim's smtp_accept_max_per_host. */
  readonly cap?: number
  /**
   * How long a connection stays counted after the client left first. Exim's child outlives the client: after a
   * TLS handshake the client abandons, it waits about 500 ms before closing its side and exiting.
   */
  readonly lingerMs?: number
}

export interface BusyFront extends RunningServer {
  /** Connections answered with the clear-text 421. */
  readonly refused: number
  readonly accepted: number
}

/**
 * A TCP front that counts connections the way Exim's daemon does and refuses the surplus with a clear-text
 * "421 … too many connections", then relays accepted ones to `backend` (e.g. an implicit-TLS scriptedSmtp).
 */
export async function busyFront(backend: RunningServer, o: BusyFrontOptions): Promise<BusyFront> {
  let seen = 0
  let active = 0
  const stats = { refused: 0, accepted: 0 }
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    seen++
    if (seen <= (o.refuseFirst ?? 0) || (o.cap !== undefined && active >= o.cap)) {
      stats.refused++
      client.end('421 4.3.2 mail.test too many connections from that IP address\r\n')
      return
    }
    stats.accepted++
    active++
    const up = net.connect({ host: backend.host, port: backend.port, allowHalfOpen: true })
    // Like Exim's child: the server's FIN goes out only when it stops counting the connection, lingerMs after
    // either side first ended or failed (a clean QUIT exits at once in Exim; lingering then too is only stricter).
    let counted = true
    let lingering = false
    const finish = (): void => {
      if (!counted) return
      counted = false
      active--
      client.end()
      up.destroy()
      setTimeout(() => client.destroy(), 50)
    }
    const linger = (): void => {
      if (lingering) return
      lingering = true
      setTimeout(finish, o.lingerMs ?? 0)
    }
    up.pipe(client, { end: false })
    client.pipe(up, { end: false })
    up.on('end', linger)
    up.on('error', linger)
    up.on('close', linger)
    client.on('end', linger)
    client.on('error', linger)
    client.on('close', linger)
  })
  const running = await listen(server)
  return {
    ...running,
    get refused() {
      return stats.refused
    },
    get accepted() {
      return stats.accepted
    },
  }
}
