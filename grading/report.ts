// Formats grades: terminal text, JSON, JUnit XML (one submission), class CSV/JSON, and rows for the progress store.
import { xmlEscape } from '../checker/reporters/junit.ts'
import { formatResultDetails } from '../checker/reporters/terminal.ts'
import type { CheckResult, Lang, Status } from '../checker/types.ts'
import type { GradeInput } from '../labs/progress-store.ts'
import { csvField } from '../labs/instructor.ts'
import type { SubmissionGrade } from './grade.ts'
import type { Criterion } from './score.ts'

const LABEL: Record<Status, string> = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', inconclusive: '????', skip: 'SKIP' }
const COLOR: Record<Status, string> = { pass: '32', fail: '31', warn: '33', inconclusive: '35', skip: '90' }
const paint = (on: boolean, code: string, s: string): string => (on ? `\x1b[${code}m${s}\x1b[0m` : s)

export function scoreText(g: SubmissionGrade): string {
  if (g.verdict !== 'graded') return g.verdict === 'rejected' ? 'rejected' : 'error'
  return `${g.score}/${g.maxScore}${g.percent === null ? '' : ` (${g.percent} %)`}`
}

/** Why the grade is what it is, in one line (reason of a rejection, or the inconclusive criteria set aside). */
export function gradeNote(g: SubmissionGrade, lang: Lang): string {
  if (g.reason) return g.reason[lang]
  if (g.inconclusive.length) {
    return lang === 'fr'
      ? `non concluant, non compté (pas de votre fait) : ${g.inconclusive.join(', ')}`
      : `inconclusive, not counted (not the learner’s fault): ${g.inconclusive.join(', ')}`
  }
  return ''
}

export function formatGradeText(g: SubmissionGrade, o: { lang: Lang; color: boolean }): string {
  const fr = o.lang === 'fr'
  const out: string[] = []
  out.push(paint(o.color, '1', `${fr ? 'Exercice' : 'Exercise'} ${g.exercise} — ${fr ? 'copie de' : 'submission of'} ${g.learner} : ${scoreText(g)}`))
  if (g.verdict !== 'graded') {
    out.push(paint(o.color, g.verdict === 'rejected' ? '31' : '35', `  ${g.reason?.[o.lang] ?? g.verdict}`))
    return `${out.join('\n')}\n`
  }
  const w = Math.max(...g.criteria.map((c) => c.key.length), 10)
  for (const c of g.criteria) {
    const pts = c.weight === 0 ? '' : c.counted ? ` ${c.points}/${c.weight}` : fr ? ' (non compté)' : ' (not counted)'
    out.push(`${paint(o.color, COLOR[c.status], `[${LABEL[c.status]}]`)} ${c.key.padEnd(w)}${pts.padEnd(14)} ${c.summary[o.lang]}`)
  }
  if (g.installed.length) out.push('', fr ? 'Fichiers installés :' : 'Files installed:', ...g.installed.map((l) => `  ${l}`))
  if (g.ignored.length) out.push(`${fr ? 'Ignorés (non déclarés par l’exercice)' : 'Ignored (not declared by the exercise)'} : ${g.ignored.join(', ')}`)
  for (const c of g.criteria) {
    const d = formatResultDetails(c as unknown as CheckResult, { lang: o.lang, color: o.color })
    if (d.length) out.push('', ...d)
  }
  const note = gradeNote(g, o.lang)
  out.push('', `${fr ? 'Note' : 'Score'} : ${scoreText(g)}${note ? ` — ${note}` : ''}`)
  return `${out.join('\n')}\n`
}

function jsonCriterion(c: Criterion, lang: Lang) {
  return {
    key: c.key,
    id: c.id,
    status: c.status,
    ...(c.reason ? { reason: c.reason } : {}),
    weight: c.weight,
    points: c.points,
    counted: c.counted,
    title: c.title[lang],
    summary: c.summary[lang],
    evidence: c.evidence,
    ...(c.remedy && (c.status === 'fail' || c.status === 'warn') ? { remedy: c.remedy } : {}),
    ...(c.endpoint ? { endpoint: c.endpoint } : {}),
    durationMs: c.durationMs,
  }
}

export function gradeJson(g: SubmissionGrade, lang: Lang) {
  return {
    learner: g.learner,
    exercise: g.exercise,
    lab: g.lab,
    verdict: g.verdict,
    ...(g.reason ? { reason: g.reason[lang] } : {}),
    ...(g.rejectCode ? { rejectCode: g.rejectCode } : {}),
    score: g.score,
    maxScore: g.maxScore,
    fullScore: g.fullScore,
    percent: g.percent,
    complete: g.complete,
    inconclusive: g.inconclusive,
    failed: g.failed,
    criteria: g.criteria.map((c) => jsonCriterion(c, lang)),
    installed: g.installed,
    ignored: g.ignored,
    startedAt: g.startedAt,
    timings: g.timings,
  }
}


