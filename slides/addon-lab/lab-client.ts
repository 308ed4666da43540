// Talks to the lab server from the deck: the learner's token, authenticated HTTP calls, WebSocket URLs.
import {
  API,
  TOKEN_QUERY_PARAM,
  TOKEN_STORAGE_KEY,
  type CheckRunStarted,
  type ExerciseDetail,
  type ExerciseSummary,
  type HealthResponse,
  type LabInfo,
  type LabName,
} from '../../core/lab-protocol.ts'

export interface KeyValueStore {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
}

/**
 * The token arrives once in the page URL; Slidev's router rewrites the URL as the learner moves between slides,
 * so it is kept in sessionStorage (per tab, gone when the tab closes) and read from there afterwards.
 */
export function captureToken(search: string, storage: KeyValueStore | undefined): string | null {
  const fromUrl = new URLSearchParams(search).get(TOKEN_QUERY_PARAM)
  if (fromUrl) {
    try { storage?.setItem(TOKEN_STORAGE_KEY, fromUrl) } catch { /* storage disabled: the URL still has it */ }
    return fromUrl
  }
  try { return storage?.getItem(TOKEN_STORAGE_KEY) ?? null } catch { return null }
}

/** The tab's sessionStorage, read lazily so that this module also loads in Node (tests, labs/); undefined when disabled. */
export function browserSession(): KeyValueStore | undefined {
  if (typeof window === 'undefined') return undefined
  try { return window.sessionStorage } catch { return undefined }
}

export function browserToken(): string | null {
  if (typeof window === 'undefined') return null
  return captureToken(window.location.search, browserSession())
}

export interface OriginLike {
  readonly protocol: string
  readonly host: string
}

/** A ws:// or wss:// URL on the page's own origin, with the token as a query parameter. */
export function wsUrl(origin: OriginLike, path: string, params: Readonly<Record<string, string | number>>, token: string | null): string {
  const scheme = origin.protocol === 'https:' ? 'wss:' : 'ws:'
  const query = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) query.set(k, String(v))
  if (token) query.set(TOKEN_QUERY_PARAM, token)
  const qs = query.toString()
  return `${scheme}//${origin.host}${path}${qs ? `?${qs}` : ''}`
}

/**
 * offline: nothing answers as a lab server (connection refused, or a plain static server without /api);
 * unauthorized: the server answered 401/403; http: any other error answer.
 */
export type LabErrorKind = 'offline' | 'unauthorized' | 'http'

export class LabApiError extends Error {
  constructor(readonly kind: LabErrorKind, message: string, readonly status?: number) {
    super(message)
    this.name = 'LabApiError'
  }
}

export type FetchLike = (input: string, init?: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal }) => Promise<{
  readonly ok: boolean
  readonly status: number
  readonly headers: { get(name: string): string | null }
  text(): Promise<string>
}>

export interface LabClientOptions {
  /** Prefix of every path, '' for the page's own origin (the normal case). */
  readonly baseUrl?: string
  readonly token: string | null
  readonly fetch?: FetchLike
  readonly timeoutMs?: number
}

export interface LabClient {
  health(): Promise<HealthResponse>
  lab(): Promise<LabInfo>
  up(lab: LabName): Promise<LabInfo>
  down(): Promise<LabInfo>
  reset(): Promise<LabInfo>
  exercises(): Promise<ExerciseSummary[]>
  /** One exercise's text and hints, the text in `lang`. */
  exercise(id: string, lang: 'fr' | 'en'): Promise<ExerciseDetail>
  startCheck(exerciseId: string): Promise<CheckRunStarted>
}

export function createLabClient(opts: LabClientOptions): LabClient {
  const base = opts.baseUrl ?? ''
  const doFetch: FetchLike = opts.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const timeoutMs = opts.timeoutMs ?? 15_000

  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' }
    if (opts.token) headers.authorization = `Bearer ${opts.token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    let res: Awaited<ReturnType<FetchLike>>
    try {
      res = await doFetch(base + path, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (err) {
      throw new LabApiError('offline', `lab server unreachable: ${(err as Error).message}`)
    }
    const text = await res.text()
    const isJson = (res.headers.get('content-type') ?? '').includes('application/json')
    if (res.status === 401 || res.status === 403) throw new LabApiError('unauthorized', `lab server refused the token (${res.status})`, res.status)
    // A static file server answers /api/... with 404 or an HTML fallback page: that is "no lab server here".
    if (!isJson) throw new LabApiError('offline', `no lab server at ${base || 'this origin'} (${res.status}, not JSON)`, res.status)
    if (!res.ok) {
      let detail = text
      try { detail = (JSON.parse(text) as { error?: string }).error ?? text } catch { /* keep raw text */ }
      throw new LabApiError('http', `${method} ${path}: ${res.status} ${detail}`, res.status)
    }
    return JSON.parse(text) as T
  }

  return {
    health: () => call<HealthResponse>('GET', API.health),
    lab: () => call<LabInfo>('GET', API.lab),
    up: (lab) => call<LabInfo>('POST', API.labUp, { lab }),
    down: () => call<LabInfo>('POST', API.labDown, {}),
    reset: () => call<LabInfo>('POST', API.labReset, {}),
    exercises: () => call<ExerciseSummary[]>('GET', API.exercises),
    exercise: (id, lang) => call<ExerciseDetail>('GET', `${API.exercise(id)}?lang=${encodeURIComponent(lang)}`),
    startCheck: (id) => call<CheckRunStarted>('POST', API.exerciseCheck(id), {}),
  }
}

/** What the learner reads when the lab server cannot be reached, shared by every component (pick a language). */
export const OFFLINE_TEXTS = {
  title: { fr: 'Le lab est hors ligne', en: 'The lab is offline' },
  body: {
    fr: 'Le serveur du lab ne répond pas. Lancez-le depuis la racine du projet, puis ouvrez l’adresse qu’il affiche :',
    en: 'The lab server does not answer. Start it from the project’s root, then open the address it prints:',
  },
  command: { fr: 'npm start', en: 'npm start' },
  retrying: { fr: 'Nouvelle tentative automatique…', en: 'Retrying automatically…' },
} as const

export const UNAUTHORIZED_TEXTS = {
  title: { fr: 'Jeton de session absent ou refusé', en: 'Session token missing or refused' },
  body: {
    fr: 'Ouvrez le cours avec l’adresse complète affichée par « npm start » (elle contient ?token=…).',
    en: 'Open the course with the full address “npm start” prints (it holds ?token=…).',
  },
} as const
