// Grades one submission: intake, fresh sandbox in the exercise's start state, install, reload, checks, score; the sandbox always goes down.
import { randomBytes } from 'node:crypto'
import { getCheck, isCheckId } from '../checker/registry.ts'
import type { Lang, Localized } from '../checker/types.ts'
import type { Exercise } from '../exercises/load.ts'
import type { SandboxHandle } from '../checker/sandbox-handle.ts'
import { stripControl } from '../core/text.ts'
import { applyPublish, applySetup, gradeExercise, StepError, type GradedResult } from '../exercises/runner.ts'
import { DEFAULT_LIMITS, mapSubmission, readSubmission, SubmissionRejected, type IntakeLimits, type MappedSubmission, type RejectCode } from './intake.ts'
import { criterionPoints, score, type Criterion, type Score } from './score.ts'
import { installFiles, markLogs, newLogLines, reloadService, type ReloadOutcome } from './service.ts'
import { preparedSandbox } from './prepared.ts'

export type Verdict = 'graded' | 'rejected' | 'error'

export interface SubmissionGrade extends Score {
  readonly learner: string
  readonly exercise: string
  readonly lab: string
  /** graded: the checks ran; rejected: the submission was refused at intake; error: the grader failed (never the learner's fault). */
  readonly verdict: Verdict
  readonly reason?: Localized
  readonly rejectCode?: RejectCode
  /** `service.starts` first, then the exercise's criteria in manifest order. */
  readonly criteria: readonly Criterion[]
  readonly installed: readonly string[]
  readonly ignored: readonly string[]
  readonly session?: string
  readonly startedAt: string
  readonly timings: Readonly<Partial<Record<'intake' | 'up' | 'setup' | 'install' | 'checks' | 'down' | 'total', number>>>
}

export type Log = (line: string) => void

export interface GradeOptions {
  readonly learner: string
  readonly lang?: Lang
  readonly limits?: IntakeLimits
  /** Sandbox session id; default a fresh random one. */
  readonly session?: string
  readonly log?: Log
  readonly signal?: AbortSignal
  /** Called as soon as the session id is known, before any container exists (for Ctrl-C clean-up). */
  readonly onSession?: (session: string) => void
  /** A topology other than the lab's own (development). */
  readonly topologyFile?: string
}

export const SERVICE_KEY = 'service.starts'
const SERVICE_TITLE: Localized = { fr: 'Le service démarre avec la configuration rendue', en: 'The service starts with the submitted configuration' }

export class GradingAborted extends Error {
  constructor() {
    super('grading interrupted')
    this.name = 'GradingAborted'
  }
}

export function newSession(prefix = 'g'): string {
  return `${prefix}${randomBytes(3).toString('hex')}`
}

/** Reads and maps a submission; throws SubmissionRejected. Runs before any sandbox exists. */
export async function intake(exercise: Exercise, source: string, limits: IntakeLimits = DEFAULT_LIMITS): Promise<MappedSubmission> {
  if (exercise.manifest.submission.length === 0) throw new Error(`exercise ${exercise.id} declares no submission file`)
  return mapSubmission(await readSubmission(source, limits), exercise.manifest.submission)
}

function base(exercise: Exercise, learner: string, startedAt: string) {
  return { learner, exercise: exercise.id, lab: exercise.manifest.lab, startedAt }
}

export function rejectedGrade(exercise: Exercise, learner: string, err: SubmissionRejected, timings: SubmissionGrade['timings'] = {}): SubmissionGrade {
  return {
    ...base(exercise, learner, new Date().toISOString()),
    verdict: 'rejected',
    reason: { fr: `refusée : ${err.text.fr}`, en: `rejected: ${err.text.en}` },
    rejectCode: err.code,
    criteria: [],
    installed: [],
    ignored: [],
    // Refused at intake: the learner's doing, so a final 0 out of the exercise's whole weight.
    ...score([]),
    maxScore: totalWeight(exercise),
    fullScore: totalWeight(exercise),
    percent: 0,
    timings,
  }
}

export function errorGrade(exercise: Exercise, learner: string, startedAt: string, message: string, extra: Partial<SubmissionGrade>): SubmissionGrade {
  return {
    ...base(exercise, learner, startedAt),
    verdict: 'error',
    reason: {
      fr: `le correcteur n’a pas pu noter cette copie (pas de la faute de l’apprenant) : ${message}`,
      en: `the grader could not grade this submission (not the learner’s fault): ${message}`,
    },
    criteria: [],
    installed: [],
    ignored: [],
    // The grader failed: no final score, the submission is to be graded again.
    ...score([]),
    state: 'incomplete',
    maxScore: totalWeight(exercise),
    fullScore: totalWeight(exercise),
    timings: {},
    ...extra,
  }
}

