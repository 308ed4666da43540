// One lab server for a whole class: a seat per learner (token, progress, sandbox), the instructor's role, join links
// exchanged for cookies, Host/Origin checks, HTTPS off loopback, the join sheet, and the live class view.
import type { LabName } from '../../core/labs.ts'
import { API, PAGES, WS } from '../../core/lab-protocol.ts'
import { ApiError, sendJson, sendText } from '../http-util.ts'
import type { Learner } from '../progress-store.ts'
import { startLabServer, type LabServer, type LabServerOptions } from '../server.ts'
import { tokenMatches } from '../access.ts'
import { hashToken } from '../progress-store.ts'
import type { OpenedClassDir } from './class-dir.ts'
import { Admission } from './admission.ts'
import { ClassHub } from './class-hub.ts'
import { faultRoutes } from './fault-routes.ts'
import { joinSheet, type JoinEntry } from './join-sheet.ts'

export interface ClassServerOptions extends Omit<LabServerOptions, 'store' | 'classroom' | 'defaultLab'> {
  readonly data: OpenedClassDir
  readonly lab: LabName
  /** Names and addresses served (Host/Origin checks, certificate). */
  readonly hostNames: ReadonlySet<string>
  /** How learners reach the server (the host part of the links): an address or name they can type. */
  readonly publicHost: string
  readonly fingerprint?: string | null
  /** Start every learner's sandbox now (default), or each on its learner's first join. */
  readonly prestart?: boolean
  /** A connected learner with no passing run for this long is shown stuck. */
  readonly stuckAfterMs?: number
  /** At most this many sandboxes at once; the learners past it wait in line (default: one per seat). */
  readonly maxSandboxes?: number
  /** A sandbox starts only while this much memory is available (default 1 GiB). */
  readonly minFreeBytes?: number
  /** Free memory where the next sandbox would go (several engines: labs/class/engines.ts); default: this machine's. */
  readonly freeBytes?: () => number
  /** A sandbox unused this long (no lab page, terminal or check) is stopped until its learner comes back; 0: never. */
  readonly idleAfterMs?: number
}

export interface ClassLinks {
  readonly url: string
  readonly instructor: { readonly url: string; readonly sheet: string }
  readonly learners: readonly { readonly id: string; readonly name: string; readonly url: string }[]
}

export interface ClassServer {
  readonly lab: LabServer
  readonly links: ClassLinks
  readonly hub: ClassHub
  readonly admission: Admission
  /** Resolves once every prestarted (or adopted) sandbox has settled. */
  readonly sandboxesReady: Promise<void>
  close(): Promise<void>
}

