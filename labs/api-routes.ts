// The lab server's HTTP routes, as one table (routes.ts): the learner's API, the instructor's grades and CSV, the pages.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Lang } from '../core/i18n.ts'
import { isLabName } from '../core/labs.ts'
import { API, PAGES, TOKEN_STORAGE_KEY, type CheckRunStarted, type ExerciseSummary, type HealthResponse, type LabInfo } from '../core/lab-protocol.ts'
import { attemptPassed, type CheckRuns } from './check-runs.ts'
import type { ExerciseCatalog } from './exercise-catalog.ts'
import { ApiError, readJsonBody, sendJson, sendText } from './http-util.ts'
import { classReport, CLASS_CSV_PATH, gradesCsv, instructorPage } from './instructor.ts'
import type { LabController } from './lab-controller.ts'
import type { Attempt, Learner, ProgressStore } from './progress-store.ts'
import type { Route } from './routes.ts'
import { indexPage, listDecks } from './static-files.ts'

/** Who is behind a request: a learner (their own sandbox and progress) or the class's instructor. */
export type Principal = { readonly role: 'learner'; readonly learner: Learner } | { readonly role: 'instructor' }

export interface RequestContext {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly url: URL
  readonly lang: Lang
  readonly principal: Principal | null
}

/** What the route handlers need from the server. */
export interface RouteDeps {
  readonly store: ProgressStore
  readonly catalog: ExerciseCatalog
  readonly runs: CheckRuns
  readonly distDir: string
  readonly version?: string
  readonly defaultLab: string
  /** Class mode: learners never read grades, the instructor page is the instructor's. */
  readonly classMode: boolean
  labFor(learner: Learner): LabController
  log(line: string): void
}

/** POST /api/lab/* waits this long for the sandbox before answering with its state (the page polls after). */
const LAB_OP_WAIT_MS = 12_000

