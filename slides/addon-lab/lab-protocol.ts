// Wire contract between the deck's components and the lab server (labs/): paths, payloads, WebSocket messages.
// Type-only imports keep this file free of runtime dependencies, so both the browser bundle and labs/ can import it.
import type { CheckResult, Localized, Status } from '../../checker/types.ts'
import type { LabName, ServiceName } from '../../checker/sandbox-handle.ts'

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
  exerciseCheck: (exerciseId: string): string => `/api/exercises/${encodeURIComponent(exerciseId)}/check`,
} as const

/** WebSocket endpoints; the token travels as `?token=` because browsers cannot set headers on a WebSocket. */
export const WS = {
  checks: '/ws/checks',
  terminal: '/ws/terminal',
} as const

/** GET /api/health */
export interface HealthResponse {
  readonly ok: boolean
  readonly version?: string
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
