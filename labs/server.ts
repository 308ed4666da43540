// The lab runtime's HTTP(S) + WebSocket server: decks, each learner's sandbox, terminals, check runs and progress.
// One learner on loopback (`start`), or a whole class (`class start`: Host/Origin checks, cookies, instructor role).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import type { WebSocket } from 'ws'
import type { Lang } from '../core/i18n.ts'
import type { LabName } from '../core/labs.ts'
import { CLOSE, PAGES, WS } from '../core/lab-protocol.ts'
import { cookieValue, hostAllowed, originAllowed, SESSION_COOKIE, sessionCookie, type HostPolicy } from './access.ts'
import { apiRoutes, type Principal, type RequestContext } from './api-routes.ts'
import { plausibleToken, presentedToken } from './auth.ts'
import { CheckRuns } from './check-runs.ts'
import type { ExerciseCatalog } from './exercise-catalog.ts'
import { ApiError, requestLang, sendError } from './http-util.ts'
import { LabController, type SandboxEngine, type SandboxGate } from './lab-controller.ts'
import type { Learner, ProgressStore } from './progress-store.ts'
import { RouteTable, type Route } from './routes.ts'
import { rawPathOf, safeSegments, serveDeck } from './static-files.ts'
import { bridgeTerminal, clampSize, SERVICE_NAME, type Tty } from './terminal-bridge.ts'
import { DEFAULT_GRACE_MS, TERMINAL_ID, TerminalKeeper } from './terminal-keeper.ts'

export { progressOf, type Principal, type RequestContext } from './api-routes.ts'

export const DEFAULT_PORT = 4173
export const DEFAULT_HOST = '127.0.0.1'
const WS_MAX_PAYLOAD = 1024 * 1024
const PING_EVERY_MS = 30_000

/** Class mode: many learners and an instructor reach the server over the network. */
export interface ClassroomOptions {
  /** Names and addresses the server answers for (Host and Origin checks); the port and scheme are the server's. */
  readonly hostNames: ReadonlySet<string>
  /** Whether a token is the instructor's (constant time). */
  isInstructor(token: string): boolean
  /** More routes (the class view's API), looked up after the server's own. */
  readonly routes?: (deps: { labFor(learner: Learner): LabController }) => Route<RequestContext>[]
  /** WebSocket endpoints of the class view (/ws/class): the socket is already authenticated. */
  readonly sockets?: Readonly<Record<string, (ws: WebSocket, principal: Principal, url: URL) => void>>
  /** A learner joined through their link (e.g. start their sandbox). */
  onJoin?(learner: Learner): void
}

export interface LabServerOptions {
  readonly host?: string
  /** 0 picks a free port. */
  readonly port?: number
  readonly store: ProgressStore
  /** null: no sandboxes (deck viewing, `--no-sandbox`). */
  readonly engine: SandboxEngine | null
  readonly catalog: ExerciseCatalog
  /** Built decks: <distDir>/<deck>/index.html. */
  readonly distDir: string
  /** Opens a TTY in a container; required for terminals. */
  readonly openTty?: (container: string, size: { cols: number; rows: number }) => Promise<Tty>
  readonly defaultLab?: LabName
  readonly version?: string
  /** Admission of sandboxes (class mode): past its limit, learners wait for a free place. */
  readonly gate?: SandboxGate
  /** How long a terminal whose browser went away keeps its shell for the same tab's reconnection. */
  readonly terminalGraceMs?: number
  /** HTTPS with this certificate (class mode off loopback). */
  readonly tls?: { readonly cert: string; readonly key: string }
  readonly classroom?: ClassroomOptions
  /** Extra pages: return true when the request was answered. Looked up before the route table. */
  readonly pages?: (req: IncomingMessage, res: ServerResponse, url: URL, ctx: PageContext) => boolean | Promise<boolean>
  readonly log?: (line: string) => void
}

export interface PageContext {
  readonly store: ProgressStore
  /** The learner behind the request's credential, or null. */
  readonly learner: Learner | null
  readonly lang: Lang
}

export interface LabServer {
  readonly server: Server
  readonly host: string
  readonly port: number
  /** Base URL, e.g. http://127.0.0.1:4173 */
  readonly origin: string
  readonly runs: CheckRuns
  labFor(learner: Learner): LabController
  close(): Promise<void>
}

