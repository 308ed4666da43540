// The terminal's WebSocket logic against a real WebSocket server on loopback.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { backoffDelay, TerminalConnection, terminalStatusText, type TerminalState, type WebSocketLike } from './terminal-connection.ts'
import { CLOSE } from '../../core/lab-protocol.ts'
import { startFakeLabServer, type FakeLabServer } from './fake-lab-server.ts'

const createSocket = (url: string): WebSocketLike => new WebSocket(url) as unknown as WebSocketLike

function until(pred: () => boolean, ms = 3_000): Promise<void> {
  const t0 = Date.now()
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (pred()) resolve()
      else if (Date.now() - t0 > ms) reject(new Error('condition not met in time'))
      else setTimeout(tick, 5)
    }
    tick()
  })
}

describe('reconnection backoff', () => {
  it('doubles from the base delay and stops growing at the cap', () => {
    const opts = { baseMs: 500, maxMs: 15_000, jitter: 0 }
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((a) => backoffDelay(a, opts))).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000])
  })

  it('takes at most the jitter share off the delay', () => {
    const opts = { baseMs: 1000, maxMs: 10_000, jitter: 0.2 }
    expect(backoffDelay(0, opts, () => 0)).toBe(800)
    expect(backoffDelay(0, opts, () => 0.999999)).toBe(1000)
  })
})

describe('a terminal connection', () => {
  let srv: FakeLabServer
  let conn: TerminalConnection | null = null
  beforeEach(async () => { srv = await startFakeLabServer() })
  afterEach(async () => { conn?.stop(); conn = null; await srv.close() })

  function connect(onData: (d: Uint8Array | string) => void, states: TerminalState[]): TerminalConnection {
    conn = new TerminalConnection({
      origin: srv.origin, token: 'tok', service: 'toolbox', lab: 'postfix', cols: 100, rows: 30, createSocket,
      onData, onState: (s) => states.push(s), backoff: { baseMs: 20, maxMs: 80, jitter: 0 }, labDownRetryMs: 30,
    })
    conn.start()
    return conn
  }

  it('asks for the service, lab, size and token in its URL, and relays bytes both ways', async () => {
    const upstream: Array<{ data: Buffer; binary: boolean }> = []
    srv.ws = (socket) => {
      socket.on('message', (data: Buffer, isBinary: boolean) => {
        upstream.push({ data, binary: isBinary })
        if (isBinary) socket.send(Buffer.concat([Buffer.from('echo:'), data]))
      })
    }
    const received: string[] = []
    const states: TerminalState[] = []
    const c = connect((d) => received.push(typeof d === 'string' ? d : new TextDecoder().decode(d)), states)
    await until(() => states.includes('open'))
    const url = srv.wsUrls[0]
    expect(url?.pathname).toBe('/ws/terminal')
    const { tid, ...rest } = Object.fromEntries(url?.searchParams ?? [])
    expect(rest).toEqual({ service: 'toolbox', lab: 'postfix', cols: '100', rows: '30', token: 'tok' })
    expect(tid).toMatch(/^[A-Za-z0-9_-]{22}$/)
    c.write('postconf mail_version\r')
    await until(() => received.join('').includes('echo:postconf mail_version\r'))
    expect(upstream[0]?.binary).toBe(true)
  })

  it('sends a resize as a JSON text frame, and only when the size changed', async () => {
    const texts: string[] = []
    srv.ws = (socket) => socket.on('message', (d: Buffer, isBinary: boolean) => { if (!isBinary) texts.push(d.toString()) })
    const states: TerminalState[] = []
    const c = connect(() => {}, states)
    await until(() => states.includes('open'))
    c.resize(100, 30)
    c.resize(120, 40)
    await until(() => texts.length === 1)
    expect(JSON.parse(texts[0] ?? '')).toEqual({ type: 'resize', cols: 120, rows: 40 })
    expect(c.url).toContain('cols=120')
  })

  it('reconnects with backoff after the server drops the connection', async () => {
    let n = 0
    srv.ws = (socket) => { n += 1; if (n === 1) socket.close(1011, 'bridge crashed'); else socket.send('bonjour') }
    const states: TerminalState[] = []
    const got: string[] = []
    connect((d) => got.push(String(d)), states)
    await until(() => got.includes('bonjour'))
    expect(srv.wsUrls.length).toBe(2)
    expect(states).toEqual(['connecting', 'open', 'reconnecting', 'reconnecting', 'open'])
  })

  it('stops retrying when the server refuses the token', async () => {
    srv.ws = (socket) => socket.close(CLOSE.unauthorized, 'bad token')
    const states: TerminalState[] = []
    connect(() => {}, states)
    await until(() => states.includes('unauthorized'))
    await new Promise((r) => setTimeout(r, 150))
    expect(srv.wsUrls.length).toBe(1)
  })

  it('offers a new shell, without looping, when the shell exits', async () => {
    srv.ws = (socket) => socket.close(CLOSE.shellExited, 'exit')
    const states: TerminalState[] = []
    const c = connect(() => {}, states)
    await until(() => states.includes('exited'))
    await new Promise((r) => setTimeout(r, 100))
    expect(srv.wsUrls.length).toBe(1)
    c.reconnectNow()
    await until(() => srv.wsUrls.length === 2)
  })

  it('waits and tries again while the lab is not started', async () => {
    let n = 0
    srv.ws = (socket) => { n += 1; if (n < 3) socket.close(CLOSE.labNotUp, 'no sandbox') }
    const states: TerminalState[] = []
    connect(() => {}, states)
    // The server accepts each socket, then closes the first two with 4404: the third one stays.
    await until(() => srv.wsUrls.length === 3 && states.at(-1) === 'open')
    expect(states.filter((s) => s === 'lab-down').length).toBe(2)
    expect(states).not.toContain('reconnecting')
  })
})

describe('the status line under the terminal', () => {
  it('tells in French when the next attempt happens', () => {
    expect(terminalStatusText('reconnecting', { attempt: 2, retryInMs: 4000 })).toBe('Connexion perdue — nouvelle tentative dans 4 s (essai 2)')
  })
})
