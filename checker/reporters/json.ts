// JSON form of a run: stable field names, text in the chosen language, for scripts and the lab server.
import { safeJsonStringify } from '../../core/text.ts'
import type { CheckResult, Lang, RunReport, Status } from '../types.ts'

export interface JsonCheck {
  readonly id: string
  readonly key?: string
  readonly endpoint?: string
  readonly status: Status
  readonly reason?: string
  readonly title: string
  readonly summary: string
  readonly evidence: CheckResult['evidence']
  readonly remedy?: CheckResult['remedy']
  readonly durationMs: number
}

export interface JsonReport {
  readonly target: RunReport['target']
  readonly checks: readonly JsonCheck[]
  readonly counts: Readonly<Record<Status, number>>
  readonly durationMs: number
  readonly startedAt: string
}

export function countByStatus(checks: readonly { status: Status }[]): Record<Status, number> {
  const c: Record<Status, number> = { pass: 0, fail: 0, warn: 0, inconclusive: 0, skip: 0 }
  for (const r of checks) c[r.status]++
  return c
}

export function jsonCheck(r: CheckResult, lang: Lang): JsonCheck {
  return {
    id: r.id,
    ...(r.key ? { key: r.key } : {}),
    ...(r.endpoint ? { endpoint: r.endpoint } : {}),
    status: r.status,
    ...(r.reason ? { reason: r.reason } : {}),
    title: r.title[lang],
    summary: r.summary[lang],
    evidence: r.evidence,
    ...(r.status === 'fail' || r.status === 'warn' ? { remedy: r.remedy } : {}),
    durationMs: r.durationMs,
  }
}

export function toJson(report: RunReport, lang: Lang = 'fr'): JsonReport {
  // The CA bundle is long and public-knowledge: say whether one was given, not its bytes.
  const { ca, ...target } = report.target
  return {
    target: { ...target, ...(ca ? { ca: '(given)' } : {}) },
    checks: report.checks.map((r) => jsonCheck(r, lang)),
    counts: countByStatus(report.checks),
    durationMs: report.durationMs,
    startedAt: report.startedAt,
  }
}

/** The evidence is kept as sent (scripts may need it), but spelt so that printing the JSON acts on no control character. */
export function formatJson(report: RunReport, lang: Lang = 'fr'): string {
  return `${safeJsonStringify(toJson(report, lang), 2)}\n`
}