/** Starts sandboxes a few at a time: docker and a 2-core machine choke on 30 parallel starts. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!).catch(() => undefined)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

export async function startClassServer(opts: ClassServerOptions): Promise<ClassServer> {
  const { data } = opts
  const instructorHash = hashToken(data.cls.instructorToken)
  const learners = (): Learner[] => data.cls.seats.map((s) => data.store.getLearner(s.id)).filter((l): l is Learner => l !== null)
  let server: LabServer | null = null
  const hub = new ClassHub(data.store, learners, opts.catalog, opts.stuckAfterMs)

  const ensureSandbox = (learner: Learner): void => {
    if (!server || !opts.engine) return
    const c = server.labFor(learner)
    if (c.info().state === 'down') void c.up(opts.lab).catch(() => undefined)
  }

  const admission = new Admission({
    max: opts.maxSandboxes ?? data.cls.seats.length,
    minFreeBytes: opts.minFreeBytes ?? 1024 ** 3,
    ...(opts.freeBytes ? { freeBytes: opts.freeBytes } : {}),
  })
  server = await startLabServer({
    ...opts,
    gate: admission,
    store: data.store,
    defaultLab: opts.lab,
    classroom: {
      hostNames: opts.hostNames,
      isInstructor: (token) => tokenMatches(token, instructorHash),
      onJoin: (learner) => ensureSandbox(learner),
      sockets: { [WS.class]: (ws, who, url) => hub.attach(ws, who, url) },
      routes: ({ labFor }) => [
        {
          method: 'GET', path: PAGES.joinSheet, access: 'instructor',
          handle: async (ctx) => sendText(ctx.res, 200, await joinSheet(entries(), { fingerprint: opts.fingerprint ?? null }), 'text/html; charset=utf-8'),
        },
        { method: 'GET', path: API.classState, access: 'instructor', handle: (ctx) => sendJson(ctx.res, 200, hub.snapshot(ctx.url.searchParams.get('exercise'))) },
        {
          method: 'GET', path: `${API.classState}/learners/:id/evidence`, access: 'instructor',
          handle: (ctx, p) => {
            const exercise = ctx.url.searchParams.get('exercise') ?? ''
            if (!learners().some((l) => l.id === p.id)) throw new ApiError(404, 'unknown_learner', { fr: `Apprenant inconnu « ${p.id} ».`, en: `Unknown learner "${p.id}".` })
            sendJson(ctx.res, 200, { learner: p.id, exercise, attempt: hub.evidence(p.id!, exercise) })
          },
        },
        {
          method: 'POST', path: `${API.classState}/learners/:id/reset`, access: 'instructor',
          handle: async (ctx, p) => {
            const learner = learners().find((l) => l.id === p.id)
            if (!learner) throw new ApiError(404, 'unknown_learner', { fr: `Apprenant inconnu « ${p.id} ».`, en: `Unknown learner "${p.id}".` })
            const c = labFor(learner)
            if (!c.enabled) throw new ApiError(409, 'sandbox_disabled', { fr: 'Ce serveur tourne sans bac à sable.', en: 'This server runs without sandboxes.' })
            void c.reset().catch(() => undefined)
            sendJson(ctx.res, 202, { ok: true, learner: learner.id })
          },
        },
        ...faultRoutes({ lab: opts.lab, learners, labFor }),
      ],
    },
  })
  const lab = server
  server.runs.onMessage = (learner, exercise, msg) => hub.onRun(learner, exercise, msg)
  hub.labState = (learner) => lab.labFor(learner).info().state

  const origin = `${opts.tls ? 'https' : 'http'}://${opts.publicHost.includes(':') ? `[${opts.publicHost}]` : opts.publicHost}:${lab.port}`
  const link = (token: string): string => `${origin}${PAGES.join}?token=${encodeURIComponent(token)}`
  const entries = (): JoinEntry[] => data.cls.seats.map((s) => ({ name: s.name, url: link(s.token) }))
  const links: ClassLinks = {
    url: `${origin}/`,
    instructor: { url: link(data.cls.instructorToken), sheet: `${origin}${PAGES.joinSheet}` },
    learners: data.cls.seats.map((s) => ({ id: s.id, name: s.name, url: link(s.token) })),
  }

  // A restarted server takes back the sandboxes that outlived it; the rest start now unless --no-prestart.
  const sandboxesReady = opts.engine
    ? eachLimited(learners(), 3, async (l) => {
        const c = lab.labFor(l)
        const info = await c.adopt()
        if (info.state !== 'up' && opts.prestart !== false) await c.up(opts.lab)
        // Readied now, while the class is still arriving: a warm-up that fails costs only the first run's speed.
        const handle = c.current()
        if (handle) await opts.catalog.warm?.(handle).catch((err: Error) => opts.log?.(`grading warm-up of ${l.id}: ${err.message}`))
      })
    : Promise.resolve()

  // The idle sweep: stopped sandboxes cost no CPU and little memory; any use of the lab (wake()) starts them again.
  const idleMs = opts.idleAfterMs ?? 30 * 60_000
  const sweeper = idleMs > 0 && opts.engine
    ? setInterval(() => {
        for (const l of learners()) {
          const c = lab.labFor(l)
          if (c.info().state === 'up' && !c.isPaused && Date.now() - c.lastActive >= idleMs) void c.sleep().catch(() => undefined)
        }
      }, Math.min(30_000, Math.max(1_000, idleMs / 4)))
    : null
  sweeper?.unref()

  return {
    lab,
    links,
    hub,
    sandboxesReady,
    admission,
    async close() {
      if (sweeper) clearInterval(sweeper)
      hub.close()
      admission.close()
      await lab.close()
    },
  }
}