const unauthorized = (): ApiError =>
  new ApiError(401, 'unauthorized', {
    fr: 'Jeton absent ou refusé : ouvrez le cours avec l’adresse complète affichée par « npm start » (ou votre lien d’accès).',
    en: 'Missing or wrong token: open the course with the full address printed by `npm start` (or your join link).',
  })

const forbidden = (): ApiError =>
  new ApiError(403, 'forbidden', {
    fr: 'Réservé au formateur : votre accès d’apprenant ne l’ouvre pas.',
    en: 'Instructor only: your learner access does not open it.',
  })

const misdirected = (): ApiError =>
  new ApiError(421, 'misdirected', {
    fr: 'Ce serveur ne répond pas sous ce nom d’hôte : utilisez l’adresse donnée par le formateur.',
    en: 'This server does not answer under that host name: use the address the instructor gave.',
  })

const badOrigin = (): ApiError =>
  new ApiError(403, 'bad_origin', { fr: 'Requête d’un autre site refusée.', en: 'Cross-site request refused.' })

function joinPage(target: string): string {
  // A same-origin navigation from this page, not a redirect: the SameSite=Strict cookie then goes with it even when
  // the join link was opened from another site (a mail, a chat), and replace() drops the token from history.
  const t = JSON.stringify(target)
  return `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>smtp-tls-lab</title></head>
<body><p>Connexion… <a href=${t}>continuer</a></p><script>location.replace(${t})</script></body></html>`
}

