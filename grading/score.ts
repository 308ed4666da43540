// Turns check results into a grade: per-criterion partial credit from the manifest's weights, inconclusive set aside.
import type { Evidence, InconclusiveReason, Localized, Remedy, Status } from '../checker/types.ts'

/** One graded criterion: a check of the exercise, or the grader's own "the service starts" gate. */
export interface Criterion {
  /** The manifest's key for the check (its ID unless the manifest set one), or `service.starts`. */
  readonly key: string
  readonly id: string
  readonly title: Localized
  readonly status: Status
  /** From the manifest (default 1); 0 for the service gate, which conditions the rest instead of adding to it. */
  readonly weight: number
  readonly points: number
  /** False for inconclusive and skipped criteria: they are left out of the denominator (and flagged). */
  readonly counted: boolean
  readonly summary: Localized
  readonly evidence: Evidence
  readonly reason?: InconclusiveReason
  readonly remedy?: Remedy
  readonly endpoint?: string
  readonly durationMs: number
}

export interface Score {
  readonly score: number
  /** Sum of the weights of counted criteria: what `score` is out of. */
  readonly maxScore: number
  /** Sum of every weight, as if nothing were inconclusive. */
  readonly fullScore: number
  /** score / maxScore in percent (one decimal), null when nothing could be decided. */
  readonly percent: number | null
  /** Keys of criteria left out because the grader could not tell (never the learner's fault). */
  readonly inconclusive: readonly string[]
  /** Every criterion passed (or warned) and none was inconclusive. */
  readonly complete: boolean
  readonly failed: readonly string[]
}

/** Share of a criterion's weight earned by a status: a warning is half right. */
export const CREDIT: Readonly<Record<Status, number | null>> = { pass: 1, warn: 0.5, fail: 0, inconclusive: null, skip: null }

export function criterionPoints(status: Status, weight: number): { points: number; counted: boolean } {
  const share = CREDIT[status]
  return share === null ? { points: 0, counted: false } : { points: round(share * weight), counted: true }
}

const round = (n: number): number => Math.round(n * 1000) / 1000

export function score(criteria: readonly Pick<Criterion, 'key' | 'status' | 'weight' | 'points' | 'counted'>[]): Score {
  const counted = criteria.filter((c) => c.counted)
  const s = round(counted.reduce((a, c) => a + c.points, 0))
  const max = round(counted.reduce((a, c) => a + c.weight, 0))
  const inconclusive = criteria.filter((c) => c.status === 'inconclusive').map((c) => c.key)
  const failed = criteria.filter((c) => c.status === 'fail').map((c) => c.key)
  return {
    score: s,
    maxScore: max,
    fullScore: round(criteria.reduce((a, c) => a + c.weight, 0)),
    percent: max > 0 ? Math.round((s / max) * 1000) / 10 : null,
    inconclusive,
    complete: failed.length === 0 && inconclusive.length === 0 && criteria.some((c) => c.counted),
    failed,
  }
}
