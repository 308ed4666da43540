// The terminal's WebSocket to a sandbox TTY: bytes both ways, resize messages, reconnection with backoff.
// Kept free of xterm.js and Vue so it runs (and is tested) in Node against a real WebSocket server.
import type { Lang } from '../../core/i18n.ts'
import { CLOSE, WS, type TerminalControlMessage } from '../../core/lab-protocol.ts'
import { wsUrl, type OriginLike } from './lab-client.ts'

/** The part of the browser WebSocket API this module uses; the `ws` package's client implements it too. */
export interface WebSocketLike {
  binaryType: string
  readonly readyState: number
  onopen: ((ev: unknown) => void) | null
  onmessage: ((ev: { data: unknown }) => void) | null
  onclose: ((ev: { code: number; reason?: string }) => void) | null
  onerror: ((ev: unknown) => void) | null
  send(data: string | ArrayBufferView | ArrayBuffer): void
  close(code?: number, reason?: string): void
}
export type WebSocketFactory = (url: string) => WebSocketLike

const OPEN = 1

export interface BackoffOptions {
  readonly baseMs: number
  readonly maxMs: number
  /** 0..1: share of the delay drawn at random, so many tabs do not reconnect in lockstep. */
  readonly jitter: number
}
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 15_000, jitter: 0.2 }

/** Delay before reconnection attempt number `attempt` (0-based): doubling from baseMs, capped at maxMs. */
export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const raw = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, Math.min(attempt, 30)))
  const spread = raw * opts.jitter
  return Math.round(raw - spread + random() * spread)
}

/**
 * connecting/reconnecting: a socket is being opened (or will be after a delay); open: bytes flow;
 * exited: the shell ended; unauthorized and lab-down: retrying alone cannot help, the learner must act;
 * closed: the component was unmounted.
 */
export type TerminalState = 'connecting' | 'open' | 'reconnecting' | 'exited' | 'unauthorized' | 'lab-down' | 'closed'

export interface TerminalConnectionOptions {
  readonly origin: OriginLike
  readonly token: string | null
  readonly service: string
  readonly lab?: string
  readonly cols: number
  readonly rows: number
  readonly createSocket: WebSocketFactory
  readonly onData: (data: Uint8Array | string) => void
  readonly onState: (state: TerminalState, detail: { attempt: number; retryInMs?: number }) => void
  readonly backoff?: BackoffOptions
  readonly random?: () => number
  /** How long the lab-down state waits before trying again (the learner may start the lab from another slide). */
  readonly labDownRetryMs?: number
  /** Terminal id sent as `tid` (default: random per connection object). */
  readonly tid?: string
}