export async function startLabServer(opts: LabServerOptions): Promise<LabServer> {
  const host = opts.host ?? DEFAULT_HOST
  const log = opts.log ?? (() => {})
  const { store, catalog } = opts
  const classroom = opts.classroom ?? null
  const runs = new CheckRuns(store, catalog.grade)
  const labs = new Map<string, LabController>()
  const labFor = (learner: Learner): LabController => {
    let c = labs.get(learner.id)
    if (!c) labs.set(learner.id, (c = new LabController(learner.session, opts.engine, opts.defaultLab ?? 'postfix', opts.gate ?? null)))
    return c
  }
  // Filled once listening (port 0 picks the port).
  let policy: HostPolicy | null = null

  /** Header, then cookie, then `?token=` (outside class mode only: there the join link is the only place for it). */
  const identify = (req: IncomingMessage, url: URL): Principal | null => {
    const header = presentedToken(req, classroom ? new URL('http://x/') : url)
    const token = header ?? cookieValue(req, SESSION_COOKIE)
    if (token === null || !plausibleToken(token)) return null
    if (classroom?.isInstructor(token)) return { role: 'instructor' }
    const learner = store.learnerForToken(token)
    return learner ? { role: 'learner', learner } : null
  }

  const table = new RouteTable<RequestContext>([
    ...apiRoutes({
      store, catalog, runs, distDir: opts.distDir, defaultLab: opts.defaultLab ?? 'postfix', classMode: classroom !== null,
      labFor, log, ...(opts.version ? { version: opts.version } : {}),
    }),
    ...(classroom?.routes?.({ labFor }) ?? []),
  ])

  const allowed = (route: Route<RequestContext>, who: Principal | null): void => {
    if (route.access === 'public') return
    if (!who) throw unauthorized()
    if (route.access === 'learner' && who.role !== 'learner') throw forbidden()
    // One learner on their own machine is their own instructor; in a class only the instructor role is.
    if (route.access === 'instructor' && classroom && who.role !== 'instructor') throw forbidden()
  }

  function join(res: ServerResponse, url: URL): void {
    const token = url.searchParams.get('token') ?? ''
    const who = plausibleToken(token) ? identify({ headers: { authorization: `Bearer ${token}` } } as IncomingMessage, url) : null
    if (!who) throw unauthorized()
    if (who.role === 'learner') classroom?.onJoin?.(who.learner)
    const html = joinPage(who.role === 'instructor' ? PAGES.instructor : '/')
    res.writeHead(200, {
      'set-cookie': sessionCookie(token, { secure: policy?.scheme === 'https' }),
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(html),
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    })
    res.end(html)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/'
    const url = new URL(rawUrl.startsWith('/') ? rawUrl : '/', 'http://lab.invalid')
    const lang = requestLang(req, url)
    const segs = safeSegments(rawPathOf(rawUrl))
    try {
      if (policy && !hostAllowed(req, policy)) throw misdirected()
      if (policy && !originAllowed(req, policy)) throw badOrigin()
      if (segs === null) throw new ApiError(400, 'bad_path', { fr: 'Chemin de requête refusé.', en: 'Request path refused.' })
      const method = req.method ?? 'GET'
      if (classroom && url.pathname === PAGES.join && (method === 'GET' || method === 'HEAD')) return join(res, url)
      const principal = identify(req, url)
      if (opts.pages && segs[0] !== 'api') {
        const learner = principal?.role === 'learner' ? principal.learner : null
        if (await opts.pages(req, res, url, { store, learner, lang })) return
      }
      const m = table.match(method, segs)
      if (m.kind === 'found') {
        allowed(m.route, principal)
        return await m.route.handle({ req, res, url, lang, principal }, m.params)
      }
      if (m.kind === 'method') {
        throw new ApiError(405, 'method_not_allowed', {
          fr: `Méthode non autorisée ici (autorisée : ${m.allowed}).`,
          en: `Method not allowed here (allowed: ${m.allowed}).`,
        })
      }
      if (segs[0] === 'decks' && (method === 'GET' || method === 'HEAD')) return serveDeck(req, res, opts.distDir, segs.slice(1))
      throw new ApiError(404, 'not_found', { fr: `Introuvable : ${url.pathname}`, en: `Not found: ${url.pathname}` })
    } catch (err) {
      if (err instanceof ApiError) {
        if (err.status === 401) res.setHeader('www-authenticate', 'Bearer realm="smtp-tls-lab"')
        return sendError(res, err, lang)
      }
      log(`error on ${req.method} ${url.pathname}: ${(err as Error).stack ?? String(err)}`)
      sendError(
        res,
        new ApiError(500, 'internal', {
          fr: `Erreur interne du serveur du lab : ${(err as Error).message}`,
          en: `Lab server internal error: ${(err as Error).message}`,
        }),
        lang,
      )
    }
  }

  // ---- WebSockets ----

  // ws loads when a server starts, not with every command.
  const { WebSocketServer } = await import('ws')
  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD, perMessageDeflate: false })
  const keeper = new TerminalKeeper(opts.terminalGraceMs ?? DEFAULT_GRACE_MS)
  let closing = false
  const alive = new WeakSet<WebSocket>()

  function watchChecks(ws: WebSocket, learner: Learner, url: URL): void {
    const runId = Number(url.searchParams.get('run'))
    const unsubscribe = Number.isSafeInteger(runId)
      ? runs.watch(learner.id, runId, (msg) => {
          if (ws.readyState !== ws.OPEN) return
          ws.send(JSON.stringify(msg))
          if (msg.type === 'done') ws.close(1000, 'done')
        })
      : null
    if (!unsubscribe) return ws.close(CLOSE.labNotUp, 'unknown run')
    ws.on('close', unsubscribe)
  }

  async function openTerminal(ws: WebSocket, learner: Learner, url: URL): Promise<void> {
    const lab = labFor(learner)
    if (lab.enabled) await lab.wake()
    const service = url.searchParams.get('service') ?? 'toolbox'
    const wantedLab = url.searchParams.get('lab')
    const handle = lab.current()
    const info = lab.info()
    if (!lab.enabled || !handle || !opts.openTty) return ws.close(CLOSE.labNotUp, 'lab not up')
    if (wantedLab && wantedLab !== info.lab) return ws.close(CLOSE.labNotUp, `lab ${wantedLab} not up`)
    if (!SERVICE_NAME.test(service) || !info.services.some((s) => s.name === service)) {
      return ws.close(CLOSE.labNotUp, `no service ${service.slice(0, 40)}`)
    }
    const size = clampSize(url.searchParams.get('cols'), url.searchParams.get('rows'))
    // The tab's terminal id: its shell survives a dropped connection and the same tab takes it back. Scoped by
    // learner and sandbox session, so no one else's id (nor a reset sandbox's shell) can ever be taken.
    const tid = url.searchParams.get('tid')
    const key = tid !== null && TERMINAL_ID.test(tid) ? `${learner.id}/${lab.session}/${info.lab}/${service}/${tid}` : null
    const kept = key ? keeper.take(key) : null
    // Keystrokes typed while the exec starts are kept and replayed, not lost.
    const early: [Buffer, boolean][] = []
    const hold = (d: Buffer, isBinary: boolean): void => void early.push([d, isBinary])
    ws.on('message', hold)
    let tty: Tty
    if (kept) {
      tty = kept.tty
      await tty.resize(size.cols, size.rows).catch(() => undefined)
    } else {
      try {
        tty = await opts.openTty(lab.engine!.containerName(lab.session, service), size)
      } catch (err) {
        log(`terminal ${service}: ${String(err)}`)
        return ws.close(1011, 'could not open a shell')
      }
    }
    ws.off('message', hold)
    if (ws.readyState !== ws.OPEN) return key && !closing ? keeper.keep(key, tty) : tty.close()
    if (kept && kept.output.length > 0) ws.send(kept.output, { binary: true })
    bridgeTerminal(ws, tty, {
      keepOnClientClose: key !== null,
      onClose: (why) => {
        if (why !== 'client-closed' || !key) return
        if (closing) tty.close()
        else keeper.keep(key, tty)
      },
    })
    // Typing is activity: the idle sweep leaves this sandbox alone, and a frozen one thaws at the first key.
    ws.on('message', () => void lab.wake().catch(() => undefined))
    for (const [d, isBinary] of early) ws.emit('message', d, isBinary)
  }

  const refuseUpgrade = (socket: Socket, status: string): void =>
    void socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)

  function upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const rawUrl = req.url ?? '/'
    const url = new URL(rawUrl.startsWith('/') ? rawUrl : '/', 'http://lab.invalid')
    const route = url.pathname
    // Checked before the handshake: a cross-site page never gets a socket carrying a learner's cookie.
    if (policy && !hostAllowed(req, policy)) return refuseUpgrade(socket, '421 Misdirected Request')
    if (policy && !originAllowed(req, policy)) return refuseUpgrade(socket, '403 Forbidden')
    const extra = classroom?.sockets?.[route]
    if (route !== WS.checks && route !== WS.terminal && !extra) return refuseUpgrade(socket, '404 Not Found')
    wss.handleUpgrade(req, socket, head, (ws) => {
      alive.add(ws)
      ws.on('pong', () => alive.add(ws))
      ws.on('error', () => undefined)
      const who = identify(req, url)
      // The page needs the close code to tell "wrong token" (do not retry) from a network problem.
      if (!who) return ws.close(CLOSE.unauthorized, 'unauthorized')
      if (extra) return extra(ws, who, url)
      if (who.role !== 'learner') return ws.close(CLOSE.unauthorized, 'learners only')
      if (route === WS.checks) return watchChecks(ws, who.learner, url)
      openTerminal(ws, who.learner, url).catch((err: unknown) => {
        log(`terminal: ${String(err)}`)
        ws.close(1011, 'terminal error')
      })
    })
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => void handle(req, res)
  const server: Server = opts.tls ? (createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, onRequest) as unknown as Server) : createServer(onRequest)
  server.headersTimeout = 20_000
  server.requestTimeout = 10 * 60_000
  server.on('upgrade', upgrade)
  server.on('clientError', (_err, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
  })

  const pinger = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) {
        ws.terminate()
        continue
      }
      alive.delete(ws)
      ws.ping()
    }
  }, PING_EVERY_MS)
  pinger.unref()

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? DEFAULT_PORT, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const scheme = opts.tls ? 'https' : 'http'
  if (classroom) policy = { names: classroom.hostNames, port, scheme }
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host

  return {
    server,
    host,
    port,
    origin: `${scheme}://${shownHost}:${port}`,
    runs,
    labFor,
    async close() {
      closing = true
      clearInterval(pinger)
      runs.abortAll()
      for (const ws of wss.clients) ws.terminate()
      keeper.closeAll()
      wss.close()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}