/** JUnit XML: a test case per criterion (fail → failure, inconclusive → error); a refused submission is one failing case. */
export function gradeJunit(g: SubmissionGrade, lang: Lang = 'en'): string {
  const suite = `grade ${g.exercise} (${g.learner})`
  let cases: string[]
  let failures = 0
  let errors = 0
  let skipped = 0
  if (g.verdict !== 'graded') {
    const msg = xmlEscape(g.reason?.[lang] ?? g.verdict)
    const inner = g.verdict === 'rejected' ? `    <failure message="${msg}" type="rejected/${xmlEscape(g.rejectCode ?? '')}"/>` : `    <error message="${msg}" type="grader-error"/>`
    if (g.verdict === 'rejected') failures = 1
    else errors = 1
    cases = [`  <testcase classname="submission" name="submission.intake">\n${inner}\n  </testcase>`]
  } else {
    cases = g.criteria.map((c) => {
      const body = c.evidence.lines.join('\n')
      const pts = c.weight === 0 ? '' : ` [${c.counted ? `${c.points}/${c.weight}` : 'not counted'}]`
      const open = `  <testcase classname="${xmlEscape(c.id.split('.')[0] ?? 'check')}" name="${xmlEscape(`${c.key}: ${c.title[lang]}${pts}`)}" time="${(c.durationMs / 1000).toFixed(3)}">`
      const summary = xmlEscape(c.summary[lang])
      let inner: string
      if (c.status === 'fail') {
        failures++
        inner = `    <failure message="${summary}" type="fail">${xmlEscape(`${body}${c.remedy ? `\n\nPostfix: ${c.remedy.postfix}\nExim: ${c.remedy.exim}` : ''}`)}</failure>`
      } else if (c.status === 'inconclusive') {
        errors++
        inner = `    <error message="${summary}" type="inconclusive/${xmlEscape(c.reason ?? '')}">${xmlEscape(body)}</error>`
      } else if (c.status === 'skip') {
        skipped++
        inner = `    <skipped message="${summary}"/>`
      } else inner = `    <system-out>${xmlEscape(`${c.status.toUpperCase()}: ${c.summary[lang]}\n${body}`)}</system-out>`
      return `${open}\n${inner}\n  </testcase>`
    })
  }
  const n = cases.length
  const time = ((g.timings.total ?? 0) / 1000).toFixed(3)
  const attrs = `tests="${n}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time}"`
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="smtp-tls-lab grade" ${attrs}>`,
    ` <testsuite name="${xmlEscape(suite)}" ${attrs} timestamp="${g.startedAt}">`,
    '  <properties>',
    `   <property name="score" value="${g.score}"/>`,
    `   <property name="maxScore" value="${g.maxScore}"/>`,
    `   <property name="percent" value="${g.percent ?? ''}"/>`,
    `   <property name="verdict" value="${g.verdict}"/>`,
    '  </properties>',
    ...cases,
    ' </testsuite>',
    '</testsuites>',
    '',
  ].join('\n')
}

/** Criterion keys of a class, in the order they first appear (the manifest's order). */
export function criterionKeys(grades: readonly SubmissionGrade[]): string[] {
  const keys: string[] = []
  for (const g of grades) for (const c of g.criteria) if (!keys.includes(c.key)) keys.push(c.key)
  return keys
}

/** class.csv: learner, verdict, score, then each criterion's status; spreadsheet formulas in names are neutralised. */
export function classCsv(grades: readonly SubmissionGrade[], lang: Lang): string {
  const keys = criterionKeys(grades)
  const header = ['learner', 'verdict', 'score', 'max_score', 'percent', 'note', ...keys]
  const rows = grades.map((g) => {
    const by = new Map(g.criteria.map((c) => [c.key, c.status]))
    return [g.learner, g.verdict, g.verdict === 'graded' ? g.score : '', g.verdict === 'graded' ? g.maxScore : '', g.percent ?? '', gradeNote(g, lang), ...keys.map((k) => by.get(k) ?? '')]
  })
  return [header, ...rows].map((r) => r.map((v) => csvField(v as string | number)).join(',')).join('\r\n') + '\r\n'
}

export interface ClassMeta {
  readonly exercise: string
  readonly batch: string
  readonly parallel: number
  readonly startedAt: string
  readonly durationMs: number
}

export function classJson(grades: readonly SubmissionGrade[], meta: ClassMeta, lang: Lang) {
  const keys = criterionKeys(grades)
  const graded = grades.filter((g) => g.verdict === 'graded')
  const rates = keys.map((key) => {
    const decided = graded.map((g) => g.criteria.find((c) => c.key === key)).filter((c): c is Criterion => !!c && c.counted)
    const pass = decided.filter((c) => c.status === 'pass').length
    return { key, pass, decided: decided.length, rate: decided.length ? Math.round((pass / decided.length) * 1000) / 1000 : null }
  })
  return {
    ...meta,
    counts: {
      submissions: grades.length,
      graded: graded.length,
      rejected: grades.filter((g) => g.verdict === 'rejected').length,
      error: grades.filter((g) => g.verdict === 'error').length,
      complete: graded.filter((g) => g.complete).length,
    },
    criteria: rates,
    learners: grades.map((g) => gradeJson(g, lang)),
  }
}

/** A row of the labs progress store's grades table (read by the instructor page). */
export function toGradeInput(g: SubmissionGrade, batch: string | undefined, lang: Lang): GradeInput {
  const note = gradeNote(g, lang)
  return {
    ...(batch ? { batch } : {}),
    learner: g.learner,
    exercise: g.exercise,
    verdict: g.verdict,
    score: g.score,
    maxScore: g.maxScore,
    ...(note ? { reason: note } : {}),
    criteria: g.criteria.map((c) => ({
      checkId: c.key,
      status: c.status,
      points: c.points,
      maxPoints: c.counted ? c.weight : 0,
      evidence: { lines: c.evidence.lines, facts: { ...(c.evidence.facts ?? {}), title: c.title[lang], summary: c.summary[lang] } },
    })),
  }
}

/** Exit code of `grade --submission`: 0 everything passed, 1 something failed or could not be decided, 2 refused, 3 grader error. */
export function exitCodeFor(g: SubmissionGrade): number {
  if (g.verdict === 'rejected') return 2
  if (g.verdict === 'error') return 3
  return g.complete ? 0 : 1
}