/** 128 random bits, base64url; getRandomValues works on plain-HTTP pages too (randomUUID does not). */
function randomId(): string {
  const b = new Uint8Array(16)
  globalThis.crypto.getRandomValues(b)
  let s = ''
  for (const x of b) s += String.fromCharCode(x)
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

export class TerminalConnection {
  private socket: WebSocketLike | null = null
  private attempt = 0
  private timer: ReturnType<typeof setTimeout> | null = null
  private cols: number
  private rows: number
  private stopped = false
  private readonly encoder = new TextEncoder()
  /** This terminal's id: a reconnection within a few minutes gets the same shell back (labs/terminal-keeper.ts). */
  readonly tid: string

  constructor(private readonly opts: TerminalConnectionOptions) {
    this.cols = opts.cols
    this.rows = opts.rows
    this.tid = opts.tid ?? randomId()
  }

  get url(): string {
    const params: Record<string, string | number> = { service: this.opts.service, cols: this.cols, rows: this.rows, tid: this.tid }
    if (this.opts.lab) params.lab = this.opts.lab
    return wsUrl(this.opts.origin, WS.terminal, params, this.opts.token)
  }

  start(): void {
    this.stopped = false
    this.clearTimer()
    this.open('connecting')
  }

  /** Keystrokes from the terminal; dropped while disconnected (a shell would not get them anyway). */
  write(data: string): void {
    if (this.socket?.readyState === OPEN) this.socket.send(this.encoder.encode(data))
  }

  resize(cols: number, rows: number): void {
    if (cols === this.cols && rows === this.rows) return
    this.cols = cols
    this.rows = rows
    if (this.socket?.readyState === OPEN) {
      const msg: TerminalControlMessage = { type: 'resize', cols, rows }
      this.socket.send(JSON.stringify(msg))
    }
  }

  /** Learner-requested reconnection (after an exit, or to skip the backoff wait). */
  reconnectNow(): void {
    this.attempt = 0
    this.dropSocket()
    this.start()
  }

  stop(): void {
    this.stopped = true
    this.clearTimer()
    this.dropSocket()
    this.opts.onState('closed', { attempt: this.attempt })
  }

  private open(state: 'connecting' | 'reconnecting'): void {
    this.opts.onState(state, { attempt: this.attempt })
    let socket: WebSocketLike
    try {
      socket = this.opts.createSocket(this.url)
    } catch {
      this.scheduleRetry()
      return
    }
    socket.binaryType = 'arraybuffer'
    this.socket = socket
    socket.onopen = () => {
      if (socket !== this.socket) return
      this.attempt = 0
      this.opts.onState('open', { attempt: 0 })
    }
    socket.onmessage = (ev) => {
      if (socket !== this.socket) return
      const d = ev.data
      if (typeof d === 'string') this.opts.onData(d)
      else if (d instanceof ArrayBuffer) this.opts.onData(new Uint8Array(d))
      else if (ArrayBuffer.isView(d)) this.opts.onData(new Uint8Array(d.buffer, d.byteOffset, d.byteLength))
    }
    socket.onerror = () => { /* a close event always follows; decisions are taken there */ }
    socket.onclose = (ev) => {
      if (socket !== this.socket) return
      this.socket = null
      if (this.stopped) return
      if (ev.code === CLOSE.unauthorized) { this.opts.onState('unauthorized', { attempt: this.attempt }); return }
      if (ev.code === CLOSE.shellExited) { this.opts.onState('exited', { attempt: this.attempt }); return }
      if (ev.code === CLOSE.labNotUp) {
        const retryInMs = this.opts.labDownRetryMs ?? 5_000
        this.opts.onState('lab-down', { attempt: this.attempt, retryInMs })
        this.timer = setTimeout(() => { this.timer = null; if (!this.stopped) this.open('connecting') }, retryInMs)
        return
      }
      this.scheduleRetry()
    }
  }

  private scheduleRetry(): void {
    const retryInMs = backoffDelay(this.attempt, this.opts.backoff, this.opts.random)
    this.attempt += 1
    this.opts.onState('reconnecting', { attempt: this.attempt, retryInMs })
    this.timer = setTimeout(() => {
      this.timer = null
      if (!this.stopped) this.open('reconnecting')
    }, retryInMs)
  }

  private dropSocket(): void {
    const s = this.socket
    this.socket = null
    if (s) {
      s.onopen = s.onmessage = s.onclose = s.onerror = null
      try { s.close(1000) } catch { /* already closing */ }
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }
}

/** French status line under the terminal, for every state. */
export function terminalStatusText(state: TerminalState, detail: { attempt: number; retryInMs?: number }, lang: Lang = 'fr'): string {
  const en = lang === 'en'
  switch (state) {
    case 'connecting': return en ? 'Connecting to the terminal…' : 'Connexion au terminal…'
    case 'open': return en ? 'Connected' : 'Connecté'
    case 'reconnecting': {
      const s = detail.retryInMs !== undefined ? Math.max(1, Math.round(detail.retryInMs / 1000)) : undefined
      if (en) return s !== undefined ? `Connection lost — retrying in ${s} s (attempt ${detail.attempt})` : `Reconnecting… (attempt ${detail.attempt})`
      return s !== undefined ? `Connexion perdue — nouvelle tentative dans ${s} s (essai ${detail.attempt})` : `Reconnexion… (essai ${detail.attempt})`
    }
    case 'exited': return en ? 'The shell ended. Click “New shell” to open another one.' : 'Le shell s’est terminé. Cliquez sur « Nouveau shell » pour en ouvrir un autre.'
    case 'unauthorized': return en ? 'Token refused: reopen the course with the address “npm start” prints.' : 'Jeton refusé : rouvrez le cours avec l’adresse affichée par « npm start ».'
    case 'lab-down': return en
      ? 'The lab is not started: start it with the “Start” button (LabStatus); the terminal will connect by itself.'
      : 'Le lab n’est pas démarré : lancez-le avec le bouton « Démarrer » (LabStatus) ; le terminal se connectera tout seul.'
    case 'closed': return en ? 'Terminal closed' : 'Terminal fermé'
  }
}

/** The terminal's buttons and waiting line, in both languages. */
export const TERMINAL_TEXTS = {
  retry: { fr: 'Réessayer', en: 'Retry' },
  newShell: { fr: 'Nouveau shell', en: 'New shell' },
  reconnect: { fr: 'Reconnecter', en: 'Reconnect' },
  connecting: { fr: 'connexion au lab…', en: 'connecting to the lab…' },
} as const
