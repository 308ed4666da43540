// Grade fixtures for the report, score and export tests: criteria and submission grades built under the one rule.
import type { Evidence, Localized, Status } from '../../checker/types.ts'
import type { SubmissionGrade } from '../grade.ts'
import { criterionPoints, score, type Criterion } from '../score.ts'

export interface CritOptions {
  readonly weight?: number
  readonly summary?: Localized
  readonly evidence?: Evidence
  readonly durationMs?: number
}

export function crit(key: string, status: Status, o: CritOptions = {}): Criterion {
  const weight = o.weight ?? 1
  return {
    key,
    id: key,
    title: { fr: key, en: key },
    status,
    weight,
    ...criterionPoints(status, weight),
    summary: o.summary ?? { fr: `résumé ${key}`, en: `summary ${key}` },
    evidence: o.evidence ?? { lines: [`S: 250 ${key}`] },
    durationMs: o.durationMs ?? 12,
  }
}

export function grade(learner: string, criteria: Criterion[], over: Partial<SubmissionGrade> = {}): SubmissionGrade {
  return {
    learner,
    exercise: 'postfix-hardening',
    lab: 'postfix',
    verdict: 'graded',
    criteria,
    installed: [],
    ignored: [],
    startedAt: '2026-11-25T09:00:00.000Z',
    timings: { total: 30_000 },
    ...score(criteria),
    ...over,
  }
}