const totalWeight = (exercise: Exercise): number => exercise.manifest.checks.reduce((s, c) => s + (c.weight ?? 1), 0)

function fromResult(r: GradedResult): Criterion {
  const { points, counted } = criterionPoints(r.status, r.weight)
  return {
    key: r.key,
    id: r.id,
    title: r.title,
    status: r.status,
    weight: r.weight,
    points,
    counted,
    summary: r.summary,
    evidence: r.evidence,
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.remedy ? { remedy: r.remedy } : {}),
    ...(r.endpoint ? { endpoint: r.endpoint } : {}),
    durationMs: r.durationMs,
  }
}

/**
 * A criterion counted as a fail because the server stopped the probe (its 454, a TLS alert: exercises/classify.ts)
 * carries the service's own complaints too: the log says why ("cannot get certificate from file …").
 */
function withServerLog(c: Criterion, complaints: readonly string[]): Criterion {
  if (c.status !== 'fail' || !c.evidence.facts?.['wasInconclusive'] || complaints.length === 0) return c
  return { ...c, evidence: { ...c.evidence, lines: [...c.evidence.lines, '--- the service’s log while grading', ...complaints.slice(0, 6)] } }
}

/** The exercise's criteria, all failed because the service never came up: nothing could answer the probes. */
function notStarted(exercise: Exercise): Criterion[] {
  const locals = new Map((exercise.manifest.localChecks ?? []).map((d) => [d.id, d]))
  return exercise.manifest.checks.map((c) => {
    const weight = c.weight ?? 1
    const def = isCheckId(c.id) ? getCheck(c.id) : locals.get(c.id)
    return {
      key: c.key ?? c.id,
      id: c.id,
      title: def?.title ?? { fr: c.key ?? c.id, en: c.key ?? c.id },
      status: 'fail',
      weight,
      points: 0,
      counted: true,
      summary: {
        fr: `Non vérifié : le service ne démarre pas avec votre configuration (voir ${SERVICE_KEY}).`,
        en: `Not checked: the service does not start with your configuration (see ${SERVICE_KEY}).`,
      },
      evidence: { lines: [`see ${SERVICE_KEY}`] },
      durationMs: 0,
    }
  })
}

/**
 * Runs the exercise's publish steps (manifest `publish`): what the text has the learner do by hand with the files, on
 * the start state's own tools. The sandbox was healthy a moment ago, so a failing step is the submitted files' doing
 * (an nginx site that does not load, a record nsupdate refuses): the service is then down, with the step's own words.
 */
async function publish(handle: SandboxHandle, exercise: Exercise, reload: ReloadOutcome, log: Log): Promise<ReloadOutcome> {
  if (exercise.steps('publish').length === 0) return reload
  const t0 = Date.now()
  try {
    await applyPublish(handle, exercise, log)
    return { ...reload, lines: [...reload.lines, `$ (publish) ${exercise.steps('publish').map((s) => (s.kind === 'script' ? s.name : 'copy')).join(', ')}: ok`], durationMs: reload.durationMs + Date.now() - t0 }
  } catch (err) {
    if (!(err instanceof StepError)) throw err
    const said = `${err.stderr}\n${err.stdout}`.split('\n').map((l) => stripControl(l).trim()).filter(Boolean).slice(-20)
    return { ...reload, started: false, exitCode: 1, lines: [...reload.lines, `$ (publish) ${err.message.split('\n')[0]}`, ...said], durationMs: reload.durationMs + Date.now() - t0 }
  }
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new GradingAborted()
}

