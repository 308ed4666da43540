// The live class view: who is connected, each learner's last check run of the exercise in view, who is stuck, and
// the presenter's slide for the learners who follow. Rows are rebuilt from the progress store, so a restarted server
// shows the same grid; only presence and the presenter's slide live in memory.
import type { WebSocket } from 'ws'
import {
  isClassClientMessage,
  type CheckStreamMessage,
  type ClassLearnerRow,
  type ClassServerMessage,
  type ClassSnapshot,
  type LabState,
  type PresenterSlide,
  type Status,
} from '../../core/lab-protocol.ts'
import { stripControl } from '../../core/text.ts'
import type { Principal } from '../api-routes.ts'
import type { ExerciseCatalog } from '../exercise-catalog.ts'
import type { Attempt, Learner, ProgressStore } from '../progress-store.ts'

export const DEFAULT_STUCK_AFTER_MS = 10 * 60_000

const keyOf = (r: Attempt['results'][number]): string => r.result.key ?? r.checkId

export class ClassHub {
  private readonly instructors = new Set<WebSocket>()
  private readonly learnerSockets = new Map<string, Set<WebSocket>>()
  /** When each learner last connected (start of the stuck clock when they have no run yet). */
  private readonly since = new Map<string, number>()
  private slide: PresenterSlide | null = null
  private watched: string | null = null
  private pending: NodeJS.Timeout | null = null
  /** The sandbox state of a learner, given by the server once it runs. */
  labState: (learner: Learner) => LabState = () => 'down'

  constructor(
    private readonly store: ProgressStore,
    private readonly learners: () => Learner[],
    private readonly catalog: ExerciseCatalog | null = null,
    readonly stuckAfterMs = DEFAULT_STUCK_AFTER_MS,
  ) {}

  attach(ws: WebSocket, who: Principal, _url: URL): void {
    if (who.role === 'instructor') {
      this.instructors.add(ws)
      ws.on('close', () => this.instructors.delete(ws))
      ws.on('message', (data, isBinary) => {
        if (isBinary) return
        let msg: unknown
        try {
          msg = JSON.parse(String(data))
        } catch {
          return
        }
        if (!isClassClientMessage(msg)) return
        if (msg.type === 'slide') {
          this.slide = { deck: stripControl(msg.slide.deck).slice(0, 80), slide: msg.slide.slide, exercise: msg.slide.exercise }
          if (msg.slide.exercise) this.watched = msg.slide.exercise
          this.toLearners({ type: 'follow', slide: this.slide })
        } else this.watched = msg.exercise
        this.publishSoon()
      })
      this.send(ws, { type: 'snapshot', snapshot: this.snapshot() })
      return
    }
    const id = who.learner.id
    let set = this.learnerSockets.get(id)
    if (!set) this.learnerSockets.set(id, (set = new Set()))
    set.add(ws)
    if (set.size === 1) this.since.set(id, Date.now())
    ws.on('close', () => {
      set.delete(ws)
      this.publishSoon()
    })
    // Learner sockets only receive: what they send is ignored (they may not move anyone's slide).
    if (this.slide) this.send(ws, { type: 'follow', slide: this.slide })
    this.publishSoon()
  }

  /** Every message of every check run: a finished run changes its learner's row. */
  onRun(_learner: string, _exercise: string, msg: CheckStreamMessage): void {
    if (msg.type === 'done' || msg.type === 'result') this.publishSoon()
  }

  /** Coalesces bursts (30 results arriving together) into one snapshot per 200 ms. */
  publishSoon(): void {
    if (this.pending || this.instructors.size === 0) return
    this.pending = setTimeout(() => {
      this.pending = null
      const snapshot = this.snapshot()
      for (const ws of this.instructors) this.send(ws, { type: 'snapshot', snapshot })
    }, 200)
    this.pending.unref()
  }

  snapshot(exercise: string | null = null): ClassSnapshot {
    const ex = exercise ?? this.watched
    const criteria: string[] = ex ? [...(this.catalog?.get(ex)?.checks.map((c) => c.key) ?? [])] : []
    const now = Date.now()
    const learners = this.learners().map((l): ClassLearnerRow => {
      const attempts = ex ? this.store.listAttempts(l.id, ex) : []
      const last = attempts.at(-1) ?? null
      const lastDone = [...attempts].reverse().find((a) => a.status !== 'running') ?? null
      const shown = last?.status === 'running' && last.results.length === 0 ? lastDone : last
      const cells: Record<string, Status> = {}
      for (const r of shown?.results ?? []) {
        cells[keyOf(r)] = r.status
        if (!criteria.includes(keyOf(r))) criteria.push(keyOf(r))
      }
      const passes = attempts.filter((a) => a.status === 'done' && a.results.length > 0 && a.results.every((r) => r.status === 'pass' || r.status === 'skip'))
      const lastPass = passes.at(-1) ?? null
      const connected = (this.learnerSockets.get(l.id)?.size ?? 0) > 0
      const clock = lastPass ? Date.parse(lastPass.finishedAt ?? lastPass.startedAt) : (this.since.get(l.id) ?? now)
      return {
        id: l.id,
        name: stripControl(l.name ?? l.id),
        connected,
        lab: this.labState(l),
        stuck: ex !== null && connected && !lastPass && now - clock >= this.stuckAfterMs,
        running: last?.status === 'running',
        attemptId: shown?.id ?? null,
        lastRunAt: last?.startedAt ?? null,
        lastPassAt: lastPass ? (lastPass.finishedAt ?? lastPass.startedAt) : null,
        criteria: cells,
        passCount: Object.values(cells).filter((s) => s === 'pass').length,
      }
    })
    return { exercise: ex, criteria, learners, slide: this.slide, stuckAfterMs: this.stuckAfterMs }
  }

  /** The learner's last attempt of an exercise with its evidence, for the instructor's drill-down. */
  evidence(learnerId: string, exercise: string): Attempt | null {
    const a = this.store.listAttempts(learnerId, exercise).at(-1)
    if (!a) return null
    // What the learner's server printed, stripped before it reaches the instructor's page.
    return {
      ...a,
      error: a.error === null ? null : stripControl(a.error),
      results: a.results.map((r) => ({
        ...r,
        evidence: { ...r.evidence, lines: r.evidence.lines.map((l) => stripControl(l)) },
        result: { ...r.result, summary: { fr: stripControl(r.result.summary.fr), en: stripControl(r.result.summary.en) }, evidence: { ...r.result.evidence, lines: r.result.evidence.lines.map((l) => stripControl(l)) } },
      })),
    }
  }

  close(): void {
    if (this.pending) clearTimeout(this.pending)
    for (const ws of this.instructors) ws.terminate()
    for (const set of this.learnerSockets.values()) for (const ws of set) ws.terminate()
  }

  private toLearners(msg: ClassServerMessage): void {
    for (const set of this.learnerSockets.values()) for (const ws of set) this.send(ws, msg)
  }

  private send(ws: WebSocket, msg: ClassServerMessage): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg))
  }
}