export const sandboxDisabled = (): ApiError =>
  new ApiError(409, 'sandbox_disabled', {
    fr: 'Ce serveur tourne sans bac à sable (serve / --no-sandbox) : relancez-le avec « npm start » pour avoir le lab.',
    en: 'This server runs without sandboxes (serve / --no-sandbox): restart it with `npm start` to get the lab.',
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

/** The learner behind a learner route (the table's access rule guarantees one). */
const learnerOf = (ctx: RequestContext): Learner => {
  if (ctx.principal?.role !== 'learner') throw new Error('learner route reached without a learner')
  return ctx.principal.learner
}

function csvAnswer(res: ServerResponse, csv: string, filename: string): void {
  res.writeHead(200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${filename.replace(/[^A-Za-z0-9_.-]/g, '_')}"`,
    'content-length': Buffer.byteLength(csv),
    'cache-control': 'no-store',
  })
  res.end(csv)
}

function gradeFilter(url: URL): { exercise?: string; batch?: string } {
  const exercise = url.searchParams.get('exercise')
  const batch = url.searchParams.get('batch')
  return { ...(exercise ? { exercise } : {}), ...(batch ? { batch } : {}) }
}

export function apiRoutes(d: RouteDeps): Route<RequestContext>[] {
  const labInfo = async (lab: LabController): Promise<LabInfo & { sandboxEnabled: boolean }> => {
    // A page asking about its lab means the learner is back: a sandbox frozen while they were away thaws now.
    if (lab.enabled) await lab.wake()
    const info = lab.enabled ? await lab.refresh() : lab.info()
    return { ...info, sandboxEnabled: lab.enabled }
  }
  const labOp = async (ctx: RequestContext, lab: LabController, op: Promise<LabInfo>): Promise<void> => {
    const waitParam = Number(ctx.url.searchParams.get('wait'))
    const wait = Number.isFinite(waitParam) && waitParam >= 0 && ctx.url.searchParams.has('wait') ? Math.min(waitParam, 600_000) : LAB_OP_WAIT_MS
    op.catch((err: unknown) => d.log(`lab operation failed: ${String(err)}`))
    await withTimeout(op, wait).catch(() => undefined)
    sendJson(ctx.res, 200, await labInfo(lab))
  }
  const exerciseOf = (id: string) => {
    const ex = d.catalog.get(id)
    if (!ex) throw new ApiError(404, 'unknown_exercise', { fr: `Exercice inconnu « ${id} ».`, en: `Unknown exercise "${id}".` })
    return ex
  }
  /** The learner's sandbox, up with the exercise's lab, for a check run or a setup. */
  const readyLab = async (ctx: RequestContext, exLab: string) => {
    const lab = d.labFor(learnerOf(ctx))
    if (!lab.enabled) throw sandboxDisabled()
    await lab.wake()
    const handle = lab.current()
    const info = lab.info()
    if (!handle || info.lab !== exLab) {
      throw new ApiError(409, 'lab_not_up', {
        fr: `Le lab ${exLab} doit être démarré pour cet exercice (état actuel : ${info.lab ?? 'aucun'} ${info.state}).`,
        en: `The ${exLab} lab must be up for this exercise (now: ${info.lab ?? 'none'} ${info.state}).`,
      })
    }
    return handle
  }

  return [
    {
      method: 'GET', path: API.health, access: 'public',
      handle: (ctx) => {
        const body: HealthResponse = { ok: true, ...(d.version ? { version: d.version } : {}), ...(d.classMode ? { classroom: true } : {}) }
        sendJson(ctx.res, 200, body)
      },
    },
    { method: 'GET', path: API.lab, access: 'learner', handle: async (ctx) => sendJson(ctx.res, 200, await labInfo(d.labFor(learnerOf(ctx)))) },
    {
      method: 'POST', path: API.labUp, access: 'learner',
      handle: async (ctx) => {
        const body = (await readJsonBody(ctx.req)) as { lab?: unknown }
        const lab = d.labFor(learnerOf(ctx))
        if (!lab.enabled) throw sandboxDisabled()
        const wanted = body.lab ?? lab.info().lab ?? lab.defaultLab
        if (!isLabName(wanted)) {
          throw new ApiError(400, 'bad_lab', {
            fr: `Lab inconnu « ${String(wanted)} » : choisissez postfix ou exim.`,
            en: `Unknown lab "${String(wanted)}": choose postfix or exim.`,
          })
        }
        return labOp(ctx, lab, lab.up(wanted))
      },
    },
    ...(['down', 'reset'] as const).map((op): Route<RequestContext> => ({
      method: 'POST', path: op === 'down' ? API.labDown : API.labReset, access: 'learner',
      handle: async (ctx) => {
        await readJsonBody(ctx.req)
        const lab = d.labFor(learnerOf(ctx))
        if (!lab.enabled) throw sandboxDisabled()
        return labOp(ctx, lab, op === 'down' ? lab.down() : lab.reset())
      },
    })),
    {
      method: 'GET', path: API.exercises, access: 'public',
      handle: (ctx) => {
        const list: ExerciseSummary[] = d.catalog.list().map((e) => ({ id: e.id, lab: e.lab, title: e.title }))
        sendJson(ctx.res, 200, list)
      },
    },
    {
      method: 'GET', path: `${API.exercises}/:id`, access: 'learner',
      handle: async (ctx, p) => {
        const ex = exerciseOf(p.id!)
        const attempts = d.store.listAttempts(learnerOf(ctx).id, ex.id)
        sendJson(ctx.res, 200, {
          id: ex.id,
          lab: ex.lab,
          title: ex.title,
          text: await ex.text(ctx.lang),
          lang: ctx.lang,
          hints: ex.hints,
          checks: ex.checks,
          submission: ex.submission,
          attempts: attempts.map((t) => ({ id: t.id, status: t.status, startedAt: t.startedAt, finishedAt: t.finishedAt, summary: t.summary })),
        })
      },
    },
    {
      method: 'POST', path: `${API.exercises}/:id/check`, access: 'learner',
      handle: async (ctx, p) => {
        const ex = exerciseOf(p.id!)
        await readJsonBody(ctx.req)
        const handle = await readyLab(ctx, ex.lab)
        const runId = d.runs.start(learnerOf(ctx).id, ex.id, ex.lab, handle, ctx.lang)
        const body: CheckRunStarted = { runId: String(runId) }
        sendJson(ctx.res, 202, body)
      },
    },
    {
      method: 'POST', path: `${API.exercises}/:id/setup`, access: 'learner',
      handle: async (ctx, p) => {
        const ex = exerciseOf(p.id!)
        await readJsonBody(ctx.req)
        const handle = await readyLab(ctx, ex.lab)
        if (!d.catalog.setup) throw new ApiError(501, 'no_setup', { fr: 'Mise en place indisponible.', en: 'Setup unavailable.' })
        const t0 = Date.now()
        try {
          await d.catalog.setup(ex.id, handle)
        } catch (err) {
          throw new ApiError(500, 'setup_failed', {
            fr: `La mise en place de l’exercice a échoué (problème du lab, pas de votre fait) : ${(err as Error).message}`,
            en: `The exercise setup failed (a lab problem, not yours): ${(err as Error).message}`,
          })
        }
        sendJson(ctx.res, 200, { ok: true, exercise: ex.id, durationMs: Date.now() - t0 })
      },
    },
    {
      method: 'GET', path: API.progress, access: 'learner',
      handle: (ctx) => {
        const learner = learnerOf(ctx)
        sendJson(ctx.res, 200, progressOf(learner, d.store.listAttempts(learner.id)))
      },
    },
    { method: 'GET', path: API.instructorGrades, access: 'instructor', handle: (ctx) => sendJson(ctx.res, 200, classReport(d.store.listGrades(gradeFilter(ctx.url)))) },
    {
      method: 'GET', path: API.instructorGradesCsv, access: 'instructor',
      handle: (ctx) => {
        const filter = gradeFilter(ctx.url)
        const report = classReport(d.store.listGrades(filter))
        csvAnswer(ctx.res, gradesCsv(report.grades, ctx.url.searchParams.get('lang') === 'en' ? 'en' : 'fr'), `${filter.exercise ?? 'notes'}.csv`)
      },
    },
    {
      method: 'GET', path: PAGES.classCsv, access: 'instructor',
      handle: (ctx) => {
        const filter = gradeFilter(ctx.url)
        const report = classReport(d.store.listGrades(filter))
        csvAnswer(ctx.res, gradesCsv(report.grades, ctx.lang), [filter.exercise, filter.batch, 'class'].filter(Boolean).join('-') + '.csv')
      },
    },
    {
      // The page itself holds no data; in class mode it is still the instructor's only (its script reads the class).
      method: 'GET', path: PAGES.instructor, access: d.classMode ? 'instructor' : 'public',
      handle: (ctx) => sendText(ctx.res, 200, instructorPage(TOKEN_STORAGE_KEY, { csvPath: CLASS_CSV_PATH, classMode: d.classMode }), 'text/html; charset=utf-8'),
    },
    {
      method: 'GET', path: '/', access: 'public',
      handle: (ctx) =>
        sendText(
          ctx.res,
          200,
          indexPage(listDecks(d.distDir), { instructor: d.classMode ? ctx.principal?.role === 'instructor' : true, storageKey: TOKEN_STORAGE_KEY }),
          'text/html; charset=utf-8',
        ),
    },
    {
      method: 'GET', path: '/favicon.ico', access: 'public',
      handle: (ctx) => {
        ctx.res.writeHead(204)
        ctx.res.end()
      },
    },
  ]
}
