// Wire contract between the deck's components and the lab server (labs/): paths, payloads, WebSocket messages.
// Only type imports from core/ itself, so the browser bundle, labs/ and bench/ can all import it.
import type { CheckResult, Status } from './check-result.ts'
import type { Localized } from './i18n.ts'
import type { LabName, ServiceName } from './labs.ts'

export type { CheckResult, Localized, Status, LabName, ServiceName }

/** Where the learner's token is kept between page loads of one tab (it first arrives as `?token=` in the URL). */
export const TOKEN_STORAGE_KEY = 'smtp-tls-lab.token'
export const TOKEN_QUERY_PARAM = 'token'

/** HTTP endpoints, all on the deck's own origin. Authenticated with `Authorization: Bearer <token>`. */
export const API = {
  health: '/api/health',
  lab: '/api/lab',
  labUp: '/api/lab/up',
  labDown: '/api/lab/down',
  labReset: '/api/lab/reset',
  exercises: '/api/exercises',
  /** GET → ExerciseDetail (`?lang=fr|en` picks the text's language). */
  exercise: (exerciseId: string): string => `/api/exercises/${encodeURIComponent(exerciseId)}`,
  exerciseCheck: (exerciseId: string): string => `/api/exercises/${encodeURIComponent(exerciseId)}/check`,
  progress: '/api/progress',
  instructorGrades: '/api/instructor/grades',
  instructorGradesCsv: '/api/instructor/grades.csv',
  /** Class mode: the live class state (instructor only), and one learner's sandbox reset by the instructor. */
  classState: '/api/class',
  classLearnerReset: (learnerId: string): string => `/api/class/learners/${encodeURIComponent(learnerId)}/reset`,
} as const

/** Pages: the join link (exchanged once for a session cookie), the instructor's page and its CSV export. */
export const PAGES = {
  join: '/join',
  instructor: '/instructor',
  classCsv: '/instructor/class.csv',
  joinSheet: '/instructor/join-sheet',
} as const

/** WebSocket endpoints; the token travels as `?token=` because browsers cannot set headers on a WebSocket. */
export const WS = {
  checks: '/ws/checks',
  terminal: '/ws/terminal',
  /** Class mode: live class view (instructor) and the presenter's slide (everyone who follows). */
  class: '/ws/class',
} as const

/** GET /api/health */
export interface HealthResponse {
  readonly ok: boolean
  readonly version?: string
  /** A class server (`class start`): the deck opens /ws/class (follow the presenter, presenter's class panel). */
  readonly classroom?: boolean
}

export type LabState = 'down' | 'starting' | 'up' | 'error'

export interface ServiceHealth {
  readonly name: ServiceName
  readonly address: string
  readonly healthy: boolean
}

/** GET /api/lab — the learner's sandbox as the server sees it now. */
export interface LabInfo {
  readonly lab: LabName | null
  readonly session: string | null
  readonly state: LabState
  readonly services: readonly ServiceHealth[]
  /** When state is 'error': what went wrong, for the learner (French first). */
  readonly error?: string
  /** Class mode, state 'starting': the machine is full and the learner waits for a free place, at this position. */
  readonly queuePosition?: number
  /** Class mode: stopped while its learner was away (files kept); any use of the lab starts it again. */
  readonly paused?: boolean
}

/** POST /api/lab/up body. POST /api/lab/down and /api/lab/reset take no body. All three answer with a LabInfo. */
export interface LabUpRequest {
  readonly lab: LabName
}

/** GET /api/exercises → ExerciseSummary[] */
export interface ExerciseSummary {
  readonly id: string
  readonly lab: LabName
  readonly title: { readonly fr: string; readonly en?: string }
}

/** A hint's commands: a bash script the learner pastes into that service's terminal. */
export interface ExerciseHintRun {
  readonly service: ServiceName
  readonly script: string
}

/** One hint of an exercise, in both languages, maybe with the commands it gives. */
export interface ExerciseHintView {
  readonly fr: string
  readonly en?: string
  readonly run?: ExerciseHintRun
}

/** GET /api/exercises/:id?lang=… → the exercise as the learner reads it (text in markdown, in `lang`). */
export interface ExerciseDetail {
  readonly id: string
  readonly lab: LabName
  readonly title: { readonly fr: string; readonly en?: string }
  readonly text: string
  readonly lang: 'fr' | 'en'
  readonly hints: readonly ExerciseHintView[]
}

/** POST /api/exercises/:id/check → CheckRunStarted; then open WS /ws/checks?run=<runId>&token=… */
export interface CheckRunStarted {
  readonly runId: string
}

