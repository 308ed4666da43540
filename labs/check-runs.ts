// Check runs of the learners: each result is stored (committed) and then streamed to every page watching the run.
import type { SandboxHandle } from '../checker/sandbox-handle.ts'
import type { CheckResult, Lang } from '../checker/types.ts'
import { isPassed } from '../core/score.ts'
import type { CheckStreamMessage, CheckSummary } from '../core/lab-protocol.ts'
import type { Attempt, ProgressStore, Summary } from './progress-store.ts'

export interface GradeHooks {
  readonly lang: Lang
  readonly signal: AbortSignal
  readonly onResult: (result: CheckResult) => void
}

/** Runs one exercise's checks against a sandbox, calling onResult as each finishes (exercises/ implements it). */
export type GradeFn = (exerciseId: string, sandbox: SandboxHandle, hooks: GradeHooks) => Promise<void>

type Listener = (msg: CheckStreamMessage) => void

interface LiveRun {
  readonly id: number
  readonly learner: string
  readonly exercise: string
  readonly messages: CheckStreamMessage[]
  readonly listeners: Set<Listener>
  readonly abort: AbortController
  done: boolean
}

const emptySummary = (): Summary => ({ pass: 0, fail: 0, warn: 0, inconclusive: 0, skip: 0 })

/** What the page sees of a result: the runner's result without bulky grading internals (the CA PEM of the target). */
export function publicResult(result: CheckResult): CheckResult {
  const r = result as CheckResult & { target?: { ca?: string } }
  if (!r.target || r.target.ca === undefined) return result
  const { ca: _ca, ...target } = r.target
  return { ...r, target } as CheckResult
}

/**
 * Whether an attempt passed the exercise, by the course's one rule (core/score.ts) on the weights the grader
 * attached to each result (default 1): a finished run, nothing failed, warned or inconclusive, something decided.
 */
export function attemptPassed(attempt: Pick<Attempt, 'status' | 'results'>): boolean {
  if (attempt.status !== 'done') return false
  return isPassed(
    attempt.results.map((r) => {
      const w = (r.result as CheckResult & { weight?: unknown }).weight
      return { key: r.checkId, status: r.status, weight: typeof w === 'number' ? w : 1 }
    }),
  )
}

/** Messages that replay a stored attempt: its results, then why it ended, then done. */
export function replayAttempt(attempt: Attempt): CheckStreamMessage[] {
  const msgs: CheckStreamMessage[] = attempt.results.map((r) => ({ type: 'result', result: r.result }))
  if (attempt.status === 'interrupted') {
    msgs.push({
      type: 'error',
      message: 'Vérification interrompue (le serveur du lab s’est arrêté) : relancez-la. / Check run interrupted (the lab server stopped): run it again.',
    })
  } else if (attempt.status === 'error' && attempt.error) {
    msgs.push({ type: 'error', message: attempt.error })
  }
  if (attempt.status !== 'running') msgs.push({ type: 'done', summary: attempt.summary as CheckSummary })
  return msgs
}

export class CheckRuns {
  private readonly live = new Map<number, LiveRun>()
  /** Every message of every run, with its learner and exercise: the class view follows runs through it. */
  onMessage: ((learner: string, exercise: string, msg: CheckStreamMessage) => void) | null = null

  constructor(
    private readonly store: ProgressStore,
    private readonly grade: GradeFn,
    /** How long a finished run stays in memory for late watchers (afterwards it is replayed from the store). */
    private readonly keepMs = 10 * 60_000,
  ) {}

  /** The learner's run of this exercise still going, if any: pressing "Vérifier" twice watches the same run. */
  running(learner: string, exercise: string): number | null {
    for (const run of this.live.values()) {
      if (!run.done && run.learner === learner && run.exercise === exercise) return run.id
    }
    return null
  }

  start(learner: string, exercise: string, lab: string, sandbox: SandboxHandle, lang: Lang): number {
    const existing = this.running(learner, exercise)
    if (existing !== null) return existing
    const id = this.store.startAttempt(learner, exercise, lab)
    const run: LiveRun = { id, learner, exercise, messages: [], listeners: new Set(), abort: new AbortController(), done: false }
    this.live.set(id, run)
    const summary = emptySummary()
    let position = 0
    const emit = (msg: CheckStreamMessage): void => {
      run.messages.push(msg)
      for (const l of run.listeners) l(msg)
      this.onMessage?.(learner, exercise, msg)
    }
    const onResult = (result: CheckResult): void => {
      if (run.done) return
      const shown = publicResult(result)
      // Committed before anyone sees it: what the learner saw survives a kill.
      this.store.recordResult(id, position++, shown)
      summary[result.status]++
      emit({ type: 'result', result: shown })
    }
    void this.grade(exercise, sandbox, { lang, signal: run.abort.signal, onResult }).then(
      () => {
        if (run.done) return
        this.store.finishAttempt(id, 'done')
        run.done = true
        emit({ type: 'done', summary })
        this.forgetLater(run)
      },
      (err: unknown) => {
        if (run.done) return
        const message = err instanceof Error ? err.message : String(err)
        this.store.finishAttempt(id, 'error', message)
        run.done = true
        emit({ type: 'error', message: `La vérification n’a pas pu aller au bout (problème du correcteur, pas de votre configuration) : ${message}` })
        emit({ type: 'done', summary })
        this.forgetLater(run)
      },
    )
    return id
  }

  /**
   * Sends every message so far, then live ones, to the listener. Returns an unsubscribe function, or null when the
   * run does not exist or belongs to another learner.
   */
  watch(learner: string, runId: number, listener: Listener): (() => void) | null {
    const run = this.live.get(runId)
    if (run) {
      if (run.learner !== learner) return null
      for (const m of run.messages) listener(m)
      if (run.done) return () => {}
      run.listeners.add(listener)
      return () => run.listeners.delete(listener)
    }
    const attempt = this.store.getAttempt(runId)
    if (!attempt || attempt.learner !== learner) return null
    for (const m of replayAttempt(attempt)) listener(m)
    return () => {}
  }

  /** Stops every run (server shutdown): they are recorded as interrupted. */
  abortAll(): void {
    for (const run of this.live.values()) {
      if (run.done) continue
      run.done = true
      run.abort.abort()
      this.store.finishAttempt(run.id, 'interrupted')
    }
  }

  private forgetLater(run: LiveRun): void {
    run.listeners.clear()
    setTimeout(() => this.live.delete(run.id), this.keepMs).unref()
  }
}
