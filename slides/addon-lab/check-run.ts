// A check run as the learner sees it: starting it on the lab server, folding streamed results, wording each status.
import { WS, isCheckStreamMessage, type CheckResult, type CheckStreamMessage, type CheckSummary, type Status } from '../../core/lab-protocol.ts'
import { wsUrl, type LabClient, type OriginLike } from './lab-client.ts'
import type { WebSocketFactory } from './terminal-connection.ts'
import type { InconclusiveReason } from '../../checker/types.ts'
import type { Lang, Localized } from '../../core/i18n.ts'

export type RunPhase = 'idle' | 'starting' | 'running' | 'done' | 'broken'

export interface RunState {
  readonly phase: RunPhase
  /** In arrival order; a result with an id already seen replaces the earlier one in place. */
  readonly results: readonly CheckResult[]
  readonly summary: CheckSummary | null
  /** Why the run stopped short (server gone, stream cut): the grader's problem, never the learner's. */
  readonly problem: string | null
}

export const IDLE: RunState = { phase: 'idle', results: [], summary: null, problem: null }

export function startRun(): RunState {
  return { phase: 'starting', results: [], summary: null, problem: null }
}

export function applyMessage(state: RunState, msg: CheckStreamMessage): RunState {
  switch (msg.type) {
    case 'result': {
      const i = state.results.findIndex((r) => (r.key ?? r.id) === (msg.result.key ?? msg.result.id))
      const results = i === -1 ? [...state.results, msg.result] : state.results.map((r, j) => (j === i ? msg.result : r))
      return { ...state, phase: 'running', results }
    }
    case 'done':
      return { ...state, phase: 'done', summary: msg.summary }
    case 'error':
      return { ...state, phase: 'broken', problem: msg.message }
  }
}

/** The stream ended without 'done': what we have is kept, and the gap is the grader's fault. */
export function streamLost(state: RunState, why: string): RunState {
  if (state.phase === 'done' || state.phase === 'broken') return state
  return { ...state, phase: 'broken', problem: why }
}

export function summarize(results: readonly CheckResult[]): CheckSummary {
  const s: Record<Status, number> = { pass: 0, fail: 0, warn: 0, inconclusive: 0, skip: 0 }
  for (const r of results) s[r.status] += 1
  return s
}

/** Who a status speaks about: a fail or warn is about the learner's configuration; inconclusive is about the grader. */
export type Blame = 'none' | 'learner' | 'grader'

export interface StatusView {
  readonly label: string
  readonly icon: string
  readonly tone: 'ok' | 'bad' | 'warn' | 'neutral' | 'grader'
  readonly blame: Blame
}

const STATUS_LABEL: Record<Status, Localized> = {
  pass: { fr: 'Réussi', en: 'Passed' },
  fail: { fr: 'À corriger', en: 'To fix' },
  warn: { fr: 'Attention', en: 'Warning' },
  skip: { fr: 'Non applicable', en: 'Not applicable' },
  inconclusive: { fr: 'Non concluant', en: 'Inconclusive' },
}

export function statusView(status: Status, lang: Lang = 'fr'): StatusView {
  const label = STATUS_LABEL[status][lang]
  switch (status) {
    case 'pass': return { label, icon: '✔', tone: 'ok', blame: 'none' }
    case 'fail': return { label, icon: '✘', tone: 'bad', blame: 'learner' }
    case 'warn': return { label, icon: '!', tone: 'warn', blame: 'learner' }
    case 'skip': return { label, icon: '–', tone: 'neutral', blame: 'none' }
    case 'inconclusive': return { label, icon: '?', tone: 'grader', blame: 'grader' }
  }
}

const REASON: Record<InconclusiveReason, Localized> = {
  timeout: { fr: 'le serveur n’a pas répondu à temps', en: 'the server did not answer in time' },
  unreachable: { fr: 'le serveur était injoignable', en: 'the server could not be reached' },
  refused: { fr: 'la connexion a été refusée', en: 'the connection was refused' },
  temporary: { fr: 'le serveur a répondu par une erreur temporaire (4xx)', en: 'the server answered with a temporary error (4xx)' },
  protocol: { fr: 'la réponse ne suivait pas le protocole attendu', en: 'the answer did not follow the expected protocol' },
  'not-applicable': { fr: 'ce test ne s’applique pas ici', en: 'this test does not apply here' },
  bug: { fr: 'le correcteur a rencontré une erreur interne', en: 'the grader met an internal error' },
}

/** The sentence shown for an inconclusive result: it names the grader as the one who failed, and suggests a retry. */
export function inconclusiveText(reason: InconclusiveReason | undefined, lang: Lang = 'fr'): string {
  if (lang === 'en') {
    const why = reason ? `: ${REASON[reason].en}` : ''
    return `The grader could not conclude${why}. This is not your mistake; run “Check” again in a moment.`
  }
  const why = reason ? ` : ${REASON[reason].fr}` : ''
  return `Le correcteur n’a pas pu conclure${why}. Ce n’est pas une erreur de votre part ; relancez « Vérifier » dans un instant.`
}