export type CheckSummary = Readonly<Record<Status, number>>

/** Messages the server sends on /ws/checks, as JSON text frames: any number of results, then one done. */
export type CheckStreamMessage =
  | { readonly type: 'result'; readonly result: CheckResult }
  | { readonly type: 'done'; readonly summary: CheckSummary }
  /** Optional: the run could not go on (sandbox gone, server bug). Never a verdict on the learner. */
  | { readonly type: 'error'; readonly message: string }

/**
 * /ws/terminal?service=toolbox&lab=postfix&cols=..&rows=..&token=…
 * Binary frames both ways carry raw TTY bytes (keystrokes up, output down). The client's text frames are JSON
 * control messages; the server may also send output as text frames, which the client writes as is.
 */
export type TerminalControlMessage = { readonly type: 'resize'; readonly cols: number; readonly rows: number }

/** Close codes the server uses on /ws/terminal and /ws/checks so the client knows whether retrying can help. */
export const CLOSE = {
  /** The shell ended (learner typed exit): the client offers to open a new one, no automatic retry loop. */
  shellExited: 4000,
  /** Missing or wrong token: retrying cannot help. */
  unauthorized: 4401,
  /** No sandbox is up for this session (or unknown service/run): start the lab first. */
  labNotUp: 4404,
} as const

export function isCheckStreamMessage(value: unknown): value is CheckStreamMessage {
  if (typeof value !== 'object' || value === null) return false
  const v = value as { type?: unknown; result?: unknown; summary?: unknown; message?: unknown }
  switch (v.type) {
    case 'result':
      return typeof v.result === 'object' && v.result !== null && typeof (v.result as { id?: unknown }).id === 'string'
    case 'done':
      return typeof v.summary === 'object' && v.summary !== null
    case 'error':
      return typeof v.message === 'string'
    default:
      return false
  }
}

export function isTerminalControlMessage(value: unknown): value is TerminalControlMessage {
  if (typeof value !== 'object' || value === null) return false
  const v = value as { type?: unknown; cols?: unknown; rows?: unknown }
  return v.type === 'resize' && Number.isInteger(v.cols) && Number.isInteger(v.rows) &&
    (v.cols as number) > 0 && (v.rows as number) > 0
}

// ---- Class mode: the live class view (/ws/class) ----

/** The slide the presenter shows; an exercise when that slide holds a lab (its CheckPanel). */
export interface PresenterSlide {
  readonly deck: string
  readonly slide: number
  readonly exercise: string | null
}

/** One learner's row for the exercise in view: their last check run, criterion by criterion. */
export interface ClassLearnerRow {
  readonly id: string
  readonly name: string
  /** At least one of the learner's tabs holds /ws/class open. */
  readonly connected: boolean
  readonly lab: LabState
  /** No passing run of this exercise for stuckAfterMs while connected. */
  readonly stuck: boolean
  readonly running: boolean
  readonly attemptId: number | null
  readonly lastRunAt: string | null
  readonly lastPassAt: string | null
  /** Criterion key → status of the last run. */
  readonly criteria: Readonly<Record<string, Status>>
  readonly passCount: number
}

export interface ClassSnapshot {
  readonly exercise: string | null
  /** Criterion keys of the exercise, in its order. */
  readonly criteria: readonly string[]
  readonly learners: readonly ClassLearnerRow[]
  readonly slide: PresenterSlide | null
  readonly stuckAfterMs: number
}

/** Server → instructor: snapshots; server → learner: the presenter's slide (for those who follow). */
export type ClassServerMessage =
  | { readonly type: 'snapshot'; readonly snapshot: ClassSnapshot }
  | { readonly type: 'follow'; readonly slide: PresenterSlide }

/** Instructor → server: the presenter moved (the grid follows the slide's exercise), or chose an exercise to watch. */
export type ClassClientMessage =
  | { readonly type: 'slide'; readonly slide: PresenterSlide }
  | { readonly type: 'watch'; readonly exercise: string | null }

export function isClassClientMessage(value: unknown): value is ClassClientMessage {
  if (typeof value !== 'object' || value === null) return false
  const v = value as { type?: unknown; slide?: unknown; exercise?: unknown }
  if (v.type === 'watch') return v.exercise === null || typeof v.exercise === 'string'
  if (v.type !== 'slide' || typeof v.slide !== 'object' || v.slide === null) return false
  const s = v.slide as { deck?: unknown; slide?: unknown; exercise?: unknown }
  return typeof s.deck === 'string' && Number.isInteger(s.slide) && (s.exercise === null || typeof s.exercise === 'string')
}
