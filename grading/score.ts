// A graded criterion's shape; the scoring itself is the course's one rule, core/score.ts, re-exported here.
import type { Evidence, InconclusiveReason, Localized, Remedy, Status } from '../checker/types.ts'
export { CREDIT, criterionPoints, isPassed, RULE_TEXT, scoreOf as score, type Score, type ScoreState } from '../core/score.ts'

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
  /** False only for a skipped (not applicable) criterion; an inconclusive one stays in the denominator. */
  readonly counted: boolean
  readonly summary: Localized
  readonly evidence: Evidence
  readonly reason?: InconclusiveReason
  readonly remedy?: Remedy
  readonly endpoint?: string
  readonly durationMs: number
}