/** Grades an already mapped submission on a fresh sandbox. Never throws for a learner's mistake; throws GradingAborted when aborted. */
export async function gradeMapped(exercise: Exercise, mapped: MappedSubmission, opts: GradeOptions): Promise<SubmissionGrade> {
  const log = opts.log ?? (() => {})
  const startedAt = new Date().toISOString()
  const session = opts.session ?? newSession()
  const t: Record<string, number> = {}
  const t0 = Date.now()
  let mark = t0
  const lap = (k: string): void => {
    const now = Date.now()
    t[k] = now - mark
    mark = now
  }
  const { upLab, downSandbox, gradingOwner } = await import('../sandbox/engine.ts')
  opts.onSession?.(session)
  let phase = 'up'
  try {
    throwIfAborted(opts.signal)
    // A class worker may lend a sandbox already in the start state, with a fresh graded service (grading/prepared.ts).
    const lent = preparedSandbox(session)
    log(`${opts.learner}: ${lent ? 'prepared' : 'fresh'} ${exercise.manifest.lab} sandbox (session ${session})`)
    const handle =
      (await lent) ??
      (await upLab({
        lab: exercise.manifest.lab,
        session,
        fresh: true,
        // Its process's sandbox: the next `grade` or `start` removes it if this process dies (sandbox/owner.ts).
        owner: gradingOwner(session),
        ...(opts.topologyFile ? { topologyFile: opts.topologyFile } : {}),
        onProgress: (m) => log(`${opts.learner}:   ${m}`),
      }))
    lap('up')
    throwIfAborted(opts.signal)
    phase = 'setup'
    if (!lent) await applySetup(handle, exercise, (l) => log(`${opts.learner}:   ${l}`))
    lap('setup')
    throwIfAborted(opts.signal)
    phase = 'install'
    const logMark = await markLogs(handle)
    const installed = await installFiles(handle, mapped.files)
    const ports = exercise.manifest.checks.filter((c) => c.target.service === 'mail' && c.target.port).map((c) => c.target.port!)
    const reloaded = await reloadService(handle, mapped.files, logMark, ports)
    const reload = reloaded.started ? await publish(handle, exercise, reloaded, (l) => log(`${opts.learner}:   ${l}`)) : reloaded
    lap('install')
    log(`${opts.learner}: ${mapped.files.length} file(s) installed, service ${reload.started ? 'up' : 'DOWN'}`)
    const service: Criterion = {
      key: SERVICE_KEY,
      id: SERVICE_KEY,
      title: SERVICE_TITLE,
      status: reload.started ? 'pass' : 'fail',
      weight: 0,
      points: 0,
      counted: true,
      summary: reload.started
        ? { fr: 'Le service a rechargé la configuration rendue et écoute.', en: 'The service reloaded the submitted configuration and listens.' }
        : {
            fr: 'Le service ne démarre pas avec la configuration rendue : voici son propre journal d’erreurs.',
            en: 'The service does not start with the submitted configuration: here is its own error log.',
          },
      evidence: { lines: [...installed, ...reload.lines], facts: { exitCode: reload.exitCode, started: reload.started } },
      ...(reload.started ? {} : { remedy: { postfix: 'postfix check; tail /var/log/mail.log', exim: 'exim -bV; cat /var/log/exim4/paniclog' } }),
      durationMs: reload.durationMs,
    }
    throwIfAborted(opts.signal)
    let criteria: Criterion[]
    if (!reload.started) {
      criteria = [service, ...notStarted(exercise)]
    } else {
      phase = 'checks'
      const report = await gradeExercise(handle, exercise, { lang: opts.lang ?? 'fr', ...(opts.signal ? { signal: opts.signal } : {}) })
      throwIfAborted(opts.signal)
      // What the service complained about while being probed: often the reason behind a failed check.
      const complaints = await newLogLines(handle, logMark, { grep: 'fatal|panic|error|warning', max: 20 })
      const withLog: Criterion = complaints.length
        ? { ...service, evidence: { ...service.evidence, lines: [...service.evidence.lines, '--- warnings and errors logged while grading', ...complaints] } }
        : service
      criteria = [withLog, ...report.results.map(fromResult).map((c) => withServerLog(c, complaints))]
    }
    lap('checks')
    const s = score(criteria)
    return {
      ...base(exercise, opts.learner, startedAt),
      verdict: 'graded',
      criteria,
      installed,
      ignored: mapped.ignored,
      session,
      ...s,
      timings: t,
    }
  } catch (err) {
    if (err instanceof GradingAborted || opts.signal?.aborted) throw new GradingAborted()
    const msg = err instanceof Error ? err.message : String(err)
    log(`${opts.learner}: grader error during ${phase}: ${msg}`)
    return errorGrade(exercise, opts.learner, startedAt, `${phase}: ${msg.split('\n').slice(0, 6).join(' | ')}`, { session, timings: t })
  } finally {
    mark = Date.now()
    await downSandbox(session).catch((e: unknown) => log(`${opts.learner}: down ${session} failed: ${String(e)}`))
    lap('down')
    t.total = Date.now() - t0
  }
}

/** Intake then grading: a refused submission never starts a sandbox. */
export async function gradeSubmission(exercise: Exercise, source: string, opts: GradeOptions): Promise<SubmissionGrade> {
  const t0 = Date.now()
  let mapped: MappedSubmission
  try {
    mapped = await intake(exercise, source, opts.limits)
  } catch (err) {
    if (err instanceof SubmissionRejected) return rejectedGrade(exercise, opts.learner, err, { intake: Date.now() - t0 })
    throw err
  }
  const intakeMs = Date.now() - t0
  const g = await gradeMapped(exercise, mapped, opts)
  return { ...g, timings: { intake: intakeMs, ...g.timings } }
}
