// The lab runtime's HTTP + WebSocket server: decks, the learner's sandbox, terminals, check runs and progress.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { WebSocket } from 'ws'
import type { LabName } from '../checker/sandbox-handle.ts'
import type { Lang } from '../checker/types.ts'
import {
  API,
  CLOSE,
  TOKEN_STORAGE_KEY,
  WS,
  type CheckRunStarted,
  type ExerciseSummary,
  type HealthResponse,
  type LabInfo,
} from '../slides/addon-lab/lab-protocol.ts'
import { plausibleToken, presentedToken } from './auth.ts'
import { attemptPassed, CheckRuns } from './check-runs.ts'
import type { ExerciseCatalog } from './exercise-catalog.ts'
import { classReport, gradesCsv, instructorPage } from './instructor.ts'
import { ApiError, readJsonBody, requestLang, sendError, sendJson, sendText } from './http-util.ts'
import { isLabName, LabController, type SandboxEngine } from './lab-controller.ts'
import type { Attempt, Learner, ProgressStore } from './progress-store.ts'
import { indexPage, listDecks, rawPathOf, safeSegments, serveDeck } from './static-files.ts'
import { bridgeTerminal, clampSize, SERVICE_NAME, type Tty } from './terminal-bridge.ts'

export const DEFAULT_PORT = 4173
export const DEFAULT_HOST = '127.0.0.1'
/** POST /api/lab/* waits this long for the sandbox before answering with its state (the page polls after). */
const LAB_OP_WAIT_MS = 12_000
const WS_MAX_PAYLOAD = 1024 * 1024
const PING_EVERY_MS = 30_000

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
  /** Extra pages (the instructor page): return true when the request was answered. */
  readonly pages?: (req: IncomingMessage, res: ServerResponse, url: URL, ctx: PageContext) => boolean | Promise<boolean>
  readonly log?: (line: string) => void
}

export interface PageContext {
  readonly store: ProgressStore
  /** The learner behind the request's token, or null (no or wrong token). */
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
    fr: 'Jeton absent ou refusé : ouvrez le cours avec l’adresse complète affichée par « npm start » (elle contient ?token=…).',
    en: 'Missing or wrong token: open the course with the full address printed by `npm start` (it holds ?token=…).',
  })

const sandboxDisabled = (): ApiError =>
  new ApiError(409, 'sandbox_disabled', {
    fr: 'Ce serveur tourne sans bac à sable (serve / --no-sandbox) : relancez-le avec « npm start » pour avoir le lab.',
    en: 'This server runs without sandboxes (serve / --no-sandbox): restart it with `npm start` to get the lab.',
  })

const methodNotAllowed = (allowed: string): ApiError =>
  new ApiError(405, 'method_not_allowed', {
    fr: `Méthode non autorisée ici (autorisée : ${allowed}).`,
    en: `Method not allowed here (allowed: ${allowed}).`,
  })

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => resolve(undefined), ms)
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e)),
    )
  })
}

/** Summary of a learner's progress per exercise, plus every attempt with its results. */
export function progressOf(learner: Learner, attempts: readonly Attempt[]) {
  const exercises: Record<string, { attempts: number; last: Attempt['status']; lastSummary: Attempt['summary']; passed: boolean }> = {}
  for (const a of attempts) {
    const complete = attemptPassed(a)
    const prev = exercises[a.exercise]
    exercises[a.exercise] = {
      attempts: (prev?.attempts ?? 0) + 1,
      last: a.status,
      lastSummary: a.summary,
      passed: (prev?.passed ?? false) || complete,
    }
  }
  return { learner: { id: learner.id, name: learner.name }, exercises, attempts }
}