/** The advice under a result: the remedy for this lab's server when the configuration needs a change. */
export function hintFor(result: CheckResult, lab: 'postfix' | 'exim'): string | null {
  if (result.status !== 'fail' && result.status !== 'warn') return null
  return result.remedy?.[lab] ?? null
}

export function summaryText(summary: CheckSummary, lang: Lang = 'fr'): string {
  const n = (count: number, one: string, many: string): string => `${count} ${count > 1 ? many : one}`
  if (lang === 'en') {
    const parts = [`${summary.pass} passed`, `${summary.fail} to fix`]
    if (summary.warn) parts.push(n(summary.warn, 'warning', 'warnings'))
    if (summary.inconclusive) parts.push(`${summary.inconclusive} inconclusive (grader’s side)`)
    if (summary.skip) parts.push(`${summary.skip} not applicable`)
    return parts.join(' · ')
  }
  const parts = [n(summary.pass, 'réussi', 'réussis'), `${summary.fail} à corriger`]
  if (summary.warn) parts.push(n(summary.warn, 'avertissement', 'avertissements'))
  if (summary.inconclusive) parts.push(`${n(summary.inconclusive, 'non concluant', 'non concluants')} (côté correcteur)`)
  if (summary.skip) parts.push(n(summary.skip, 'non applicable', 'non applicables'))
  return parts.join(' · ')
}

/** The panel's own words, in both languages. */
export const PANEL_TEXTS = {
  verify: { fr: 'Vérifier', en: 'Check' },
  verifying: { fr: 'Vérification…', en: 'Checking…' },
  problem: { fr: 'Le correcteur n’a pas pu terminer :', en: 'The grader could not finish:' },
  notYourFault: { fr: 'Ce n’est pas une erreur de votre part ; relancez « Vérifier ».', en: 'This is not your mistake; run “Check” again.' },
  hint: { fr: 'Piste :', en: 'Lead:' },
  evidence: { fr: 'Éléments observés', en: 'What was observed' },
  running: { fr: 'Tests en cours…', en: 'Tests running…' },
} as const

export interface RunChecksOptions {
  readonly client: LabClient
  readonly exerciseId: string
  readonly origin: OriginLike
  readonly token: string | null
  readonly createSocket: WebSocketFactory
  readonly onState: (state: RunState) => void
  /** The language of the run's own messages (a lost stream, a refused start). */
  readonly lang?: Lang
  /** Time without any message after which the run is reported as lost (the grader bounds each check itself). */
  readonly idleTimeoutMs?: number
}

/** Starts a run and follows its stream to the end; resolves with the final state, never rejects for server trouble. */
export async function runChecks(opts: RunChecksOptions): Promise<RunState> {
  const en = opts.lang === 'en'
  let state = startRun()
  opts.onState(state)
  let runId: string
  try {
    runId = (await opts.client.startCheck(opts.exerciseId)).runId
  } catch (err) {
    state = { ...state, phase: 'broken', problem: `${en ? 'Could not start the check: ' : 'Impossible de lancer la vérification : '}${(err as Error).message}` }
    opts.onState(state)
    return state
  }
  state = { ...state, phase: 'running' }
  opts.onState(state)
  const url = wsUrl(opts.origin, WS.checks, { run: runId }, opts.token)
  return await new Promise<RunState>((resolve) => {
    let finished = false
    let idle: ReturnType<typeof setTimeout> | null = null
    const idleMs = opts.idleTimeoutMs ?? 120_000
    const finish = (next: RunState): void => {
      if (finished) return
      finished = true
      if (idle) clearTimeout(idle)
      state = next
      opts.onState(state)
      try { socket.close(1000) } catch { /* already closed */ }
      resolve(state)
    }
    const armIdle = (): void => {
      if (idle) clearTimeout(idle)
      idle = setTimeout(() => finish(streamLost(state, en ? 'The grader stopped reporting (time limit passed).' : 'Le correcteur ne donne plus de nouvelles (délai dépassé).')), idleMs)
    }
    const socket = opts.createSocket(url)
    armIdle()
    socket.onmessage = (ev) => {
      if (finished) return
      armIdle()
      let parsed: unknown
      try { parsed = JSON.parse(typeof ev.data === 'string' ? ev.data : new TextDecoder().decode(ev.data as ArrayBuffer)) } catch { return }
      if (!isCheckStreamMessage(parsed)) return
      const next = applyMessage(state, parsed)
      if (next.phase === 'done' || next.phase === 'broken') finish(next)
      else { state = next; opts.onState(state) }
    }
    socket.onerror = () => { /* the close event decides */ }
    socket.onclose = (ev) => {
      finish(streamLost(state, en ? `The connection to the grader was cut (code ${ev.code}) before the end.` : `La connexion au correcteur a été coupée (code ${ev.code}) avant la fin.`))
    }
  })
}
