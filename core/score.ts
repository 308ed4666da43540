// The one scoring rule: how statuses become a score and whether an exercise is passed, for `exercises test`, the lab's progress and `grade`.

/** The checker's Status, spelt here so that core/ imports nothing of checker/ (the two unions must stay equal). */
export type ScoredStatus = 'pass' | 'warn' | 'fail' | 'inconclusive' | 'skip'

/** Share of a criterion's weight a decided status earns: a warning is half right. */
export const CREDIT = { pass: 1, warn: 0.5, fail: 0 } as const

/**
 * complete: every criterion was decided, the score is final.
 * incomplete: at least one criterion is inconclusive (the grader's own trouble): no final score, grade again.
 */
export type ScoreState = 'complete' | 'incomplete'

export interface Scorable {
  readonly key: string
  readonly status: ScoredStatus
  /** Default 1. */
  readonly weight?: number
}

export interface Score {
  readonly state: ScoreState
  /** Points earned on the decided criteria: final when complete, only a floor when incomplete. */
  readonly score: number
  /** Weight of every criterion except the not-applicable (skipped) ones: an inconclusive one stays in. */
  readonly maxScore: number
  /** Every weight, skipped criteria included. */
  readonly fullScore: number
  /** score / maxScore in percent (one decimal); null when incomplete or when nothing has weight. */
  readonly percent: number | null
  /** The exercise is done: see `isPassed`. */
  readonly passed: boolean
  readonly inconclusive: readonly string[]
  readonly failed: readonly string[]
  readonly warned: readonly string[]
  readonly skipped: readonly string[]
}

const round = (n: number): number => Math.round(n * 1000) / 1000

/**
 * What one criterion adds: `counted` says whether its weight is in the denominator.
 * A skip is not counted (the check does not apply to this target); an inconclusive one is counted and earns 0
 * for now, so that it can never raise a score by leaving the denominator.
 */
export function criterionPoints(status: ScoredStatus, weight = 1): { points: number; counted: boolean } {
  if (status === 'skip') return { points: 0, counted: false }
  if (status === 'inconclusive') return { points: 0, counted: true }
  return { points: round(CREDIT[status] * weight), counted: true }
}

/**
 * THE decision "passed", used everywhere: nothing inconclusive, nothing failed or warned, and at least one
 * criterion with a weight was decided (a run where everything was skipped proves nothing).
 */
export function isPassed(items: readonly Scorable[]): boolean {
  let decided = false
  for (const c of items) {
    if (c.status === 'skip') continue
    if (c.status !== 'pass') return false
    if ((c.weight ?? 1) > 0) decided = true
  }
  return decided
}

/** The score of a set of criteria under the one rule. */
export function scoreOf(items: readonly Scorable[]): Score {
  let score = 0
  let max = 0
  let full = 0
  const keys = (s: ScoredStatus): string[] => items.filter((c) => c.status === s).map((c) => c.key)
  for (const c of items) {
    const { points, counted } = criterionPoints(c.status, c.weight ?? 1)
    score += points
    if (counted) max += c.weight ?? 1
    full += c.weight ?? 1
  }
  const inconclusive = keys('inconclusive')
  const state: ScoreState = inconclusive.length ? 'incomplete' : 'complete'
  score = round(score)
  max = round(max)
  return {
    state,
    score,
    maxScore: max,
    fullScore: round(full),
    percent: state === 'complete' && max > 0 ? Math.round((score / max) * 1000) / 10 : null,
    passed: isPassed(items),
    inconclusive,
    failed: keys('fail'),
    warned: keys('warn'),
    skipped: keys('skip'),
  }
}

/** Same shape as the checker's Localized (structural: core/ imports nothing of checker/). */
export interface RuleText {
  readonly fr: string
  readonly en: string
}

/** The rule in one sentence, printed with every score so that nobody has to guess how a warning counts. */
export const RULE_TEXT: RuleText = {
  fr: 'Barème : réussi = poids entier, avertissement = moitié du poids, échec = 0, non applicable = hors barème ; un critère non concluant (problème du correcteur) laisse la note incomplète, à refaire.',
  en: 'Scale: pass = full weight, warning = half the weight, fail = 0, not applicable = left out; an inconclusive criterion (the grader’s trouble) leaves the score incomplete, to be graded again.',
}