export async function startLabServer(opts: LabServerOptions): Promise<LabServer> {
  const host = opts.host ?? DEFAULT_HOST
  const log = opts.log ?? (() => {})
  const { store, catalog } = opts
  const runs = new CheckRuns(store, catalog.grade)
  const labs = new Map<string, LabController>()
  const labFor = (learner: Learner): LabController => {
    let c = labs.get(learner.id)
    if (!c) labs.set(learner.id, (c = new LabController(learner.session, opts.engine, opts.defaultLab ?? 'postfix')))
    return c
  }

  const authenticate = (req: IncomingMessage, url: URL): Learner | null => {
    const token = presentedToken(req, url)
    return token !== null && plausibleToken(token) ? store.learnerForToken(token) : null
  }

  const labInfo = async (lab: LabController): Promise<LabInfo & { sandboxEnabled: boolean }> => {
    const info = lab.enabled ? await lab.refresh() : lab.info()
    return { ...info, sandboxEnabled: lab.enabled }
  }

  const labOp = async (res: ServerResponse, lab: LabController, op: Promise<LabInfo>, url: URL): Promise<void> => {
    const waitParam = Number(url.searchParams.get('wait'))
    const wait = Number.isFinite(waitParam) && waitParam >= 0 && url.searchParams.has('wait') ? Math.min(waitParam, 600_000) : LAB_OP_WAIT_MS
    op.catch((err: unknown) => log(`lab operation failed: ${String(err)}`))
    await withTimeout(op, wait).catch(() => undefined)
    sendJson(res, 200, await labInfo(lab))
  }

  async function api(req: IncomingMessage, res: ServerResponse, url: URL, segs: string[], lang: Lang): Promise<void> {
    const method = req.method ?? 'GET'
    const only = (m: string): void => {
      if (method !== m && !(m === 'GET' && method === 'HEAD')) throw methodNotAllowed(m)
    }
    // segs[0] === 'api'
    const route = segs.slice(1)
    if (route.length === 1 && route[0] === 'health') {
      only('GET')
      const body: HealthResponse = { ok: true, ...(opts.version ? { version: opts.version } : {}) }
      return sendJson(res, 200, body)
    }
    const learner = authenticate(req, url)
    if (!learner) {
      res.setHeader('www-authenticate', 'Bearer realm="smtp-tls-lab"')
      throw unauthorized()
    }
    const lab = labFor(learner)
    const [a, b, c, ...more] = route
    if (a === 'lab' && b === undefined) {
      only('GET')
      return sendJson(res, 200, await labInfo(lab))
    }
    if (a === 'lab' && (b === 'up' || b === 'down' || b === 'reset') && c === undefined) {
      only('POST')
      const body = (await readJsonBody(req)) as { lab?: unknown }
      if (!lab.enabled) throw sandboxDisabled()
      if (b === 'up') {
        const wanted = body.lab ?? lab.info().lab ?? lab.defaultLab
        if (!isLabName(wanted)) {
          throw new ApiError(400, 'bad_lab', {
            fr: `Lab inconnu « ${String(wanted)} » : choisissez postfix ou exim.`,
            en: `Unknown lab "${String(wanted)}": choose postfix or exim.`,
          })
        }
        return labOp(res, lab, lab.up(wanted), url)
      }
      return labOp(res, lab, b === 'down' ? lab.down() : lab.reset(), url)
    }
    if (a === 'exercises' && b === undefined) {
      only('GET')
      const list: ExerciseSummary[] = catalog.list().map((e) => ({ id: e.id, lab: e.lab, title: e.title }))
      return sendJson(res, 200, list)
    }
    if (a === 'exercises' && b !== undefined && more.length === 0) {
      const ex = catalog.get(b)
      if (!ex) {
        throw new ApiError(404, 'unknown_exercise', { fr: `Exercice inconnu « ${b} ».`, en: `Unknown exercise "${b}".` })
      }
      if (c === undefined) {
        only('GET')
        const attempts = store.listAttempts(learner.id, ex.id)
        return sendJson(res, 200, {
          id: ex.id,
          lab: ex.lab,
          title: ex.title,
          text: await ex.text(lang),
          lang,
          hints: ex.hints,
          checks: ex.checks,
          submission: ex.submission,
          attempts: attempts.map((t) => ({ id: t.id, status: t.status, startedAt: t.startedAt, finishedAt: t.finishedAt, summary: t.summary })),
        })
      }
      if (c === 'check' || c === 'setup') {
        only('POST')
        await readJsonBody(req)
        if (!lab.enabled) throw sandboxDisabled()
        const handle = lab.current()
        const info = lab.info()
        if (!handle || info.lab !== ex.lab) {
          throw new ApiError(409, 'lab_not_up', {
            fr: `Le lab ${ex.lab} doit être démarré pour cet exercice (état actuel : ${info.lab ?? 'aucun'} ${info.state}).`,
            en: `The ${ex.lab} lab must be up for this exercise (now: ${info.lab ?? 'none'} ${info.state}).`,
          })
        }
        if (c === 'setup') {
          if (!catalog.setup) throw new ApiError(501, 'no_setup', { fr: 'Mise en place indisponible.', en: 'Setup unavailable.' })
          const t0 = Date.now()
          try {
            await catalog.setup(ex.id, handle)
          } catch (err) {
            throw new ApiError(500, 'setup_failed', {
              fr: `La mise en place de l’exercice a échoué (problème du lab, pas de votre fait) : ${(err as Error).message}`,
              en: `The exercise setup failed (a lab problem, not yours): ${(err as Error).message}`,
            })
          }
          return sendJson(res, 200, { ok: true, exercise: ex.id, durationMs: Date.now() - t0 })
        }
        const runId = runs.start(learner.id, ex.id, ex.lab, handle, lang)
        const body: CheckRunStarted = { runId: String(runId) }
        return sendJson(res, 202, body)
      }
    }
    if (a === 'instructor' && (b === 'grades' || b === 'grades.csv') && c === undefined) {
      only('GET')
      // Every token holder of this server may read grades: it is the instructor's own machine (see README).
      const filter = {
        ...(url.searchParams.get('exercise') ? { exercise: url.searchParams.get('exercise')! } : {}),
        ...(url.searchParams.get('batch') ? { batch: url.searchParams.get('batch')! } : {}),
      }
      const report = classReport(store.listGrades(filter))
      if (b === 'grades') return sendJson(res, 200, report)
      const csv = gradesCsv(report.grades, url.searchParams.get('lang') === 'en' ? 'en' : 'fr')
      res.writeHead(200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="${(filter.exercise ?? 'notes').replace(/[^A-Za-z0-9_.-]/g, '_')}.csv"`,
        'content-length': Buffer.byteLength(csv),
        'cache-control': 'no-store',
      })
      return void res.end(csv)
    }
    if (a === 'progress' && b === undefined) {
      only('GET')
      return sendJson(res, 200, progressOf(learner, store.listAttempts(learner.id)))
    }
    throw new ApiError(404, 'not_found', { fr: `Point d’API inconnu : ${url.pathname}`, en: `Unknown API endpoint: ${url.pathname}` })
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/'
    const url = new URL(rawUrl.startsWith('/') ? rawUrl : '/', 'http://lab.invalid')
    const lang = requestLang(req, url)
    const segs = safeSegments(rawPathOf(rawUrl))
    try {
      if (segs === null) {
        throw new ApiError(400, 'bad_path', { fr: 'Chemin de requête refusé.', en: 'Request path refused.' })
      }
      if (segs[0] === 'api') return await api(req, res, url, segs, lang)
      const method = req.method ?? 'GET'
      if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed('GET')
      if (opts.pages && (await opts.pages(req, res, url, { store, learner: authenticate(req, url), lang }))) return
      if (segs.length === 0) {
        return sendText(res, 200, indexPage(listDecks(opts.distDir), { instructor: true, storageKey: TOKEN_STORAGE_KEY }), 'text/html; charset=utf-8')
      }
      if (segs.length === 1 && segs[0] === 'instructor') {
        return sendText(res, 200, instructorPage(TOKEN_STORAGE_KEY), 'text/html; charset=utf-8')
      }
      if (segs[0] === 'decks') return serveDeck(req, res, opts.distDir, segs.slice(1))
      if (segs.length === 1 && segs[0] === 'favicon.ico') {
        res.writeHead(204)
        return void res.end()
      }
      throw new ApiError(404, 'not_found', { fr: `Introuvable : ${url.pathname}`, en: `Not found: ${url.pathname}` })
    } catch (err) {
      if (err instanceof ApiError) return sendError(res, err, lang)
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
    // Keystrokes typed while the exec starts are kept and replayed, not lost.
    const early: [Buffer, boolean][] = []
    const hold = (d: Buffer, isBinary: boolean): void => void early.push([d, isBinary])
    ws.on('message', hold)
    let tty: Tty
    try {
      tty = await opts.openTty(lab.engine!.containerName(lab.session, service), size)
    } catch (err) {
      log(`terminal ${service}: ${String(err)}`)
      return ws.close(1011, 'could not open a shell')
    }
    ws.off('message', hold)
    if (ws.readyState !== ws.OPEN) return tty.close()
    bridgeTerminal(ws, tty)
    for (const [d, isBinary] of early) ws.emit('message', d, isBinary)
  }

  function upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const rawUrl = req.url ?? '/'
    const url = new URL(rawUrl.startsWith('/') ? rawUrl : '/', 'http://lab.invalid')
    const route = url.pathname
    if (route !== WS.checks && route !== WS.terminal) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      alive.add(ws)
      ws.on('pong', () => alive.add(ws))
      ws.on('error', () => undefined)
      const learner = authenticate(req, url)
      // The page needs the close code to tell "wrong token" (do not retry) from a network problem.
      if (!learner) return ws.close(CLOSE.unauthorized, 'unauthorized')
      if (route === WS.checks) return watchChecks(ws, learner, url)
      openTerminal(ws, learner, url).catch((err: unknown) => {
        log(`terminal: ${String(err)}`)
        ws.close(1011, 'terminal error')
      })
    })
  }

  const server = createServer((req, res) => void handle(req, res))
  server.headersTimeout = 20_000
  server.requestTimeout = 10 * 60_000
  server.on('upgrade', upgrade)
  server.on('clientError', (_err, socket) => {
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
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host

  return {
    server,
    host,
    port,
    origin: `http://${shownHost}:${port}`,
    runs,
    labFor,
    async close() {
      clearInterval(pinger)
      runs.abortAll()
      for (const ws of wss.clients) ws.terminate()
      wss.close()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}
